"""Reads of patients. `patient_list` is THE permission rule; everything clinical filters through it.

A user may see a patient if they hold the needed permission on the patient's clinic (through a
role), or a guardian permission granted on that patient itself (a share).
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.accounts.roles import CHANGE_PATIENTS, DELETE_PATIENTS, VIEW_PATIENTS
from apps.accounts.selectors import clinics_with_permission
from apps.core import crypto
from apps.patients.models import (
    MRN_INDEX,
    NAME_INDEX,
    Patient,
    PatientGroupObjectPermission,
    PatientUserObjectPermission,
)

Action = Literal["view", "change", "delete"]

# action -> (permission on the clinic, permission on the patient itself for a share)
ACTION_PERMISSIONS: dict[str, tuple[str, str]] = {
    "view": (VIEW_PATIENTS, "view_patient"),
    "change": (CHANGE_PATIENTS, "change_patient"),
    "delete": (DELETE_PATIENTS, "delete_patient"),
}


def patient_list(*, user: Any, action: Action = "view") -> QuerySet[Patient]:
    """Every patient `user` may perform `action` on. The single source of patient visibility."""
    clinic_perm, object_perm = ACTION_PERMISSIONS[action]
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Patient.objects.none()
    if getattr(user, "is_superuser", False):
        return Patient.objects.all()
    clinics = clinics_with_permission(user=user, codename=clinic_perm)
    if not isinstance(user, User):  # an API key: its clinic only, never shares
        return Patient.objects.filter(clinic__in=clinics)
    shared_direct = PatientUserObjectPermission.objects.filter(
        user=user, permission__codename=object_perm, permission__content_type__app_label="patients"
    ).values("content_object_id")
    shared_groups = PatientGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=object_perm, permission__content_type__app_label="patients"
    ).values("content_object_id")
    return Patient.objects.filter(Q(clinic__in=clinics) | Q(pk__in=shared_direct) | Q(pk__in=shared_groups))


def patient_search(*, user: Any, mrn: str | None = None, full_name: str | None = None) -> QuerySet[Patient]:
    """Exact-match search (case- and spacing-insensitive) through the blind indexes."""
    qs = patient_list(user=user)
    if mrn:
        qs = qs.filter(mrn_index=crypto.blind_index(mrn, purpose=MRN_INDEX))
    if full_name:
        qs = qs.filter(name_index=crypto.blind_index(full_name, purpose=NAME_INDEX))
    return qs
