from __future__ import annotations

import uuid
from typing import Any

from apps.core.access import get_visible
from apps.patients.access import patient_require
from apps.patients.selectors import Action
from apps.reports.models import Report
from apps.reports.selectors import report_list


def report_get(*, user: Any, external_id: uuid.UUID | str, action: Action = "view") -> Report:
    report = get_visible(report_list(user=user).select_related("patient", "clinic"), external_id)
    patient_require(user=user, patient=report.patient, action=action)
    return report
