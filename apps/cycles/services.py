"""Writes for treatment cycles. Each takes the acting user; validation runs before every save."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.core.actor import user_or_none
from apps.core.exceptions import ApplicationError
from apps.core.services import validated_save
from apps.cycles.models import (
    STATUS_TRANSITIONS,
    CycleStatus,
    Embryo,
    EmbryoAssessment,
    EmbryoFate,
    MonitoringVisit,
    Oocyte,
    Transfer,
    TreatmentCycle,
)
from apps.patients.access import patient_require
from apps.patients.models import Patient


def _require_cycle(user: Any, cycle: TreatmentCycle) -> None:
    patient_require(user=user, patient=cycle.patient, action="change")


@transaction.atomic
def cycle_create(
    *, user: Any, patient: Patient, cycle_type: str, start_date: datetime.date, **fields: Any
) -> TreatmentCycle:
    patient_require(user=user, patient=patient, action="change")
    cycle = TreatmentCycle(
        clinic_id=patient.clinic_id, patient=patient, cycle_type=cycle_type, start_date=start_date, **fields
    )
    validated_save(cycle)
    return cycle


@transaction.atomic
def cycle_update(*, user: Any, cycle: TreatmentCycle, **fields: Any) -> TreatmentCycle:
    _require_cycle(user, cycle)
    forbidden = {"clinic", "clinic_id", "patient", "patient_id", "status", "external_id"} & set(fields)
    if forbidden:
        raise ApplicationError(
            "These fields cannot be changed here.", code="INVALID_FIELDS", details={"fields": sorted(forbidden)}
        )
    for name, value in fields.items():
        setattr(cycle, name, value)
    validated_save(cycle)
    return cycle


@transaction.atomic
def cycle_set_status(*, user: Any, cycle: TreatmentCycle, status: str, reason: str = "") -> TreatmentCycle:
    """Move the cycle along its allowed path (STATUS_TRANSITIONS)."""
    _require_cycle(user, cycle)
    cycle = TreatmentCycle.objects.select_for_update().get(pk=cycle.pk)
    if status not in STATUS_TRANSITIONS.get(cycle.status, frozenset()):
        raise ApplicationError(
            "This status change is not allowed.",
            code="INVALID_STATUS_TRANSITION",
            details={"from": cycle.status, "to": status},
        )
    cycle.status = status
    if status == CycleStatus.CANCELLED:
        cycle.cancellation_reason = reason
    validated_save(cycle)
    return cycle


@transaction.atomic
def outcome_record(*, user: Any, cycle: TreatmentCycle, outcome: str, outcome_date: datetime.date) -> TreatmentCycle:
    _require_cycle(user, cycle)
    if cycle.status not in {CycleStatus.OUTCOME_PENDING, CycleStatus.CLOSED}:
        raise ApplicationError("Record the outcome once the cycle awaits it.", code="INVALID_STATUS_TRANSITION")
    cycle.outcome = outcome
    cycle.outcome_date = outcome_date
    validated_save(cycle)
    return cycle


@transaction.atomic
def visit_add(
    *, user: Any, cycle: TreatmentCycle, visit_date: datetime.date, cycle_day: int, **fields: Any
) -> MonitoringVisit:
    _require_cycle(user, cycle)
    visit = MonitoringVisit(cycle=cycle, visit_date=visit_date, cycle_day=cycle_day, **fields)
    validated_save(visit)
    return visit


@transaction.atomic
def oocyte_add(*, user: Any, cycle: TreatmentCycle, number: int, **fields: Any) -> Oocyte:
    _require_cycle(user, cycle)
    oocyte = Oocyte(cycle=cycle, number=number, **fields)
    validated_save(
        oocyte, duplicate_code="DUPLICATE_NUMBER", duplicate_message="This oocyte number is already used in the cycle."
    )
    return oocyte


@transaction.atomic
def embryo_add(*, user: Any, oocyte: Oocyte, number: int | None = None) -> Embryo:
    """An embryo develops from one oocyte of the same cycle; numbering follows the oocyte by default."""
    cycle = oocyte.cycle
    _require_cycle(user, cycle)
    embryo = Embryo(cycle=cycle, oocyte=oocyte, number=number if number is not None else oocyte.number)
    validated_save(
        embryo,
        duplicate_code="DUPLICATE_NUMBER",
        duplicate_message="This oocyte already has an embryo, or the number is used.",
    )
    return embryo


@transaction.atomic
def assessment_add(*, user: Any, embryo: Embryo, day: int, **fields: Any) -> EmbryoAssessment:
    _require_cycle(user, embryo.cycle)
    assessment = EmbryoAssessment(embryo=embryo, day=day, assessed_by=user_or_none(user), **fields)
    validated_save(assessment)
    return assessment


@transaction.atomic
def transfer_record(
    *, user: Any, cycle: TreatmentCycle, transfer_date: datetime.date, embryos: Iterable[Embryo], **fields: Any
) -> Transfer:
    """Record a transfer of embryos of this patient (from this cycle, or an earlier one for a FET)."""
    _require_cycle(user, cycle)
    embryos = list(embryos)
    if not embryos:
        raise ApplicationError("A transfer needs at least one embryo.", code="NO_EMBRYOS")
    for embryo in embryos:
        if embryo.cycle.patient_id != cycle.patient_id:
            raise ApplicationError("Only the patient's own embryos can be transferred.", code="INVALID_EMBRYO")
        if embryo.fate in {EmbryoFate.TRANSFERRED, EmbryoFate.DISCARDED}:
            raise ApplicationError("This embryo is not available for transfer.", code="INVALID_EMBRYO")
    transfer = Transfer(cycle=cycle, transfer_date=transfer_date, performed_by=user_or_none(user), **fields)
    validated_save(
        transfer, duplicate_code="DUPLICATE_TRANSFER", duplicate_message="This cycle already has a transfer."
    )
    transfer.embryos.set(embryos)
    for embryo in embryos:
        embryo.fate = EmbryoFate.TRANSFERRED
        embryo.fate_date = transfer_date
        embryo.save(update_fields=["fate", "fate_date", "updated_at"])
    return transfer


OOCYTE_EDITABLE = ("maturity", "insemination", "pronuclei", "damaged")


@transaction.atomic
def oocyte_update(*, user: Any, oocyte: Oocyte, **fields: Any) -> Oocyte:
    _require_cycle(user, oocyte.cycle)
    unknown = set(fields) - set(OOCYTE_EDITABLE)
    if unknown:
        raise ApplicationError(
            "These fields cannot be changed.", code="INVALID_FIELDS", details={"fields": sorted(unknown)}
        )
    for name, value in fields.items():
        setattr(oocyte, name, value)
    validated_save(oocyte)
    return oocyte
