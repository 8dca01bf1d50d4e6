"""A clinic-A user of every role can neither see nor touch clinic B's records, through any door.

Named for the attack: a user of one tenant reading or writing another tenant's patients by
guessing or enumerating ids. Each check asserts the answer (nothing / 404) and that the database
is unchanged afterwards.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Clinic, User
from apps.accounts.roles import Role
from apps.accounts.tests.factories import PASSWORD, ClinicFactory, staff
from apps.analyses.access import analysis_get
from apps.analyses.models import Analysis
from apps.analyses.selectors import analysis_list
from apps.core.exceptions import NotFound
from apps.cycles import access as cycle_access
from apps.cycles import selectors as cycle_selectors
from apps.cycles.models import Embryo, MonitoringVisit, Oocyte, TreatmentCycle
from apps.cycles.tests.factories import CycleFactory, EmbryoFactory, OocyteFactory, VisitFactory
from apps.patients.access import patient_get
from apps.patients.models import Patient
from apps.patients.selectors import patient_list, patient_search
from apps.patients.services import patient_share, patient_update
from apps.patients.tests.factories import PatientFactory
from apps.reports.access import report_get
from apps.reports.models import Report
from apps.reports.selectors import report_list

pytestmark = pytest.mark.django_db

ROLES = list(Role)


def _snapshot() -> dict[str, Any]:
    """Everything a write could have touched, in comparable form."""
    return {
        "patients": sorted(
            (p.external_id, p.mrn, p.given_name, p.family_name, p.updated_at) for p in Patient.objects.all()
        ),
        "cycles": sorted((c.external_id, c.status, c.notes, c.updated_at) for c in TreatmentCycle.objects.all()),
        "visits": sorted(MonitoringVisit.objects.values_list("external_id", "estradiol_pg_ml", "updated_at")),
        "oocytes": sorted(Oocyte.objects.values_list("external_id", "maturity", "updated_at")),
        "embryos": sorted(Embryo.objects.values_list("external_id", "fate", "updated_at")),
        "analyses": sorted(Analysis.objects.values_list("external_id", "status", "updated_at")),
        "reports": sorted(Report.objects.values_list("external_id", "status", "updated_at")),
    }


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Two clinics; clinic B has a couple with a full cycle, an analysis and a report."""
    clinic_a = ClinicFactory.create(code="alpha", name="Alpha")
    clinic_b = ClinicFactory.create(code="bravo", name="Bravo")
    own = PatientFactory.create(clinic=clinic_a)
    CycleFactory.create(patient=own)
    b_patient = PatientFactory.create(clinic=clinic_b, mrn="B-0001", given_name="Brigitte", family_name="Bravo")
    b_other = PatientFactory.create(clinic=clinic_b, mrn="B-0002")
    b_cycle = CycleFactory.create(patient=b_patient)
    b_other_cycle = CycleFactory.create(patient=b_other)
    b_visit = VisitFactory.create(cycle=b_cycle)
    b_oocyte = OocyteFactory.create(cycle=b_cycle, number=1)
    b_embryo = EmbryoFactory.create(oocyte=OocyteFactory.create(cycle=b_cycle, number=2))
    b_analysis = Analysis.objects.create(clinic=clinic_b, patient=b_patient, cycle=b_cycle, kind="embryo")
    b_report = Report.objects.create(clinic=clinic_b, patient=b_patient, cycle=b_cycle, report_type="embryology")
    return {
        "a": clinic_a,
        "b": clinic_b,
        "own": own,
        "patient": b_patient,
        "other": b_other,
        "cycle": b_cycle,
        "other_cycle": b_other_cycle,
        "visit": b_visit,
        "oocyte": b_oocyte,
        "embryo": b_embryo,
        "analysis": b_analysis,
        "report": b_report,
    }


def _user(clinic: Clinic, role: Role) -> User:
    user = staff(clinic, role)
    # Make every role a staff user so the admin checks below test scoping, not the is_staff gate.
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.mark.parametrize("role", ROLES)
def test_selectors_return_nothing_of_another_clinic(world: dict[str, Any], role: Role) -> None:
    user = _user(world["a"], role)
    b = world["b"]
    assert not patient_list(user=user).filter(clinic=b).exists()
    assert list(patient_list(user=user)) == [world["own"]]
    assert not patient_search(user=user, mrn="B-0001").exists()
    assert not patient_search(user=user, full_name="Brigitte Bravo").exists()
    assert not cycle_selectors.cycle_list(user=user).filter(clinic=b).exists()
    assert not cycle_selectors.visit_list(user=user).exists()
    assert not cycle_selectors.oocyte_list(user=user).filter(cycle__clinic=b).exists()
    assert not cycle_selectors.embryo_list(user=user).filter(cycle__clinic=b).exists()
    assert not cycle_selectors.assessment_list(user=user).exists()
    assert not analysis_list(user=user).exists()
    assert not report_list(user=user).exists()
    for action in ("change", "delete"):
        assert not patient_list(user=user, action=action).filter(clinic=b).exists()  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ROLES)
