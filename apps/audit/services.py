"""The access-log recorder: one function every door (web UI, API, export) calls on PHI reads."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from apps.audit.models import AccessLog
from apps.core.net import client_ip


def _clinic_external_id(obj: Any) -> Any:
    clinic = getattr(obj, "clinic", None)
    if clinic is None and hasattr(obj, "cycle"):
        clinic = obj.cycle.clinic
    return getattr(clinic, "external_id", None)


def access_record(
    *, request: HttpRequest | None, obj: Model, action: str, user: Any = None, api_key_prefix: str = ""
) -> AccessLog:
    user = user if user is not None else getattr(request, "user", None)
    return AccessLog.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        api_key_prefix=api_key_prefix,
        clinic_external_id=_clinic_external_id(obj),
        object_type=obj._meta.label_lower,
        object_external_id=obj.external_id,  # type: ignore[attr-defined]
        action=action,
        ip_address=client_ip(request) if request is not None else None,
        correlation_id=getattr(request, "correlation_id", "") if request is not None else "",
    )
