from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.patients.selectors import Action, patient_list
from apps.reports.models import Report


def report_list(*, user: Any, action: Action = "view") -> QuerySet[Report]:
    """Reports follow their patient (the one rule in patients.selectors)."""
    return Report.objects.filter(patient__in=patient_list(user=user, action=action))
