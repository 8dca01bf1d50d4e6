"""One error format for every 4xx and 5xx of the API:

    {"error": {"code": "NOT_FOUND", "message": "Not found.", "details": {...}}}

Codes are stable; messages never contain PHI; a 500 says only that something went wrong and
gives the correlation id to quote to support.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core import correlation
from apps.core.exceptions import ApplicationError

logger = logging.getLogger("fertivision.api")

DRF_CODES: list[tuple[type[Exception], str, str | None]] = [
    (drf.NotAuthenticated, "NOT_AUTHENTICATED", "Authentication credentials were not provided."),
    (drf.AuthenticationFailed, "AUTHENTICATION_FAILED", None),
    (drf.PermissionDenied, "PERMISSION_DENIED", None),
    (drf.NotFound, "NOT_FOUND", "Not found."),
    (drf.MethodNotAllowed, "METHOD_NOT_ALLOWED", None),
    (drf.NotAcceptable, "NOT_ACCEPTABLE", None),
    (drf.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", None),
    (drf.Throttled, "RATE_LIMITED", "Too many requests."),
    (drf.ParseError, "MALFORMED_REQUEST", "The request body could not be parsed."),
    (drf.ValidationError, "VALIDATION_ERROR", "The data is not valid."),
]


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _details(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items() if k != "detail"}
    if isinstance(data, list):
        return {"non_field_errors": data}
    return {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", extra={"code": "INTERNAL_ERROR"})
        return Response(
            error_body("INTERNAL_ERROR", "An internal error occurred.", {"correlation_id": correlation.current()}),
            status=500,
        )
    code, message = next(((c, m) for t, c, m in DRF_CODES if isinstance(exc, t)), ("ERROR", None))
    detail = getattr(exc, "detail", "")
    api_code = getattr(exc, "api_code", None)  # our own exceptions name their code
    details = _details(response.data) if isinstance(exc, drf.ValidationError) else {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf.Throttled) and wait is not None:
        details["retry_after_seconds"] = int(wait + 0.999)
    response.data = error_body(api_code or code, message or str(detail), details)
    return response


# Django-level handlers, so unknown URLs and crashes under /api/ answer in the same format.
def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if _is_api(request):
        return JsonResponse(error_body("NOT_FOUND", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)  # type: ignore[arg-type]


def handler500(request: HttpRequest) -> Any:
    if _is_api(request):
        body = error_body("INTERNAL_ERROR", "An internal error occurred.", {"correlation_id": correlation.current()})
        return JsonResponse(body, status=500)
    from django.views.defaults import server_error

    return server_error(request)