def test_access_helpers_answer_404_for_another_clinic(world: dict[str, Any], role: Role) -> None:
    user = _user(world["a"], role)
    checks = [
        (patient_get, world["patient"]),
        (cycle_access.cycle_get, world["cycle"]),
        (cycle_access.visit_get, world["visit"]),
        (cycle_access.oocyte_get, world["oocyte"]),
        (cycle_access.embryo_get, world["embryo"]),
        (analysis_get, world["analysis"]),
        (report_get, world["report"]),
    ]
    for getter, obj in checks:
        for action in ("view", "change", "delete"):
            with pytest.raises(NotFound) as excinfo:
                getter(user=user, external_id=obj.external_id, action=action)
            assert excinfo.value.status == 404
            assert excinfo.value.code == "NOT_FOUND"
    # Missing and forbidden are indistinguishable: same type, same code, same message.
    with pytest.raises(NotFound) as missing:
        patient_get(user=user, external_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound) as forbidden:
        patient_get(user=user, external_id=world["patient"].external_id)
    assert (missing.value.code, missing.value.message) == (forbidden.value.code, forbidden.value.message)


@pytest.mark.parametrize("role", ROLES)
def test_service_write_to_another_clinic_changes_nothing(world: dict[str, Any], role: Role) -> None:
    user = _user(world["a"], role)
    before = _snapshot()
    with pytest.raises(NotFound):
        patient = patient_get(user=user, external_id=world["patient"].external_id, action="change")
        patient_update(user=user, patient=patient, given_name="Hacked")
    assert _snapshot() == before


def _admin_urls(world: dict[str, Any]) -> list[tuple[str, Any]]:
    urls = []
    for key in ("patient", "cycle", "visit", "oocyte", "embryo", "analysis", "report"):
        obj = world[key]
        opts = obj._meta
        for view in ("change", "history", "delete", "auditlog"):
            urls.append((reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk]), obj))
    # guardian's object-permission pages for the patient
    urls.append((reverse("admin:patients_patient_permissions", args=[world["patient"].pk]), world["patient"]))
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_admin_views_answer_404_or_nothing_for_another_clinic(world: dict[str, Any], role: Role) -> None:
    user = _user(world["a"], role)
    client = Client()
    client.force_login(user)
    b_ids = {str(world[k].pk) for k in ("patient", "other")}

    for url, _ in _admin_urls(world):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)

    # Changelists (and raw-id lookups, which are changelists in a popup) list none of B's rows.
    for model in (
        "patients/patient",
        "cycles/treatmentcycle",
        "cycles/monitoringvisit",
        "cycles/oocyte",
        "cycles/embryo",
        "cycles/embryoassessment",
        "analyses/analysis",
        "reports/report",
    ):
        for query in ("", "?_to_field=id&_popup=1", f"?clinic__id__exact={world['b'].pk}"):
            response = client.get(f"/admin/{model}/{query}")
            assert response.status_code in (200, 302), (model, response.status_code)
            if response.status_code == 200:
                listed = {str(pk) for pk in response.context["cl"].result_list.values_list("pk", flat=True)}
                assert not listed & {str(o.pk) for o in _b_rows(world, model)}, (model, query)
                # Nothing of B anywhere on the page: not in rows, filters or choices.
                for leak in (b"Bravo", b"B-0001", b"B-0002", b"Brigitte"):
                    assert leak not in response.content, (model, query, leak)

    # Searching B's MRN and name through the blind index finds nothing.
    for term in ("B-0001", "Brigitte Bravo", str(world["patient"].external_id)):
        response = client.get("/admin/patients/patient/", {"q": term})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0

    # Autocomplete (the partner field of a patient points at Patient) returns none of B's patients.
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "patients", "model_name": "patient", "field_name": "partner", "term": ""},
    )
    if response.status_code == 200:
        results = {r["id"] for r in json.loads(response.content)["results"]}
        assert not results & b_ids
    else:
        assert response.status_code in (403, 404)

    # An attempted admin write changes nothing.
    before = _snapshot()
    patient = world["patient"]
    change_url = reverse("admin:patients_patient_change", args=[patient.pk])
    assert client.post(change_url, {"given_name": "Hacked", "mrn": "X", "clinic": world["a"].pk}).status_code == 404
    assert client.post(reverse("admin:patients_patient_delete", args=[patient.pk]), {"post": "yes"}).status_code == 404
    cycle_url = reverse("admin:cycles_treatmentcycle_change", args=[world["cycle"].pk])
    assert client.post(cycle_url, {"status": "cancelled"}).status_code == 404
    assert _snapshot() == before
    assert Patient.objects.filter(pk=patient.pk).exists()


