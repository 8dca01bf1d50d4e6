from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.accounts.models import Clinic
from apps.core import crypto
from apps.core.fields import EncryptedCharField, EncryptedDateField, EncryptedEmailField, EncryptedTextField
from apps.core.models import BaseModel

MRN_INDEX = "patient.mrn"
NAME_INDEX = "patient.full_name"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Patient(BaseModel):
    """One person in treatment. PHI columns hold ciphertext; `*_index` columns hold keyed hashes.

    A couple is two patients of the same clinic linked through `partner` (set on both sides by
    `patients.services.patient_link_partner`).
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = EncryptedCharField("MRN", max_length=64, help_text="Medical record number, unique within the clinic.")
    mrn_index = models.CharField(max_length=64, editable=False, db_index=True)
    given_name = EncryptedCharField(max_length=120)
    family_name = EncryptedCharField(max_length=120)
    name_index = models.CharField(max_length=64, editable=False, db_index=True)
    date_of_birth = EncryptedDateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    email = EncryptedEmailField(blank=True, default="")
    phone = EncryptedCharField(max_length=40, blank=True, default="")
    address = EncryptedTextField(blank=True, default="")
    medical_history = EncryptedTextField(blank=True, default="")
    partner = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_of",
        help_text="The other member of the couple (same clinic).",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "mrn_index"],
                name="patient_mrn_unique_per_clinic",
                violation_error_message="A patient with this MRN already exists in the clinic.",
                violation_error_code="duplicate",
            ),
            models.CheckConstraint(condition=~models.Q(partner=models.F("pk")), name="patient_not_own_partner"),
        ]

    def __str__(self) -> str:
        # Shown in the admin and in logs of object names: the external id, never the name.
        return f"Patient {str(self.external_id)[:8]}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def refresh_indexes(self) -> None:
        self.mrn_index = crypto.blind_index(self.mrn, purpose=MRN_INDEX)
        self.name_index = crypto.blind_index(self.full_name, purpose=NAME_INDEX)

    def clean(self) -> None:
        # Indexes first: the clinic-unique MRN constraint is validated on mrn_index after clean().
        if self.mrn is not None and self.given_name is not None and self.family_name is not None:
            self.refresh_indexes()
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "Date of birth cannot be in the future."})
        if self.partner_id is not None:
            if self.partner_id == self.pk:
                raise ValidationError({"partner": "A patient cannot be their own partner."})
            if self.partner and self.partner.clinic_id != self.clinic_id:
                raise ValidationError({"partner": "Partners must belong to the same clinic."})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_indexes()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "mrn_index", "name_index"}
        super().save(*args, **kwargs)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.clinic.external_id)}


class ConsentKind(models.TextChoices):
    RESEARCH_USE = "research_use", "Use of data and images for research"
    DATA_RETENTION = "data_retention", "Retention of data beyond the legal minimum"


class Consent(BaseModel):
    """A consent decision. A new decision is a new row, so the history of decisions is kept."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=30, choices=ConsentKind.choices)
    granted = models.BooleanField()
    decided_on = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["patient", "kind", "-decided_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {'granted' if self.granted else 'refused'}"

    def clean(self) -> None:
        if self.valid_until and self.decided_on and self.valid_until < self.decided_on:
            raise ValidationError({"valid_until": "The end of validity cannot be before the decision."})

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.patient.clinic.external_id)}


# guardian's direct foreign-key tables: explicit shares of one patient with a user or a group.
class PatientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)


class PatientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)
