from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from apps.core.api.fields import VisibleRelatedField
from apps.cycles.models import (
    CycleStatus,
    Embryo,
    EmbryoAssessment,
    MonitoringVisit,
    Oocyte,
    Outcome,
    Transfer,
    TreatmentCycle,
)
from apps.cycles.selectors import cycle_list, embryo_list, oocyte_list
from apps.patients.selectors import patient_list

UUID_A = "3f1c2a9e-6b1d-4c55-9a57-2d0f6f1e8b21"
UUID_B = "5b2d9c1e-0f3a-4e7b-8c6d-1a2b3c4d5e6f"


class TransferSerializer(serializers.ModelSerializer[Transfer]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    embryos: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", many=True, read_only=True
    )

    class Meta:
        model = Transfer
        fields = ["id", "transfer_date", "embryos", "endometrial_thickness_mm", "difficulty"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An ICSI cycle",
            value={
                "id": UUID_B,
                "patient": UUID_A,
                "cycle_type": "icsi",
                "protocol": "antagonist",
                "sperm_source": "partner",
                "sperm_donor_code": "",
                "status": "retrieved",
                "start_date": "2026-09-01",
                "trigger_date": "2026-09-12",
                "retrieval_date": "2026-09-14",
                "outcome": "",
                "outcome_date": None,
                "cancellation_reason": "",
                "notes": "",
                "transfer": None,
                "created_at": "2026-09-01T09:30:00Z",
                "updated_at": "2026-09-14T12:00:00Z",
            },
            response_only=True,
        )
    ]
)
class CycleSerializer(serializers.ModelSerializer[TreatmentCycle]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient = VisibleRelatedField(selector=patient_list)
    transfer = TransferSerializer(read_only=True, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = TreatmentCycle
        fields = [
            "id",
            "patient",
            "cycle_type",
            "protocol",
            "sperm_source",
            "sperm_donor_code",
            "status",
            "start_date",
            "trigger_date",
            "retrieval_date",
            "outcome",
            "outcome_date",
            "cancellation_reason",
            "notes",
            "transfer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "outcome", "outcome_date", "cancellation_reason", "created_at", "updated_at"]


class CycleUpdateSerializer(CycleSerializer):
    patient = VisibleRelatedField(selector=patient_list, read_only=True)  # type: ignore[assignment]


class StatusChangeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=CycleStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Why, when cancelling.")


class OutcomeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_date = serializers.DateField()


class TransferCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    transfer_date = serializers.DateField()
    embryos = serializers.ListField(child=VisibleRelatedField(selector=embryo_list), min_length=1, max_length=4)
    endometrial_thickness_mm = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=30)
    difficulty = serializers.ChoiceField(choices=["easy", "moderate", "difficult"], required=False, allow_blank=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A stimulation scan",
            value={
                "id": UUID_A,
                "cycle": UUID_B,
                "visit_date": "2026-09-08",
                "cycle_day": 8,
                "estradiol_pg_ml": 980.0,
                "lh_iu_l": 3.1,
                "progesterone_ng_ml": 0.6,
                "endometrial_thickness_mm": 8.4,
                "left_follicles_mm": [14.5, 12.0, 11.0],
                "right_follicles_mm": [15.0, 10.5],
                "created_at": "2026-09-08T10:00:00Z",
            },
            response_only=True,
        )
    ]
)
class VisitSerializer(serializers.ModelSerializer[MonitoringVisit]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    cycle = VisibleRelatedField(selector=cycle_list)
    left_follicles_mm = serializers.ListField(
        child=serializers.FloatField(min_value=1, max_value=60),
        required=False,
        max_length=60,
        help_text="Mean follicle diameters in mm, left ovary.",
    )
    right_follicles_mm = serializers.ListField(
        child=serializers.FloatField(min_value=1, max_value=60),
        required=False,
        max_length=60,
        help_text="Mean follicle diameters in mm, right ovary.",
    )

    class Meta:
        model = MonitoringVisit
        fields = [
            "id",
            "cycle",
            "visit_date",
            "cycle_day",
            "estradiol_pg_ml",
            "lh_iu_l",
            "progesterone_ng_ml",
            "endometrial_thickness_mm",
            "left_follicles_mm",
            "right_follicles_mm",
            "created_at",
        ]
        read_only_fields = ["created_at"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A mature oocyte",
            value={
                "id": UUID_A,
                "cycle": UUID_B,
                "number": 3,
                "maturity": "MII",
                "insemination": "icsi",
                "pronuclei": 2,
                "damaged": False,
                "created_at": "2026-09-14T11:00:00Z",
            },
            response_only=True,
        )
    ]
)
class OocyteSerializer(serializers.ModelSerializer[Oocyte]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    cycle = VisibleRelatedField(selector=cycle_list)

    class Meta:
        model = Oocyte
        fields = ["id", "cycle", "number", "maturity", "insemination", "pronuclei", "damaged", "created_at"]
        read_only_fields = ["created_at"]
        validators: list[object] = []  # uniqueness is the service's (stable code DUPLICATE_NUMBER)


class OocyteUpdateSerializer(OocyteSerializer):
    cycle = VisibleRelatedField(selector=cycle_list, read_only=True)  # type: ignore[assignment]
    number = serializers.IntegerField(read_only=True)


class AssessmentSerializer(serializers.ModelSerializer[EmbryoAssessment]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    gardner = serializers.CharField(read_only=True, help_text='Gardner grade, e.g. "4AB" (day 5/6), else empty.')

    class Meta:
        model = EmbryoAssessment
        fields = [
            "id",
            "day",
            "assessed_at",
            "pronuclei",
            "cell_count",
            "fragmentation_pct",
            "multinucleation",
            "cleavage_grade",
            "expansion",
            "icm",
            "te",
            "gardner",
            "created_at",
        ]
        read_only_fields = ["created_at"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A day-5 blastocyst",
            value={
                "id": UUID_A,
                "cycle": UUID_B,
                "oocyte": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "number": 3,
                "fate": "frozen",
                "fate_date": "2026-09-19",
                "assessments": [
                    {
                        "id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
                        "day": 5,
                        "assessed_at": None,
                        "pronuclei": None,
                        "cell_count": None,
                        "fragmentation_pct": None,
                        "multinucleation": None,
                        "cleavage_grade": None,
                        "expansion": 4,
                        "icm": "A",
                        "te": "B",
                        "gardner": "4AB",
                        "created_at": "2026-09-19T10:00:00Z",
                    }
                ],
                "created_at": "2026-09-15T10:00:00Z",
            },
            response_only=True,
        )
    ]
)
class EmbryoSerializer(serializers.ModelSerializer[Embryo]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    cycle: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    oocyte = VisibleRelatedField(selector=oocyte_list)
    number = serializers.IntegerField(required=False, min_value=1, max_value=999)
    assessments = AssessmentSerializer(many=True, read_only=True)

    class Meta:
        model = Embryo
        fields = ["id", "cycle", "oocyte", "number", "fate", "fate_date", "assessments", "created_at"]
        read_only_fields = ["fate", "fate_date", "created_at"]
