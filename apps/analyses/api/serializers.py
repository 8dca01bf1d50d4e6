from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from apps.analyses.models import Analysis, AnalysisImage, Measurement


class MeasurementSerializer(serializers.ModelSerializer[Measurement]):
    class Meta:
        model = Measurement
        fields = ["name", "value", "unit", "ci_low", "ci_high", "reference_limit", "flag"]


class ImageSerializer(serializers.ModelSerializer[AnalysisImage]):
    id = serializers.UUIDField(source="external_id", read_only=True)

    class Meta:
        model = AnalysisImage
        fields = ["id", "sha256", "size_bytes", "format", "width", "height", "frames", "frame_rate", "pixel_spacing_um"]


class ModelInfoSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(source="model_name")
    version = serializers.CharField(source="model_version")
    sha256 = serializers.CharField(source="model_sha256")


class ReviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    state = serializers.CharField(source="review_state")
    reviewed_by = serializers.UUIDField(source="reviewed_by.external_id", read_only=True, allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    signature_meaning = serializers.CharField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A completed embryo analysis",
            value={
                "id": "9a1f3b52-8c6e-4d1a-b7f2-3e4d5c6b7a89",
                "patient": "3f1c2a9e-6b1d-4c55-9a57-2d0f6f1e8b21",
                "cycle": "5b2d9c1e-0f3a-4e7b-8c6d-1a2b3c4d5e6f",
                "oocyte": None,
                "embryo": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "kind": "embryo",
                "parameters": {"day": 5},
                "status": "completed",
                "error_code": "",
                "error_message": "",
                "model": {"name": "embryo-gardner", "version": "1.0.0", "sha256": "ab12…"},
                "measurements": [
                    {
                        "name": "expansion",
                        "value": 4,
                        "unit": "grade",
                        "ci_low": None,
                        "ci_high": None,
                        "reference_limit": None,
                        "flag": "",
                    }
                ],
                "results": {},
                "images": [],
                "review": {"state": "pending", "reviewed_by": None, "reviewed_at": None, "signature_meaning": ""},
                "queued_at": "2026-09-19T10:00:00Z",
                "started_at": "2026-09-19T10:00:01Z",
                "finished_at": "2026-09-19T10:00:02Z",
                "created_at": "2026-09-19T10:00:00Z",
            },
            response_only=True,
        )
    ]
)
class AnalysisSerializer(serializers.ModelSerializer[Analysis]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    patient: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    cycle: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True
    )
    oocyte: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True
    )
    embryo: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True
    )
    model = ModelInfoSerializer(source="*", read_only=True)
    review = ReviewSerializer(source="*", read_only=True)
    measurements = MeasurementSerializer(many=True, read_only=True)
    images = ImageSerializer(many=True, read_only=True)

    class Meta:
        model = Analysis
        fields = [
            "id",
            "patient",
            "cycle",
            "oocyte",
            "embryo",
            "kind",
            "parameters",
            "status",
            "error_code",
            "error_message",
            "model",
            "measurements",
            "results",
            "images",
            "review",
            "queued_at",
            "started_at",
            "finished_at",
            "created_at",
        ]
        read_only_fields = fields
