"""Rate limits per API key, per user and per anonymous address, kept in the shared Redis cache.

Every response carries X-RateLimit-Limit / -Remaining / -Reset; a 429 also carries Retry-After.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from apps.accounts.principals import ApiKeyPrincipal
from apps.core.net import client_ip


class PrincipalRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return None  # chosen per request in allow_request

    def allow_request(self, request: Request, view: Any) -> bool:
        from django.conf import settings

        rates: dict[str, str] = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # type: ignore[index,assignment]
        user = request.user
        if isinstance(user, ApiKeyPrincipal):
            self.scope = "api_key"
        elif getattr(user, "is_authenticated", False):
            self.scope = "user"
        else:
            self.scope = "anon"
        self.rate = rates[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[assignment]
        allowed = super().allow_request(request, view)
        request.rate_limit = {  # type: ignore[attr-defined]
            "limit": self.num_requests,
            "remaining": max(0, self.num_requests - len(self.history)),  # type: ignore[operator]
            "reset": int(self.duration - (self.now - self.history[-1])) if self.history else self.duration,  # type: ignore[operator]
        }
        return allowed

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = request.user
        if isinstance(user, ApiKeyPrincipal):
            ident = f"key:{user.api_key.prefix}"
        elif getattr(user, "is_authenticated", False):
            ident = f"user:{user.pk}"
        else:
            ident = f"addr:{client_ip(request._request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
