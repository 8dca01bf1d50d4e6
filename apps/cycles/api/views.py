from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.roles import Scope
from apps.core.api.views import ScopedViewSet
from apps.cycles import selectors, services
from apps.cycles.api.serializers import (
    AssessmentSerializer,
    CycleSerializer,
    CycleUpdateSerializer,
    EmbryoSerializer,
    OocyteSerializer,
    OocyteUpdateSerializer,
    OutcomeSerializer,
    StatusChangeSerializer,
    TransferCreateSerializer,
    VisitSerializer,
)
from apps.cycles.models import CycleStatus, CycleType, Embryo, MonitoringVisit, Oocyte, TreatmentCycle


class CycleFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient__external_id")
    status = django_filters.ChoiceFilter(choices=CycleStatus.choices)
    cycle_type = django_filters.ChoiceFilter(choices=CycleType.choices)
    started_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    started_before = django_filters.DateFilter(field_name="start_date", lookup_expr="lte")

    class Meta:
        model = TreatmentCycle
        fields = ["patient", "status", "cycle_type", "started_after", "started_before"]


class CycleChildFilter(django_filters.FilterSet):
    cycle = django_filters.UUIDFilter(field_name="cycle__external_id")


class VisitFilter(CycleChildFilter):
    class Meta:
        model = MonitoringVisit
        fields = ["cycle"]


class OocyteFilter(CycleChildFilter):
    class Meta:
        model = Oocyte
        fields = ["cycle", "maturity"]


class EmbryoFilter(CycleChildFilter):
    class Meta:
        model = Embryo
        fields = ["cycle", "fate"]


class CycleScoped(ScopedViewSet):
    read_scope = Scope.CYCLES_READ
    write_scope = Scope.CYCLES_WRITE


@extend_schema_view(
    list=extend_schema(summary="List treatment cycles"),
    retrieve=extend_schema(summary="Get a treatment cycle"),
    create=extend_schema(summary="Start a treatment cycle"),
    partial_update=extend_schema(summary="Change a cycle's dates, protocol or notes", request=CycleUpdateSerializer),
)
class CycleViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, CycleScoped):
    serializer_class = CycleSerializer
    selector = staticmethod(selectors.cycle_list)
    filterset_class = CycleFilter
    ordering_fields = ["start_date", "created_at"]
    ordering = ["-start_date", "external_id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return (
            self.base_queryset().select_related("patient", "clinic", "transfer").prefetch_related("transfer__embryos")
        )

    def get_serializer_class(self) -> Any:
        return CycleUpdateSerializer if self.action == "partial_update" else CycleSerializer

    def perform_create(self, serializer: CycleSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        cycle = services.cycle_create(user=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=cycle.pk)

    def perform_update(self, serializer: CycleSerializer) -> None:  # type: ignore[override]
        assert serializer.instance is not None
        cycle = services.cycle_update(user=self.request.user, cycle=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=cycle.pk)

    def _respond(self, cycle: TreatmentCycle, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            CycleSerializer(self.get_queryset().get(pk=cycle.pk), context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(summary="Move a cycle to its next status", request=StatusChangeSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, id: str) -> Response:
        cycle = self.get_object()
        body = StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = services.cycle_set_status(
            user=request.user,
            cycle=cycle,
            status=body.validated_data["status"],
            reason=body.validated_data.get("reason", ""),
        )
        return self._respond(cycle)

    @extend_schema(summary="Record the outcome", request=OutcomeSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"], url_path="outcome")
    def outcome(self, request: Request, id: str) -> Response:
        cycle = self.get_object()
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = services.outcome_record(user=request.user, cycle=cycle, **body.validated_data)
        return self._respond(cycle)

    @extend_schema(
        summary="Record the embryo transfer", request=TransferCreateSerializer, responses={201: CycleSerializer}
    )
    @action(detail=True, methods=["post"], url_path="transfer")
    def transfer(self, request: Request, id: str) -> Response:
        cycle = self.get_object()
        body = TransferCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        services.transfer_record(user=request.user, cycle=cycle, **data)
        return self._respond(cycle, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List monitoring visits"),
    retrieve=extend_schema(summary="Get a monitoring visit"),
    create=extend_schema(summary="Record a monitoring visit"),
)
class VisitViewSet(mixins.CreateModelMixin, CycleScoped):
    serializer_class = VisitSerializer
    selector = staticmethod(selectors.visit_list)
    filterset_class = VisitFilter
    ordering_fields = ["visit_date", "created_at"]
    ordering = ["visit_date", "external_id"]

    def get_queryset(self) -> Any:
        return self.base_queryset().select_related("cycle__clinic")

    def perform_create(self, serializer: VisitSerializer) -> None:  # type: ignore[override]
        visit = services.visit_add(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=visit.pk)


@extend_schema_view(
    list=extend_schema(summary="List oocytes"),
    retrieve=extend_schema(summary="Get an oocyte"),
    create=extend_schema(summary="Record a collected oocyte"),
    partial_update=extend_schema(
        summary="Change an oocyte's maturity or fertilisation", request=OocyteUpdateSerializer
    ),
)
class OocyteViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, CycleScoped):
    serializer_class = OocyteSerializer
    selector = staticmethod(selectors.oocyte_list)
    filterset_class = OocyteFilter
    ordering_fields = ["number", "created_at"]
    ordering = ["number", "external_id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return self.base_queryset().select_related("cycle__clinic")

    def get_serializer_class(self) -> Any:
        return OocyteUpdateSerializer if self.action == "partial_update" else OocyteSerializer

    def perform_create(self, serializer: OocyteSerializer) -> None:  # type: ignore[override]
        oocyte = services.oocyte_add(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=oocyte.pk)

    def perform_update(self, serializer: OocyteSerializer) -> None:  # type: ignore[override]
        assert serializer.instance is not None
        oocyte = services.oocyte_update(user=self.request.user, oocyte=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=oocyte.pk)


@extend_schema_view(
    list=extend_schema(summary="List embryos with their assessments"),
    retrieve=extend_schema(summary="Get an embryo with its assessments"),
    create=extend_schema(summary="Record an embryo (from a fertilised oocyte)"),
)
class EmbryoViewSet(mixins.CreateModelMixin, CycleScoped):
    serializer_class = EmbryoSerializer
    selector = staticmethod(selectors.embryo_list)
    filterset_class = EmbryoFilter
    ordering_fields = ["number", "created_at"]
    ordering = ["number", "external_id"]

    def get_queryset(self) -> Any:
        return self.base_queryset().select_related("cycle__clinic", "oocyte").prefetch_related("assessments")

    def perform_create(self, serializer: EmbryoSerializer) -> None:  # type: ignore[override]
        embryo = services.embryo_add(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=embryo.pk)

    @extend_schema(summary="Add a day's assessment", request=AssessmentSerializer, responses={201: EmbryoSerializer})
    @action(detail=True, methods=["post"], url_path="assessments")
    def assessments(self, request: Request, id: str) -> Response:
        embryo = self.get_object()
        body = AssessmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.assessment_add(user=request.user, embryo=embryo, **body.validated_data)
        fresh = self.get_queryset().get(pk=embryo.pk)
        return Response(
            EmbryoSerializer(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
