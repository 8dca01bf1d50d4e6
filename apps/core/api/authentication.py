"""`Authorization: Api-Key fv_<prefix>.<secret>` — partner authentication as a DRF class.

Failed attempts are counted per client address, atomically in Redis; past
API_KEY_FAILURE_LIMIT the address gets 429 until the window ends (valid keys included, so a
brute force cannot tell when it has found one).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from apps.accounts.api_keys import api_key_authenticate, failed_attempts, record_failed_attempt
from apps.accounts.models import ApiKey
from apps.accounts.principals import ApiKeyPrincipal
from apps.audit.context import attribute_to_api_key
from apps.core.net import client_ip

KEYWORD = "Api-Key"


class KeyAttemptsThrottled(exceptions.Throttled):
    api_code = "TOO_MANY_FAILED_KEYS"
    default_detail = "Too many failed API key attempts from this address."


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        address = client_ip(request._request)
        if failed_attempts(address) >= settings.API_KEY_FAILURE_LIMIT:
            raise KeyAttemptsThrottled(wait=settings.API_KEY_FAILURE_WINDOW_SECONDS)
        raw = header[1].decode(errors="replace") if len(header) == 2 else ""
        key = api_key_authenticate(raw) if raw else None
        if key is None:
            if record_failed_attempt(address) > settings.API_KEY_FAILURE_LIMIT:
                raise KeyAttemptsThrottled(wait=settings.API_KEY_FAILURE_WINDOW_SECONDS)
            raise exceptions.AuthenticationFailed("The API key is not valid, or it was revoked or has expired.")
        attribute_to_api_key(key.prefix)  # the change log names the key behind this request's writes
        return ApiKeyPrincipal.for_key(key), key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "apps.core.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Partner API key, created by a clinic administrator. "
                "Send `Authorization: Api-Key fv_<prefix>.<secret>`."
            ),
        }
