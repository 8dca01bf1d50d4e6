from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.accounts.models import Clinic
from apps.core.fields import EncryptedTextField
from apps.core.models import BaseModel
from apps.cycles import clinical as c
from apps.patients.models import Patient


class CycleType(models.TextChoices):
    IVF = "ivf", "IVF"
    ICSI = "icsi", "ICSI"
    FET = "fet", "Frozen embryo transfer"
    IUI = "iui", "IUI"
    OI = "oi", "Ovulation induction"
    EGG_FREEZING = "egg_freezing", "Egg freezing"


class Protocol(models.TextChoices):
    ANTAGONIST = "antagonist", "Antagonist"
    LONG_AGONIST = "long_agonist", "Long agonist"
    SHORT = "short", "Short (flare)"
    MILD_NATURAL = "mild_natural", "Mild / natural"
    PPOS = "ppos", "Progestin-primed (PPOS)"


class CycleStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    STIMULATING = "stimulating", "Stimulating"
    TRIGGERED = "triggered", "Triggered"
    RETRIEVED = "retrieved", "Retrieved"
    TRANSFERRED = "transferred", "Transferred"
    OUTCOME_PENDING = "outcome_pending", "Outcome pending"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Allowed status moves. A FET skips stimulation and retrieval; any open cycle may be cancelled.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    CycleStatus.PLANNED: frozenset({CycleStatus.STIMULATING, CycleStatus.TRANSFERRED, CycleStatus.CANCELLED}),
    CycleStatus.STIMULATING: frozenset({CycleStatus.TRIGGERED, CycleStatus.CANCELLED}),
    CycleStatus.TRIGGERED: frozenset({CycleStatus.RETRIEVED, CycleStatus.OUTCOME_PENDING, CycleStatus.CANCELLED}),
    CycleStatus.RETRIEVED: frozenset({CycleStatus.TRANSFERRED, CycleStatus.CLOSED, CycleStatus.CANCELLED}),
    CycleStatus.TRANSFERRED: frozenset({CycleStatus.OUTCOME_PENDING, CycleStatus.CANCELLED}),
    CycleStatus.OUTCOME_PENDING: frozenset({CycleStatus.CLOSED}),
    CycleStatus.CLOSED: frozenset(),
    CycleStatus.CANCELLED: frozenset(),
}


class Outcome(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    BIOCHEMICAL = "biochemical", "Biochemical pregnancy"
    CLINICAL_PREGNANCY = "clinical_pregnancy", "Clinical pregnancy"
    ONGOING = "ongoing", "Ongoing pregnancy"
    LIVE_BIRTH = "live_birth", "Live birth"
    MISCARRIAGE = "miscarriage", "Miscarriage"
    ECTOPIC = "ectopic", "Ectopic pregnancy"


class SpermSource(models.TextChoices):
    PARTNER = "partner", "Partner"
    DONOR = "donor", "Donor"
    NONE = "none", "None (e.g. egg freezing)"


class TreatmentCycle(BaseModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cycles")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="cycles")
    cycle_type = models.CharField(max_length=20, choices=CycleType.choices)
    protocol = models.CharField(max_length=20, choices=Protocol.choices, blank=True)
    sperm_source = models.CharField(max_length=10, choices=SpermSource.choices, default=SpermSource.PARTNER)
    sperm_donor_code = models.CharField(max_length=40, blank=True, help_text="Bank reference of the donor.")
    status = models.CharField(max_length=20, choices=CycleStatus.choices, default=CycleStatus.PLANNED, db_index=True)
    start_date = models.DateField(help_text="Day 1 of the cycle (or of stimulation).")
    trigger_date = models.DateField(null=True, blank=True)
    retrieval_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_date = models.DateField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    notes = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-start_date", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_cycle_type_display()} cycle {str(self.external_id)[:8]}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.patient_id and self.clinic_id and self.patient.clinic_id != self.clinic_id:
            errors["clinic"] = "The cycle must belong to the patient's clinic."
        order = [
            ("start_date", self.start_date),
            ("trigger_date", self.trigger_date),
            ("retrieval_date", self.retrieval_date),
            ("outcome_date", self.outcome_date),
        ]
        previous: tuple[str, Any] | None = None
        for name, value in order:
            if value is None:
                continue
            if previous is not None and value < previous[1]:
                errors[name] = f"Must not be before {previous[0].replace('_', ' ')}."
            previous = (name, value)
        if self.sperm_source == SpermSource.DONOR and not self.sperm_donor_code:
            errors["sperm_donor_code"] = "A donor cycle needs the donor's bank reference."
        if self.outcome and self.status not in {CycleStatus.OUTCOME_PENDING, CycleStatus.CLOSED}:
            errors["outcome"] = "An outcome is recorded only once the cycle awaits or has its outcome."
        if self.status == CycleStatus.CANCELLED and not self.cancellation_reason:
            errors["cancellation_reason"] = "Say why the cycle was cancelled."
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.clinic.external_id)}


