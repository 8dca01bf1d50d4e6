"""Single-object access to cycles and their parts: invisible is answered like missing (NotFound)."""

from __future__ import annotations

import uuid
from typing import Any

from apps.core.access import get_visible
from apps.cycles import selectors
from apps.cycles.models import Embryo, MonitoringVisit, Oocyte, TreatmentCycle
from apps.patients.access import patient_require
from apps.patients.selectors import Action


def cycle_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> TreatmentCycle:
    cycle = get_visible(selectors.cycle_list(user=user).select_related("patient", "clinic"), external_id)
    patient_require(user=user, patient=cycle.patient, action=action)
    return cycle


def visit_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> MonitoringVisit:
    visit = get_visible(selectors.visit_list(user=user).select_related("cycle__patient"), external_id)
    patient_require(user=user, patient=visit.cycle.patient, action=action)
    return visit


def oocyte_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> Oocyte:
    oocyte = get_visible(selectors.oocyte_list(user=user).select_related("cycle__patient"), external_id)
    patient_require(user=user, patient=oocyte.cycle.patient, action=action)
    return oocyte


def embryo_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> Embryo:
    embryo = get_visible(selectors.embryo_list(user=user).select_related("cycle__patient"), external_id)
    patient_require(user=user, patient=embryo.cycle.patient, action=action)
    return embryo
