from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from apps.accounts.models import Clinic
from apps.accounts.roles import CHANGE_PATIENTS
from apps.accounts.selectors import clinics_with_permission
from apps.core.api.fields import VisibleRelatedField
from apps.patients.models import Consent, Patient
from apps.patients.selectors import patient_list

PATIENT_EXAMPLE = {
    "id": "3f1c2a9e-6b1d-4c55-9a57-2d0f6f1e8b21",
    "clinic": "8d4f0a57-0c1b-4f0e-9a44-b1f0c3d2e7a1",
    "mrn": "NORTH-1042",
    "given_name": "Amelia",
    "family_name": "Rossi",
    "date_of_birth": "1988-04-12",
    "sex": "female",
    "email": "amelia.rossi@example.org",
    "phone": "+44 7700 900123",
    "address": "",
    "medical_history": "PCOS.",
    "partner": "a7e2c3d4-1111-4c55-9a57-2d0f6f1e8b99",
    "consents": [{"kind": "research_use", "granted": True, "decided_on": "2026-09-01", "valid_until": None}],
    "created_at": "2026-09-01T09:30:00Z",
    "updated_at": "2026-09-01T09:30:00Z",
}


class ConsentSerializer(serializers.ModelSerializer[Consent]):
    class Meta:
        model = Consent
        fields = ["kind", "granted", "decided_on", "valid_until"]


@extend_schema_serializer(examples=[OpenApiExample("A patient", value=PATIENT_EXAMPLE, response_only=True)])
class PatientSerializer(serializers.ModelSerializer[Patient]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    clinic = serializers.SlugRelatedField(
        slug_field="external_id",
        queryset=Clinic.objects.all(),
        required=False,
        help_text="The clinic's id. Optional when the credentials belong to exactly one clinic.",
    )
    partner = VisibleRelatedField(selector=patient_list, required=False, allow_null=True)
    consents = ConsentSerializer(many=True, read_only=True)
    mrn = serializers.CharField(max_length=64)
    given_name = serializers.CharField(max_length=120)
    family_name = serializers.CharField(max_length=120)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    address = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    medical_history = serializers.CharField(required=False, allow_blank=True, max_length=20000)

    class Meta:
        model = Patient
        fields = [
            "id",
            "clinic",
            "mrn",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "address",
            "medical_history",
            "partner",
            "consents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        # Choices (and the browsable API's dropdown) offer only clinics these credentials may write to.
        user = getattr(request, "user", None)
        fields["clinic"].queryset = clinics_with_permission(user=user, codename=CHANGE_PATIENTS)  # type: ignore[attr-defined]
        return fields

    def validate_mrn(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.", code="blank")
        return value

    def to_representation(self, instance: Patient) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["clinic"] = str(instance.clinic.external_id)
        return data
