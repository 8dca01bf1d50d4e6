"""The client's address, one way for every consumer (axes lockout, access log, throttling)."""

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare  # django-ipware's engine


def client_ip(request: HttpRequest) -> str:
    """The address of the client, trusting exactly TRUSTED_PROXY_COUNT proxies.

    With 0 proxies, REMOTE_ADDR. With N proxies, each appends the address it received from to
    X-Forwarded-For, so the client is the N-th entry from the right; anything further left was
    written by the client and is ignored. (ipware counts only the proxies listed in the header,
    which is one fewer: the last proxy is REMOTE_ADDR.)
    """
    remote: str = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    ipw = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), leftmost=True, proxy_count=proxies - 1)
    ip, _ = ipw.get_client_ip(request.META, strict=False)
    return str(ip) if ip is not None else remote
