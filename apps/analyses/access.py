from __future__ import annotations

import uuid
from typing import Any

from apps.analyses.models import Analysis
from apps.analyses.selectors import analysis_list
from apps.core.access import get_visible
from apps.patients.access import patient_require
from apps.patients.selectors import Action


def analysis_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> Analysis:
    analysis = get_visible(analysis_list(user=user).select_related("patient", "clinic"), external_id)
    patient_require(user=user, patient=analysis.patient, action=action)
    return analysis
