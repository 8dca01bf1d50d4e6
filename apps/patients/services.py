"""Writes for patients. Every service takes the acting user and applies the one permission rule."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.models import Clinic, User
from apps.accounts.roles import CHANGE_PATIENTS
from apps.accounts.selectors import clinics_with_permission
from apps.core.actor import user_or_none
from apps.core.exceptions import (
    ApplicationError,
    NotFound,
    PermissionDenied,
)
from apps.core.services import validated_save
from apps.patients.access import patient_require
from apps.patients.models import Consent, Patient

EDITABLE_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "address",
    "medical_history",
)
SHAREABLE_PERMISSIONS = ("view_patient", "change_patient")
DUPLICATE_MRN_MESSAGE = "A patient with this MRN already exists in the clinic."


@transaction.atomic
def patient_create(
    *,
    user: Any,
    clinic: Clinic,
    mrn: str,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date,
    sex: str,
    email: str = "",
    phone: str = "",
    address: str = "",
    medical_history: str = "",
) -> Patient:
    if not clinics_with_permission(user=user, codename=CHANGE_PATIENTS).filter(pk=clinic.pk).exists():
        raise NotFound()
    patient = Patient(
        clinic=clinic,
        mrn=mrn.strip(),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        email=email,
        phone=phone,
        address=address,
        medical_history=medical_history,
    )
    validated_save(patient, duplicate_code="DUPLICATE_MRN", duplicate_message=DUPLICATE_MRN_MESSAGE)
    return patient


@transaction.atomic
def patient_update(*, user: Any, patient: Patient, **changes: Any) -> Patient:
    patient_require(user=user, patient=patient, action="change")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            "These fields cannot be changed.", code="INVALID_FIELDS", details={"fields": sorted(unknown)}
        )
    for field, value in changes.items():
        setattr(patient, field, value)
    validated_save(patient, duplicate_code="DUPLICATE_MRN", duplicate_message=DUPLICATE_MRN_MESSAGE)
    return patient


@transaction.atomic
def patient_delete(*, user: Any, patient: Patient) -> None:
    patient_require(user=user, patient=patient, action="delete")
    patient.delete()


@transaction.atomic
def patient_link_partner(*, user: Any, patient: Patient, partner: Patient | None) -> Patient:
    """Make `patient` and `partner` a couple (the link is set on both), or unlink with partner=None.

    Any couple either of them was in before is dissolved first, so links are always symmetric.
    Saves go through the model (not queryset.update) so the change log records them.
    """
    patient_require(user=user, patient=patient, action="change")
    members = [patient]
    if partner is not None:
        patient_require(user=user, patient=partner, action="change")
        if partner.pk == patient.pk:
            raise ApplicationError("A patient cannot be their own partner.", code="INVALID_PARTNER")
        if partner.clinic_id != patient.clinic_id:
            raise ApplicationError("Partners must belong to the same clinic.", code="INVALID_PARTNER")
        members.append(partner)
    ids = [m.pk for m in members]
    for linked in Patient.objects.select_for_update().filter(Q(pk__in=ids) | Q(partner__in=ids)):
        if linked.partner_id is not None:
            linked.partner = None
            linked.save(update_fields=["partner"])
    if partner is not None:
        patient.partner = partner
        patient.save(update_fields=["partner"])
        partner.partner = patient
        partner.save(update_fields=["partner"])
    else:
        patient.partner = None
    return patient


def _share_target_check(user: User, patient: Patient) -> None:
    # Sharing a patient is a clinic decision: only who may change the clinic's patients may share.
    if not clinics_with_permission(user=user, codename=CHANGE_PATIENTS).filter(pk=patient.clinic_id).exists():
        raise PermissionDenied("Only the patient's own clinic may share this patient.")


@transaction.atomic
def patient_share(
    *,
    user: Any,
    patient: Patient,
    with_user: User | None = None,
    with_group: Group | None = None,
    permissions: tuple[str, ...] = ("view_patient",),
) -> None:
    """Grant guardian permissions on this one patient (and so its cycles, analyses, reports)."""
    _share_target_check(user, patient)
    if (with_user is None) == (with_group is None):
        raise ApplicationError("Share with exactly one user or one group.", code="INVALID_SHARE")
    for perm in permissions:
        if perm not in SHAREABLE_PERMISSIONS:
            raise ApplicationError(
                "This permission cannot be shared.", code="INVALID_SHARE", details={"permission": perm}
            )
        assign_perm(f"patients.{perm}", with_user or with_group, patient)


@transaction.atomic
def patient_unshare(
    *, user: Any, patient: Patient, with_user: User | None = None, with_group: Group | None = None
) -> None:
    _share_target_check(user, patient)
    target = with_user or with_group
    if target is None:
        raise ApplicationError("Name the user or group to stop sharing with.", code="INVALID_SHARE")
    for perm in SHAREABLE_PERMISSIONS:
        remove_perm(f"patients.{perm}", target, patient)


@transaction.atomic
def consent_record(
    *,
    user: Any,
    patient: Patient,
    kind: str,
    granted: bool,
    decided_on: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> Consent:
    patient_require(user=user, patient=patient, action="change")
    consent = Consent(
        patient=patient, kind=kind, granted=granted, valid_until=valid_until, recorded_by=user_or_none(user)
    )
    if decided_on is not None:
        consent.decided_on = decided_on
    validated_save(consent)
    return consent


def consent_current(*, patient: Patient, kind: str) -> Consent | None:
    """The latest decision of this kind, or None if never asked."""
    return patient.consents.filter(kind=kind).order_by("-decided_on", "-created_at").first()
