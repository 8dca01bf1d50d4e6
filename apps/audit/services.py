"""The access-log recorder: the one function every door (API, web UI, export) calls on PHI reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from apps.accounts.principals import ApiKeyPrincipal
from apps.audit.models import AccessLog
from apps.core.net import client_ip


def _clinic_external_id(obj: Any) -> Any:
    for path in ("clinic", "cycle.clinic", "embryo.cycle.clinic"):
        target = obj
        for part in path.split("."):
            target = getattr(target, part, None)
            if target is None:
                break
        if target is not None:
            return target.external_id
    return None


def access_record(*, request: HttpRequest, objects: Iterable[Model], action: str, principal: Any = None) -> int:
    """Record that `principal` (default: request.user — a staff user or an API key) `action`-ed
    each object, from the client address and under the request's correlation id. One INSERT."""
    principal = principal if principal is not None else getattr(request, "user", None)
    is_key = isinstance(principal, ApiKeyPrincipal)
    user = principal if not is_key and getattr(principal, "is_authenticated", False) else None
    rows = [
        AccessLog(
            user=user,
            api_key_prefix=principal.api_key.prefix if is_key else "",
            clinic_external_id=_clinic_external_id(obj),
            object_type=obj._meta.label_lower,
            object_external_id=obj.external_id,  # type: ignore[attr-defined]
            action=action,
            ip_address=client_ip(request),
            correlation_id=getattr(request, "correlation_id", ""),
        )
        for obj in objects
    ]
    AccessLog.objects.bulk_create(rows)
    return len(rows)
