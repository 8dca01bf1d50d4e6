"""Single-object access to patients. A patient the user may not see is reported exactly like a missing one."""

from __future__ import annotations

import uuid
from typing import Any

from apps.core.access import get_visible
from apps.core.exceptions import PermissionDenied
from apps.patients.models import Patient
from apps.patients.selectors import Action, patient_list


def patient_require(*, user: Any, patient: Patient, action: Action) -> None:
    """Raise PermissionDenied unless `user` may `action` this (visible) patient."""
    if action != "view" and not patient_list(user=user, action=action).filter(pk=patient.pk).exists():
        raise PermissionDenied("You may not do this to this patient.")


def patient_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> Patient:
    """The patient, if visible to `user` (else NotFound) and `action` is allowed (else PermissionDenied)."""
    patient = get_visible(patient_list(user=user).select_related("clinic"), external_id)
    patient_require(user=user, patient=patient, action=action)
    return patient
