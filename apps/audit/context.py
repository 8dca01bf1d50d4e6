"""Attributing change-log entries to a partner API key.

auditlog names an actor only when it is a User; an API key is not one. Its middleware keeps the
request's audit context in a dict in a context variable and copies every key the LogEntry model
has onto each entry, so writing `actor_email` there labels every entry of this request with the
key. (Covered by a test, so an auditlog upgrade that changes this is caught.)
"""

from __future__ import annotations

from auditlog.context import auditlog_value


def attribute_to_api_key(prefix: str) -> None:
    context = auditlog_value.get(None)
    if isinstance(context, dict):
        context["actor_email"] = f"api-key:{prefix}"
