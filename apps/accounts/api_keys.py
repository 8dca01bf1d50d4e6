"""Partner API keys: create (the secret is returned once), revoke, authenticate, and the
per-address failed-attempt counter (atomic in the shared Redis cache; axes does not see keys)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import ApiKey, Clinic, User
from apps.accounts.roles import Scope
from apps.core.exceptions import ApplicationError

KEY_PREFIX = "fv_"
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)  # don't write on every request


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    clinic: Clinic,
    name: str,
    scopes: list[str],
    expires_at: datetime.datetime | None = None,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the full secret, which is never stored and cannot be shown again."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ApplicationError("Give one or more known scopes.", code="INVALID_SCOPES", details={"unknown": unknown})
    prefix = secrets.token_hex(6)  # 48 bits: collisions stay negligible at any realistic key count
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        clinic=clinic,
        name=name,
        prefix=prefix,
        hashed_secret=_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=created_by,
    )
    key.full_clean()
    key.save()
    return key, f"{KEY_PREFIX}{prefix}.{secret}"


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The usable key matching `raw`, or None (unknown, malformed, wrong secret, revoked, expired)."""
    if not raw.startswith(KEY_PREFIX) or "." not in raw:
        return None
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition(".")
    key = ApiKey.objects.select_related("clinic").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.hashed_secret, _hash(secret)):
        return None
    if not key.is_usable or not key.clinic.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- failed attempts per address --------------------------------------------------------------
def _failures_key(address: str) -> str:
    return f"apikey-failures:{address}"


def failed_attempts(address: str) -> int:
    return int(cache.get(_failures_key(address)) or 0)


def record_failed_attempt(address: str) -> int:
    """Count one failure for `address` atomically (Redis INCR) and return the new count."""
    key = _failures_key(address)
    window = settings.API_KEY_FAILURE_WINDOW_SECONDS
    for _ in range(3):
        cache.add(key, 0, timeout=window)  # SET NX: only the first failure in a window starts the clock
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr; start again
            continue
    return settings.API_KEY_FAILURE_LIMIT + 1
