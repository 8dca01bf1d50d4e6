"""auditlog's middleware, with the client address taken by our one rule (apps.core.net).

auditlog's own middleware records the left-most X-Forwarded-For entry, which any client can
write; the change log would then carry a forged address.
"""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware
from django.http import HttpRequest

from apps.core.net import client_ip


class AuditlogMiddleware(_AuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str:
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> None:
        return None
