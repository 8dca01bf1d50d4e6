from __future__ import annotations

from typing import Any

import django_filters
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from apps.accounts.roles import Scope
from apps.audit.models import AccessAction
from apps.core.api.views import ScopedViewSet
from apps.core.exceptions import ApplicationError
from apps.reports.api.serializers import ReportSerializer
from apps.reports.models import Report, ReportStatus, ReportType
from apps.reports.selectors import report_list


class PDFRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


class ReportFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient__external_id")
    cycle = django_filters.UUIDFilter(field_name="cycle__external_id")
    report_type = django_filters.ChoiceFilter(choices=ReportType.choices)
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = ["patient", "cycle", "report_type", "status"]


@extend_schema_view(
    list=extend_schema(summary="List reports"),
    retrieve=extend_schema(summary="Get a report's metadata"),
)
class ReportViewSet(ScopedViewSet):
    serializer_class = ReportSerializer
    selector = staticmethod(report_list)
    read_scope = Scope.REPORTS_READ
    filterset_class = ReportFilter

    def get_queryset(self) -> Any:
        return (
            self.base_queryset().select_related("patient", "cycle", "clinic", "signed_by").prefetch_related("analyses")
        )

    @extend_schema(
        summary="Download the report's PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    @action(detail=True, methods=["get"], url_path="download", renderer_classes=[PDFRenderer, JSONRenderer])
    def download(self, request: Request, id: str) -> FileResponse:
        report = self.get_object()
        if not report.file:
            raise ApplicationError("This report has no PDF yet.", code="REPORT_NOT_RENDERED", status=404)
        self.record_access([report], AccessAction.DOWNLOAD)
        response = FileResponse(report.file.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="report-{report.external_id}.pdf"'
        response["X-Content-SHA256"] = report.sha256
        return response
