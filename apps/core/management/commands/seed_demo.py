"""Seed demo data: two clinics, staff of every role, ~50 couples, cycles in every status.

Idempotent: clinics, staff and patients are keyed (clinic code, e-mail, MRN), so a second run
adds nothing. Every write goes through the services, so the data obeys the same validation as
anything a user enters. Refused when settings.DEMO_DATA_ALLOWED is false (production).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import Clinic, User
from apps.accounts.roles import Role
from apps.accounts.services import clinic_create, staff_add
from apps.core.actor import acting_as
from apps.cycles import services as cycles
from apps.cycles.models import CycleStatus, CycleType, EmbryoFate, Insemination, Maturity, Outcome, Protocol
from apps.patients.models import ConsentKind, Patient, Sex
from apps.patients.selectors import patient_search
from apps.patients.services import consent_record, patient_create, patient_link_partner

DEMO_PASSWORD = "fertivision-demo"  # noqa: S105 - documented demo login for local data only
CLINICS = [("north", "North Fertility Centre"), ("harbour", "Harbour IVF Clinic")]
SUPERUSER_EMAIL = "admin@fertivision.demo"
COUPLES_PER_CLINIC = 25

GIVEN_F = [
    "Amelia",
    "Sofia",
    "Leila",
    "Hannah",
    "Priya",
    "Chloe",
    "Mei",
    "Fatima",
    "Ingrid",
    "Lucia",
    "Nadia",
    "Olivia",
    "Rosa",
    "Yara",
    "Zoe",
    "Eva",
    "Maya",
    "Ines",
    "Aiko",
    "Clara",
]
GIVEN_M = [
    "Daniel",
    "Omar",
    "Lucas",
    "Mateo",
    "Ravi",
    "Jonas",
    "Kenji",
    "Samuel",
    "Tomas",
    "Yusuf",
    "Elias",
    "Noah",
    "Felix",
    "Arjun",
    "Leon",
    "Marco",
    "Hugo",
    "David",
    "Ivan",
    "Karl",
]
FAMILY = [
    "Andersen",
    "Bianchi",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhang",
]

STATUSES: list[str] = [s.value for s in CycleStatus]


class Command(BaseCommand):
    help = "Load demo clinics, staff, couples and cycles (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--couples", type=int, default=COUPLES_PER_CLINIC, help="couples per clinic")

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("Demo data is disabled in these settings (DEMO_DATA_ALLOWED is false).")
        superuser = User.objects.filter(email=SUPERUSER_EMAIL).first()
        if superuser is None:
            superuser = User.objects.create_superuser(
                email=SUPERUSER_EMAIL, password=DEMO_PASSWORD, full_name="Platform Admin"
            )
        created_patients = 0
        with acting_as(superuser):
            for index, (code, name) in enumerate(CLINICS):
                clinic = Clinic.objects.filter(code=code).first() or clinic_create(name=name, code=code)
                for role in Role:
                    email = f"{role.value.replace('_', '')}@{code}.demo"
                    if not User.objects.filter(email=email).exists():
                        staff_add(
                            clinic=clinic,
                            email=email,
                            role=role,
                            password=DEMO_PASSWORD,
                            full_name=f"{role.label} ({name.split()[0]})",
                        )
                created_patients += self._couples(clinic, superuser, options["couples"], seed=index)
        self.stdout.write(f"Demo data ready ({created_patients} new patients).")
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
        self.stdout.write(f"  {SUPERUSER_EMAIL}  (superuser, Django admin)")
        for code, _ in CLINICS:
            self.stdout.write("  " + ", ".join(f"{r.value.replace('_', '')}@{code}.demo" for r in Role))

    @transaction.atomic
    def _couples(self, clinic: Clinic, actor: User, n: int, *, seed: int) -> int:
        rng = random.Random(f"fertivision-demo-{clinic.code}-{seed}")
        created = 0
        today = datetime.date(2026, 11, 1)
        for i in range(n):
            # Drawn before any existence check, so the sequence (and the data) is the same every run.
            female_name = (rng.choice(GIVEN_F), rng.choice(FAMILY))
            male_name = (rng.choice(GIVEN_M), female_name[1] if rng.random() < 0.5 else rng.choice(FAMILY))
            f_dob = today - datetime.timedelta(days=rng.randint(26 * 365, 43 * 365))
            m_dob = today - datetime.timedelta(days=rng.randint(27 * 365, 50 * 365))
            cycle_seed = rng.random()
            mrn_f, mrn_m = f"{clinic.code.upper()}-{1000 + 2 * i}", f"{clinic.code.upper()}-{1001 + 2 * i}"
            if patient_search(user=actor, mrn=mrn_f).filter(clinic=clinic).exists():
                continue
            female = self._patient(actor, clinic, mrn_f, female_name, f_dob, Sex.FEMALE, rng)
            male = self._patient(actor, clinic, mrn_m, male_name, m_dob, Sex.MALE, rng)
            patient_link_partner(user=actor, patient=female, partner=male)
            consent_record(user=actor, patient=female, kind=ConsentKind.RESEARCH_USE, granted=rng.random() < 0.7)
            consent_record(
                user=actor,
                patient=female,
                kind=ConsentKind.DATA_RETENTION,
                granted=True,
                valid_until=today + datetime.timedelta(days=3650),
            )
            self._cycle(actor, female, STATUSES[i % len(STATUSES)], random.Random(cycle_seed), today)
            created += 2
        return created

    def _patient(
        self,
        actor: User,
        clinic: Clinic,
        mrn: str,
        name: tuple[str, str],
        dob: datetime.date,
        sex: str,
        rng: random.Random,
    ) -> Patient:
        given, family = name
        return patient_create(
            user=actor,
            clinic=clinic,
            mrn=mrn,
            given_name=given,
            family_name=family,
            date_of_birth=dob,
            sex=sex,
            email=f"{given.lower()}.{family.lower()}{rng.randint(1, 99)}@example.org",
            phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            medical_history=rng.choice(
                ["", "PCOS.", "Endometriosis stage II.", "Tubal factor.", "Unexplained subfertility."]
            ),
        )

    def _cycle(self, actor: User, patient: Patient, status: str, rng: random.Random, today: datetime.date) -> None:
        start = today - datetime.timedelta(days=rng.randint(20, 60))
        reached = STATUSES.index(status) if status != CycleStatus.CANCELLED else 1
        cycle_type = rng.choice([CycleType.IVF, CycleType.ICSI, CycleType.ICSI])
        fields: dict[str, Any] = {"protocol": rng.choice(list(Protocol)), "status": status}
        if reached >= 2:
            fields["trigger_date"] = start + datetime.timedelta(days=11)
        if reached >= 3:
            fields["retrieval_date"] = start + datetime.timedelta(days=13)
        if status == CycleStatus.CANCELLED:
            fields["cancellation_reason"] = "Poor response to stimulation."
        if status == CycleStatus.CLOSED:
            fields["outcome"] = rng.choice(list(Outcome))
            fields["outcome_date"] = start + datetime.timedelta(days=32)
        cycle = cycles.cycle_create(user=actor, patient=patient, cycle_type=cycle_type, start_date=start, **fields)
        if reached >= 1:
            n_follicles = rng.randint(5, 16)
            sizes = [rng.uniform(4, 9) for _ in range(n_follicles)]
            for day in (2, 6, 8, 10)[: 2 + min(reached, 2)]:
                growth = {2: 0, 6: 4, 8: 7, 10: 10}[day]
                grown = [round(min(s + growth * rng.uniform(0.7, 1.3), 26), 1) for s in sizes]
                cycles.visit_add(
                    user=actor,
                    cycle=cycle,
                    visit_date=start + datetime.timedelta(days=day - 1),
                    cycle_day=day,
                    estradiol_pg_ml=round(50 + growth * n_follicles * rng.uniform(15, 30), 0),
                    lh_iu_l=round(rng.uniform(1, 8), 1),
                    progesterone_ng_ml=round(rng.uniform(0.2, 1.2), 2),
                    endometrial_thickness_mm=round(5 + growth * 0.5 + rng.uniform(0, 1), 1),
                    left_follicles_mm=grown[: n_follicles // 2],
                    right_follicles_mm=grown[n_follicles // 2 :],
                )
        if reached < 3:
            return
        embryos = []
        for number in range(1, rng.randint(4, 14) + 1):
            maturity = rng.choices([Maturity.MII, Maturity.MI, Maturity.GV, Maturity.DEGENERATE], [80, 9, 7, 4])[0]
            inseminated = maturity == Maturity.MII or cycle_type == CycleType.IVF
            pn = rng.choices([2, 1, 0, 3], [75, 8, 14, 3])[0] if inseminated else None
            oocyte = cycles.oocyte_add(
                user=actor,
                cycle=cycle,
                number=number,
                maturity=maturity,
                pronuclei=pn,
                insemination=(Insemination.ICSI if cycle_type == CycleType.ICSI else Insemination.IVF)
                if inseminated
                else "",
            )
            if pn == 2:
                embryo = cycles.embryo_add(user=actor, oocyte=oocyte)
                cycles.assessment_add(user=actor, embryo=embryo, day=1, pronuclei=2)
                frag = round(rng.choice([2, 5, 8, 15, 22, 35]) * rng.uniform(0.8, 1.2), 1)
                cells = rng.choices([8, 7, 6, 9, 4], [50, 15, 15, 10, 10])[0]
                grade = 1 if frag < 10 and cells == 8 else 2 if frag <= 25 else 3
                cycles.assessment_add(
                    user=actor,
                    embryo=embryo,
                    day=3,
                    cell_count=cells,
                    fragmentation_pct=frag,
                    multinucleation=False,
                    cleavage_grade=grade,
                )
                if rng.random() < 0.55:
                    expansion = rng.choice([2, 3, 4, 4, 5])
                    icm, te = (rng.choice("AABC"), rng.choice("ABBC")) if expansion >= 3 else ("", "")
                    cycles.assessment_add(user=actor, embryo=embryo, day=5, expansion=expansion, icm=icm, te=te)
                    embryos.append(embryo)
        if reached >= 4 and status != CycleStatus.CANCELLED and embryos:
            transfer_date = (cycle.retrieval_date or start) + datetime.timedelta(days=5)
            cycles.transfer_record(
                user=actor,
                cycle=cycle,
                transfer_date=transfer_date,
                embryos=embryos[:1],
                endometrial_thickness_mm=round(rng.uniform(8, 12), 1),
                difficulty="easy",
            )
            for extra in embryos[1:]:
                extra.fate = EmbryoFate.FROZEN
                extra.fate_date = transfer_date
                extra.save(update_fields=["fate", "fate_date", "updated_at"])