def _positive(max_value: float) -> list[Any]:
    return [MinValueValidator(0), MaxValueValidator(max_value)]


class MonitoringVisit(BaseModel):
    """A scan and blood test during stimulation. Follicle diameters are mean diameters in mm, per ovary."""

    cycle = models.ForeignKey(TreatmentCycle, on_delete=models.CASCADE, related_name="visits")
    visit_date = models.DateField()
    cycle_day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(c.CYCLE_DAY_MAX)])
    estradiol_pg_ml = models.FloatField(null=True, blank=True, validators=_positive(c.ESTRADIOL_PG_ML_MAX))
    lh_iu_l = models.FloatField("LH (IU/L)", null=True, blank=True, validators=_positive(c.LH_IU_L_MAX))
    progesterone_ng_ml = models.FloatField(null=True, blank=True, validators=_positive(c.PROGESTERONE_NG_ML_MAX))
    endometrial_thickness_mm = models.FloatField(null=True, blank=True, validators=_positive(c.ENDOMETRIUM_MM_MAX))
    left_follicles_mm = models.JSONField(default=list, blank=True)
    right_follicles_mm = models.JSONField(default=list, blank=True)
    analysis = models.ForeignKey(
        "analyses.Analysis",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The follicle analysis the diameters came from, if any.",
    )

    class Meta:
        ordering = ["cycle", "visit_date", "created_at"]

    def __str__(self) -> str:
        return f"Visit day {self.cycle_day}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for side in ("left_follicles_mm", "right_follicles_mm"):
            values = getattr(self, side)
            if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
            ):
                errors[side] = "A list of diameters in millimetres is expected."
            elif any(not c.FOLLICLE_DIAMETER_MM_MIN <= v <= c.FOLLICLE_DIAMETER_MM_MAX for v in values):
                errors[side] = (
                    f"Follicle diameters must be between {c.FOLLICLE_DIAMETER_MM_MIN:g} and "
                    f"{c.FOLLICLE_DIAMETER_MM_MAX:g} mm."
                )
        if self.cycle_id and self.visit_date and self.visit_date < self.cycle.start_date:
            errors["visit_date"] = "A monitoring visit cannot be before the cycle starts."
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.cycle.clinic.external_id)}


class Maturity(models.TextChoices):
    GV = "GV", "Germinal vesicle (GV)"
    MI = "MI", "Metaphase I (MI)"
    MII = "MII", "Metaphase II (MII)"
    DEGENERATE = "degenerate", "Degenerate"
    UNKNOWN = "unknown", "Not assessed"


class Insemination(models.TextChoices):
    IVF = "ivf", "Conventional IVF"
    ICSI = "icsi", "ICSI"
    NONE = "none", "Not inseminated (frozen or discarded)"


class Oocyte(BaseModel):
    cycle = models.ForeignKey(TreatmentCycle, on_delete=models.CASCADE, related_name="oocytes")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    maturity = models.CharField(max_length=12, choices=Maturity.choices, default=Maturity.UNKNOWN)
    insemination = models.CharField(max_length=5, choices=Insemination.choices, blank=True)
    pronuclei = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(c.PRONUCLEI_MAX)],
        help_text="Pronuclei counted at the fertilisation check (17 ± 1 h); 2 is normal.",
    )
    damaged = models.BooleanField(default=False, help_text="Damaged by injection (ICSI).")

    class Meta:
        ordering = ["cycle", "number"]
        constraints = [models.UniqueConstraint(fields=["cycle", "number"], name="oocyte_number_unique_per_cycle")]

    def __str__(self) -> str:
        return f"Oocyte {self.number}"

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.cycle.clinic.external_id)}


class EmbryoFate(models.TextChoices):
    IN_CULTURE = "in_culture", "In culture"
    TRANSFERRED = "transferred", "Transferred"
    FROZEN = "frozen", "Frozen"
    DISCARDED = "discarded", "Discarded"
    BIOPSIED = "biopsied", "Biopsied"


