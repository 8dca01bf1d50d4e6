"""Reads of cycles and their parts. They follow their patient: one rule, from patients.selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.cycles.models import Embryo, EmbryoAssessment, MonitoringVisit, Oocyte, Transfer, TreatmentCycle
from apps.patients.selectors import Action, patient_list


def cycle_list(*, user: Any, action: Action = "view") -> QuerySet[TreatmentCycle]:
    return TreatmentCycle.objects.filter(patient__in=patient_list(user=user, action=action))


def visit_list(*, user: Any, action: Action = "view") -> QuerySet[MonitoringVisit]:
    return MonitoringVisit.objects.filter(cycle__in=cycle_list(user=user, action=action))


def oocyte_list(*, user: Any, action: Action = "view") -> QuerySet[Oocyte]:
    return Oocyte.objects.filter(cycle__in=cycle_list(user=user, action=action))


def embryo_list(*, user: Any, action: Action = "view") -> QuerySet[Embryo]:
    return Embryo.objects.filter(cycle__in=cycle_list(user=user, action=action))


def assessment_list(*, user: Any, action: Action = "view") -> QuerySet[EmbryoAssessment]:
    return EmbryoAssessment.objects.filter(embryo__cycle__in=cycle_list(user=user, action=action))


def transfer_list(*, user: Any, action: Action = "view") -> QuerySet[Transfer]:
    return Transfer.objects.filter(cycle__in=cycle_list(user=user, action=action))
