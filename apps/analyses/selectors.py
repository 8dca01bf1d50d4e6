from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.analyses.models import Analysis
from apps.patients.selectors import Action, patient_list


def analysis_list(*, user: Any, action: Action = "view") -> QuerySet[Analysis]:
    """Analyses follow their patient (the one rule in patients.selectors)."""
    return Analysis.objects.filter(patient__in=patient_list(user=user, action=action))
