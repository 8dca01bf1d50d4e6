from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet

from apps.analyses.models import Analysis, AnalysisImage, Measurement
from apps.analyses.selectors import analysis_list
from apps.core.admin import ScopedInline, ScopedModelAdmin, register_scope


def _image_scope(*, user: Any, action: str = "view") -> QuerySet[AnalysisImage]:
    return AnalysisImage.objects.filter(analysis__in=analysis_list(user=user, action=action))  # type: ignore[arg-type]


register_scope(Analysis, analysis_list)
register_scope(AnalysisImage, _image_scope)


class ImageInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = AnalysisImage
    fields = ("file", "format", "width", "height", "frames", "frame_rate", "pixel_spacing_um", "size_bytes", "sha256")
    readonly_fields = fields


class MeasurementInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Measurement
    fields = ("name", "value", "unit", "ci_low", "ci_high", "reference_limit", "flag")
    readonly_fields = fields
    show_change_link = False


@admin.register(Analysis)
class AnalysisAdmin(ScopedModelAdmin):
    list_display = ("__str__", "clinic", "kind", "status", "review_state", "model_name", "model_version", "created_at")
    list_filter = ("clinic", "kind", "status", "review_state")
    list_select_related = ("clinic",)
    search_fields = ("external_id",)
    raw_id_fields = ("patient", "cycle", "oocyte", "embryo")
    readonly_fields = (
        "external_id",
        "status",
        "error_code",
        "error_message",
        "results",
        "model_name",
        "model_version",
        "model_sha256",
        "queued_at",
        "started_at",
        "finished_at",
        "requested_by",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    inlines = [ImageInline, MeasurementInline]


@admin.register(AnalysisImage)
class AnalysisImageAdmin(ScopedModelAdmin):
    list_display = ("__str__", "analysis", "format", "width", "height", "frames", "size_bytes")
    raw_id_fields = ("analysis",)
    readonly_fields = ("sha256", "size_bytes")
