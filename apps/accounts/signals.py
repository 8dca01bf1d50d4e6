import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from apps.accounts.middleware import AUTH_AT, LAST_SEEN


@receiver(user_logged_in)
def _stamp_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    # django.contrib.auth.login() has already cycled the session key (no session fixation).
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[AUTH_AT] = now
        request.session[LAST_SEEN] = now
