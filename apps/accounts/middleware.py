"""Session idle timeout and absolute lifetime (settings SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_LIFETIME)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

AUTH_AT = "_fv_auth_at"
LAST_SEEN = "_fv_last_seen"


class SessionLifetimeMiddleware:
    """Ends a logged-in session that was idle too long or has lived too long since login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            auth_at = session.get(AUTH_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            if now - auth_at > settings.SESSION_ABSOLUTE_LIFETIME or now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)  # flushes the session and makes request.user anonymous
            else:
                session.setdefault(AUTH_AT, now)
                session[LAST_SEEN] = now
        return self.get_response(request)
