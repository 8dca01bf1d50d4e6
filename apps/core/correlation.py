"""Correlation ids: one per request, echoed in X-Correlation-ID, carried by every log line."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Correlation-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")


def current() -> str:
    return _current.get()


class CorrelationIdMiddleware:
    """Keeps a well-formed incoming id (so a partner can trace a call end to end), else makes one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        correlation_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.correlation_id = correlation_id  # type: ignore[attr-defined]
        # Not reset after the response: Django logs the request's outcome ("Not Found: ...") after
        # the middleware has returned, and that line should carry the id too. The next request
        # on this thread sets its own.
        _current.set(correlation_id)
        response = self.get_response(request)
        response[HEADER] = correlation_id
        return response


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current()
        return True
