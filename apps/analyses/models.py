from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.models import Clinic
from apps.core.models import BaseModel
from apps.cycles.models import Embryo, Oocyte, TreatmentCycle
from apps.patients.models import Patient


class AnalysisKind(models.TextChoices):
    SPERM = "sperm", "Sperm"
    OOCYTE = "oocyte", "Oocyte"
    EMBRYO = "embryo", "Embryo"
    FOLLICLE = "follicle", "Follicle"


class AnalysisStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected by quality control"


class ReviewState(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    AMENDED = "amended", "Amended"
    REJECTED = "rejected", "Rejected"


def image_upload_to(instance: AnalysisImage, filename: str) -> str:
    # The stored name never carries the uploaded file name (it may hold PHI).
    ext = (instance.format or "bin").lower()
    return (
        f"analyses/{instance.analysis.clinic.external_id}/{instance.analysis.external_id}/{instance.external_id}.{ext}"
    )


class Analysis(BaseModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="analyses")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="analyses")
    cycle = models.ForeignKey(TreatmentCycle, on_delete=models.CASCADE, null=True, blank=True, related_name="analyses")
    oocyte = models.ForeignKey(Oocyte, on_delete=models.SET_NULL, null=True, blank=True, related_name="analyses")
    embryo = models.ForeignKey(Embryo, on_delete=models.SET_NULL, null=True, blank=True, related_name="analyses")
    kind = models.CharField(max_length=10, choices=AnalysisKind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.QUEUED, db_index=True
    )
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True, help_text="Never contains PHI.")
    results = models.JSONField(default=dict, blank=True)
    model_name = models.CharField(max_length=80, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    signature_meaning = models.CharField(
        max_length=200, blank=True, help_text="What the reviewer's signature attests, e.g. 'reviewed and approved'."
    )
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} analysis {str(self.external_id)[:8]}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.patient_id and self.clinic_id and self.patient.clinic_id != self.clinic_id:
            errors["clinic"] = "The analysis must belong to the patient's clinic."
        if self.cycle is not None and self.patient_id and self.cycle.patient_id != self.patient_id:
            errors["cycle"] = "The cycle must be the patient's."
        for name in ("oocyte", "embryo"):
            part = getattr(self, name)
            if part is not None and part.cycle_id != self.cycle_id:
                errors[name] = f"The {name} must belong to the analysis' cycle."
        if self.review_state != ReviewState.PENDING and (self.reviewed_by_id is None or self.reviewed_at is None):
            errors["review_state"] = "A review needs its reviewer and time."
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.clinic.external_id)}


class AnalysisImage(BaseModel):
    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=image_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=10, help_text="png, jpeg, tiff, dicom, ...")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frames = models.PositiveIntegerField(default=1)
    frame_rate = models.FloatField(null=True, blank=True, help_text="Frames per second, for video.")
    pixel_spacing_um = models.FloatField(null=True, blank=True, help_text="Micrometres per pixel, if known.")

    class Meta:
        ordering = ["analysis", "created_at"]

    def __str__(self) -> str:
        return f"Image {str(self.external_id)[:8]}"

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.analysis.clinic.external_id)}


class Measurement(models.Model):
    """One normalised measurement of an analysis (DESIGN.md vocabulary), queryable across analyses."""

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="measurements")
    name = models.CharField(max_length=60)
    value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=30, blank=True)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    reference_limit = models.FloatField(null=True, blank=True)
    flag = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["analysis", "name"]
        constraints = [
            models.UniqueConstraint(fields=["analysis", "name"], name="measurement_name_unique_per_analysis")
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.value} {self.unit}"
