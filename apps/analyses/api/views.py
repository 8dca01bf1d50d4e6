from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view

from apps.accounts.roles import Scope
from apps.analyses.api.serializers import AnalysisSerializer
from apps.analyses.models import Analysis, AnalysisKind, AnalysisStatus, ReviewState
from apps.analyses.selectors import analysis_list
from apps.core.api.views import ScopedViewSet


class AnalysisFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient__external_id")
    cycle = django_filters.UUIDFilter(field_name="cycle__external_id")
    kind = django_filters.ChoiceFilter(choices=AnalysisKind.choices)
    status = django_filters.ChoiceFilter(choices=AnalysisStatus.choices)
    review_state = django_filters.ChoiceFilter(choices=ReviewState.choices)

    class Meta:
        model = Analysis
        fields = ["patient", "cycle", "kind", "status", "review_state"]


@extend_schema_view(
    list=extend_schema(summary="List analyses"),
    retrieve=extend_schema(summary="Get an analysis with its measurements"),
)
class AnalysisViewSet(ScopedViewSet):
    serializer_class = AnalysisSerializer
    selector = staticmethod(analysis_list)
    read_scope = Scope.ANALYSES_READ
    write_scope = Scope.ANALYSES_WRITE
    filterset_class = AnalysisFilter

    def get_queryset(self) -> Any:
        return (
            self.base_queryset()
            .select_related("patient", "cycle", "oocyte", "embryo", "clinic", "reviewed_by")
            .prefetch_related("measurements", "images")
        )
