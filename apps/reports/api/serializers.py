from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from apps.reports.models import Report


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A signed semen analysis report",
            value={
                "id": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
                "patient": "3f1c2a9e-6b1d-4c55-9a57-2d0f6f1e8b21",
                "cycle": None,
                "report_type": "semen_analysis",
                "status": "signed",
                "analyses": ["9a1f3b52-8c6e-4d1a-b7f2-3e4d5c6b7a89"],
                "sha256": "9f86d081884c7d65…",
                "signed_by": "d2c1b0a9-8f7e-4d6c-5b4a-392817161514",
                "signed_at": "2026-09-20T15:00:00Z",
                "has_file": True,
                "created_at": "2026-09-20T14:00:00Z",
            },
            response_only=True,
        )
    ]
)
class ReportSerializer(serializers.ModelSerializer[Report]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    cycle: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True
    )
    analyses: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", many=True, read_only=True
    )
    signed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True
    )
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "patient",
            "cycle",
            "report_type",
            "status",
            "analyses",
            "sha256",
            "signed_by",
            "signed_at",
            "has_file",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_file(self, obj: Report) -> bool:
        return bool(obj.file)