class Embryo(BaseModel):
    cycle = models.ForeignKey(TreatmentCycle, on_delete=models.CASCADE, related_name="embryos")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    oocyte = models.OneToOneField(Oocyte, on_delete=models.PROTECT, related_name="embryo")
    fate = models.CharField(max_length=12, choices=EmbryoFate.choices, default=EmbryoFate.IN_CULTURE)
    fate_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["cycle", "number"]
        constraints = [models.UniqueConstraint(fields=["cycle", "number"], name="embryo_number_unique_per_cycle")]

    def __str__(self) -> str:
        return f"Embryo {self.number}"

    def clean(self) -> None:
        if self.oocyte_id and self.cycle_id and self.oocyte.cycle_id != self.cycle_id:
            raise ValidationError({"oocyte": "An embryo must come from an oocyte of the same cycle."})

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.cycle.clinic.external_id)}


class EmbryoAssessment(BaseModel):
    """One look at an embryo on one day: pronuclei (day 1), cleavage (days 2–3), blastocyst (days 5–6)."""

    embryo = models.ForeignKey(Embryo, on_delete=models.CASCADE, related_name="assessments")
    day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(c.EMBRYO_DAY_MIN), MaxValueValidator(c.EMBRYO_DAY_MAX)]
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    pronuclei = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(c.PRONUCLEI_MAX)])
    cell_count = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(c.CELL_COUNT_MAX)]
    )
    fragmentation_pct = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    multinucleation = models.BooleanField(null=True, blank=True)
    cleavage_grade = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(g, str(g)) for g in c.ISTANBUL_CLEAVAGE_GRADES]
    )
    expansion = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(c.GARDNER_EXPANSION_MIN), MaxValueValidator(c.GARDNER_EXPANSION_MAX)],
    )
    icm = models.CharField("ICM grade", max_length=1, blank=True, choices=c.GARDNER_GRADE_CHOICES)
    te = models.CharField("TE grade", max_length=1, blank=True, choices=c.GARDNER_GRADE_CHOICES)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    analysis = models.ForeignKey(
        "analyses.Analysis", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["embryo", "day", "created_at"]

    def __str__(self) -> str:
        return f"Day {self.day}" + (f" {self.gardner}" if self.gardner else "")

    @property
    def gardner(self) -> str:
        if self.expansion is None:
            return ""
        return f"{self.expansion}{self.icm}{self.te}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.expansion is not None:
            if self.day is not None and self.day < 4:
                errors["expansion"] = "Blastocyst expansion is graded from day 4 on."
            if self.expansion < c.GARDNER_ICM_TE_MIN_EXPANSION and (self.icm or self.te):
                errors["icm"] = f"ICM and TE are graded only at expansion {c.GARDNER_ICM_TE_MIN_EXPANSION} or more."
            if self.expansion >= c.GARDNER_ICM_TE_MIN_EXPANSION and bool(self.icm) != bool(self.te):
                errors["te"] = "Grade ICM and TE together."
        elif self.icm or self.te:
            errors["expansion"] = "ICM and TE grades need an expansion grade."
        if self.pronuclei is not None and self.day not in (0, 1):
            errors["pronuclei"] = "Pronuclei are assessed on day 1."
        if self.cell_count is not None and self.day is not None and self.day < 1:
            errors["cell_count"] = "Cells are counted from day 1 on."
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.embryo.cycle.clinic.external_id)}


class Transfer(BaseModel):
    """An embryo transfer. In a FET the embryos come from an earlier cycle of the same patient."""

    cycle = models.OneToOneField(TreatmentCycle, on_delete=models.CASCADE, related_name="transfer")
    transfer_date = models.DateField()
    embryos = models.ManyToManyField(Embryo, related_name="transfers")
    endometrial_thickness_mm = models.FloatField(null=True, blank=True, validators=_positive(c.ENDOMETRIUM_MM_MAX))
    difficulty = models.CharField(
        max_length=10, blank=True, choices=[("easy", "Easy"), ("moderate", "Moderate"), ("difficult", "Difficult")]
    )
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["-transfer_date"]

    def __str__(self) -> str:
        return f"Transfer {str(self.external_id)[:8]}"

    def clean(self) -> None:
        if not self.cycle_id or not self.transfer_date:
            return
        cycle = self.cycle
        errors: dict[str, str] = {}
        earliest = cycle.retrieval_date or cycle.start_date
        if self.transfer_date < earliest:
            errors["transfer_date"] = "The transfer cannot be before retrieval (or the start of the cycle)."
        if cycle.outcome_date and self.transfer_date > cycle.outcome_date:
            errors["transfer_date"] = "The transfer cannot be after the outcome."
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.cycle.clinic.external_id)}
