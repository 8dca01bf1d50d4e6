from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.models import Clinic
from apps.analyses.models import Analysis
from apps.core.models import BaseModel
from apps.cycles.models import TreatmentCycle
from apps.patients.models import Patient


class ReportType(models.TextChoices):
    SEMEN_ANALYSIS = "semen_analysis", "Semen analysis"
    EMBRYOLOGY = "embryology", "Embryology"
    CYCLE_SUMMARY = "cycle_summary", "Cycle summary"
    FOLLICLE_TRACKING = "follicle_tracking", "Follicle tracking"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINAL = "final", "Final"
    SIGNED = "signed", "Signed"


def report_upload_to(instance: Report, filename: str) -> str:
    return f"reports/{instance.clinic.external_id}/{instance.external_id}.pdf"


class Report(BaseModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="reports")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reports")
    cycle = models.ForeignKey(TreatmentCycle, on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    report_type = models.CharField(max_length=20, choices=ReportType.choices)
    analyses = models.ManyToManyField(Analysis, blank=True, related_name="reports")
    file = models.FileField(upload_to=report_upload_to, blank=True, max_length=300)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_report_type_display()} report {str(self.external_id)[:8]}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.patient_id and self.clinic_id and self.patient.clinic_id != self.clinic_id:
            errors["clinic"] = "The report must belong to the patient's clinic."
        if self.cycle is not None and self.patient_id and self.cycle.patient_id != self.patient_id:
            errors["cycle"] = "The cycle must be the patient's."
        if self.status == ReportStatus.SIGNED and (
            self.signed_by_id is None or self.signed_at is None or not self.sha256
        ):
            errors["status"] = "A signed report needs its signer, time and file checksum."
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.clinic.external_id)}
