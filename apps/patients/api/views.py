from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import Clinic
from apps.accounts.roles import CHANGE_PATIENTS, Scope
from apps.accounts.selectors import clinics_with_permission
from apps.core import crypto
from apps.core.api.filters import BoundedIsoDateTimeFilter
from apps.core.api.views import ScopedViewSet
from apps.core.exceptions import ApplicationError, NotFound
from apps.patients import services
from apps.patients.api.serializers import PatientSerializer
from apps.patients.models import MRN_INDEX, NAME_INDEX, Patient, Sex
from apps.patients.selectors import patient_list


class PatientFilter(django_filters.FilterSet):
    mrn = django_filters.CharFilter(method="filter_mrn", label="Exact MRN (case- and space-insensitive).")
    full_name = django_filters.CharFilter(method="filter_name", label="Exact full name: given then family name.")
    sex = django_filters.ChoiceFilter(choices=Sex.choices)
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Patient
        fields = ["mrn", "full_name", "sex", "created_after"]

    def filter_mrn(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(mrn_index=crypto.blind_index(value, purpose=MRN_INDEX))

    def filter_name(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(name_index=crypto.blind_index(value, purpose=NAME_INDEX))


def _target_clinic(request: Request, requested: Clinic | None) -> Clinic:
    allowed = clinics_with_permission(user=request.user, codename=CHANGE_PATIENTS)
    if requested is not None:
        if not allowed.filter(pk=requested.pk).exists():
            raise NotFound()
        return requested
    clinics = list(allowed[:2])
    if len(clinics) != 1:
        raise ApplicationError(
            "Say which clinic the patient belongs to.", code="CLINIC_REQUIRED", details={"field": "clinic"}
        )
    return clinics[0]


@extend_schema_view(
    list=extend_schema(summary="List patients", description="Patients these credentials may see."),
    retrieve=extend_schema(summary="Get a patient"),
    create=extend_schema(summary="Create a patient"),
    partial_update=extend_schema(summary="Change a patient"),
    destroy=extend_schema(summary="Delete a patient"),
)
class PatientViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedViewSet):
    serializer_class = PatientSerializer
    selector = staticmethod(patient_list)
    read_scope = Scope.PATIENTS_READ
    write_scope = Scope.PATIENTS_WRITE
    filterset_class = PatientFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        return self.base_queryset().select_related("clinic", "partner").prefetch_related("consents")

    def perform_create(self, serializer: PatientSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        clinic = _target_clinic(self.request, data.pop("clinic", None))
        partner = data.pop("partner", None)
        patient = services.patient_create(user=self.request.user, clinic=clinic, **data)  # type: ignore[arg-type]
        if partner is not None:
            services.patient_link_partner(user=self.request.user, patient=patient, partner=partner)  # type: ignore[arg-type]
        serializer.instance = self.get_queryset().get(pk=patient.pk)

    def perform_update(self, serializer: PatientSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        patient = serializer.instance
        assert patient is not None
        if "clinic" in data and data.pop("clinic") != patient.clinic:
            raise ApplicationError("A patient cannot move to another clinic.", code="INVALID_FIELDS")
        partner_given = "partner" in data
        partner = data.pop("partner", None)
        services.patient_update(user=self.request.user, patient=patient, **data)  # type: ignore[arg-type]
        if partner_given:
            services.patient_link_partner(user=self.request.user, patient=patient, partner=partner)  # type: ignore[arg-type]
        serializer.instance = self.get_queryset().get(pk=patient.pk)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        services.patient_delete(user=request.user, patient=patient)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
