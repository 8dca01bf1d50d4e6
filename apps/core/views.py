"""Health endpoints for load balancers and compose health checks. They reveal no data."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the Celery broker are reachable."""
    from fertivision.celery import app as celery_app

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("readyz: database unreachable")
        checks["database"] = "unavailable"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception:
        logger.exception("readyz: broker unreachable")
        checks["broker"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from apps.accounts.selectors import staff_roles
    from apps.cycles.selectors import cycle_list
    from apps.patients.selectors import patient_list

    context = {
        "roles": staff_roles(user=request.user),  # type: ignore[arg-type]
        "patient_count": patient_list(user=request.user).count(),
        "cycle_count": cycle_list(user=request.user).count(),
    }
    return render(request, "core/home.html", context)