def _b_rows(world: dict[str, Any], model: str) -> list[Any]:
    b = world["b"]
    app, name = model.split("/")
    from django.apps import apps

    m = apps.get_model(app, name)
    if hasattr(m, "clinic"):
        return list(m.objects.filter(clinic=b))
    if name == "embryoassessment":
        return list(m.objects.filter(embryo__cycle__clinic=b))
    return list(m.objects.filter(cycle__clinic=b))


def test_admin_can_add_patient_only_to_own_clinic(world: dict[str, Any]) -> None:
    user = _user(world["a"], Role.CLINIC_ADMIN)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:patients_patient_add"))
    assert response.status_code == 200
    clinic_choices = {c.pk for c in response.context["adminform"].form.fields["clinic"].queryset}
    assert clinic_choices == {world["a"].pk}
    before = Patient.objects.count()
    response = client.post(
        reverse("admin:patients_patient_add"),
        {
            "clinic": world["b"].pk,
            "mrn": "NEW-1",
            "given_name": "X",
            "family_name": "Y",
            "date_of_birth": "1990-01-01",
            "sex": "female",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "clinic" in response.context["adminform"].form.errors
    assert Patient.objects.count() == before


def test_explicit_share_opens_exactly_that_patient_and_its_cycles(world: dict[str, Any]) -> None:
    user = _user(world["a"], Role.VIEWER)
    owner = staff(world["b"], Role.CLINIC_ADMIN)
    patient_share(user=owner, patient=world["patient"], with_user=user)

    visible = patient_list(user=user)
    assert set(visible) == {world["own"], world["patient"]}
    assert patient_get(user=user, external_id=world["patient"].external_id) == world["patient"]
    with pytest.raises(NotFound):
        patient_get(user=user, external_id=world["other"].external_id)

    cycles = cycle_selectors.cycle_list(user=user).filter(clinic=world["b"])
    assert list(cycles) == [world["cycle"]]
    assert cycle_access.cycle_get(user=user, external_id=world["cycle"].external_id) == world["cycle"]
    with pytest.raises(NotFound):
        cycle_access.cycle_get(user=user, external_id=world["other_cycle"].external_id)
    assert set(cycle_selectors.oocyte_list(user=user).filter(cycle__clinic=world["b"])) == set(
        world["cycle"].oocytes.all()
    )
    assert list(analysis_list(user=user)) == [world["analysis"]]
    assert list(report_list(user=user)) == [world["report"]]

    # A view share is not a change share: writing is refused and nothing changes.
    before = _snapshot()
    from apps.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        patient_get(user=user, external_id=world["patient"].external_id, action="change")
    with pytest.raises(PermissionDenied):
        patient_update(user=user, patient=world["patient"], given_name="Changed")
    assert _snapshot() == before


def test_group_share_opens_the_patient_to_every_member(world: dict[str, Any]) -> None:
    owner = staff(world["b"], Role.CLINICIAN)
    viewer_a = _user(world["a"], Role.VIEWER)
    nurse_a = _user(world["a"], Role.NURSE)
    group = world["a"].roles.get(role=Role.NURSE).group
    patient_share(user=owner, patient=world["patient"], with_group=group)
    assert patient_list(user=nurse_a).filter(pk=world["patient"].pk).exists()
    assert not patient_list(user=viewer_a).filter(pk=world["patient"].pk).exists()


def test_a_sharee_cannot_reshare(world: dict[str, Any]) -> None:
    from apps.core.exceptions import PermissionDenied

    owner = staff(world["b"], Role.CLINICIAN)
    sharee = _user(world["a"], Role.CLINIC_ADMIN)
    third = _user(world["a"], Role.VIEWER)
    patient_share(
        user=owner, patient=world["patient"], with_user=sharee, permissions=("view_patient", "change_patient")
    )
    with pytest.raises(PermissionDenied):
        patient_share(user=sharee, patient=world["patient"], with_user=third)
    assert not patient_list(user=third).filter(pk=world["patient"].pk).exists()
    # ... nor through guardian's admin pages.
    client = Client()
    client.force_login(sharee)
    assert client.get(reverse("admin:patients_patient_permissions", args=[world["patient"].pk])).status_code == 404


def test_inactive_or_anonymous_users_see_nothing(world: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    user = _user(world["b"], Role.CLINIC_ADMIN)
    assert patient_list(user=user).count() == 2
    user.is_active = False
    user.save()
    assert patient_list(user=user).count() == 0
    assert patient_list(user=AnonymousUser()).count() == 0


def test_removed_staff_lose_access(world: dict[str, Any]) -> None:
    from apps.accounts.services import staff_remove

    user = _user(world["b"], Role.CLINICIAN)
    assert patient_list(user=user).count() == 2
    staff_remove(clinic=world["b"], user=user)
    assert patient_list(user=user).count() == 0


def test_client_login_for_each_role_works(world: dict[str, Any]) -> None:
    """Sanity: the users above can really log in (so the 404s are not login redirects)."""
    user = _user(world["a"], Role.NURSE)
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/patients/patient/").status_code == 200
