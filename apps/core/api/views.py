"""The base of every partner API viewset: the one permission rule, the access log, rate headers.

A viewset names its `selector` (the list of what the principal may see), its scopes, and the
`access_object_type` to record reads under. Lists filter through the selector; an object is
fetched through the same selector by external id (invisible = 404), and a write needs the
"change" action on the object's patient (visible but read-only = 403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.models import AccessAction
from apps.audit.services import access_record
from apps.core.access import get_visible
from apps.patients.access import patient_require
from apps.patients.models import Patient


class ScopedViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    selector: Callable[..., QuerySet[Any]]
    read_scope: str
    write_scope: str | None = None
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    access_logged = True
    ordering_fields: list[str] = ["created_at"]
    ordering = ["-created_at", "external_id"]

    def base_queryset(self) -> QuerySet[Any]:
        return self.selector(user=self.request.user)

    def get_queryset(self) -> QuerySet[Any]:
        return self.base_queryset()

    def get_object(self) -> Any:
        obj = get_visible(self.get_queryset(), self.kwargs[self.lookup_url_kwarg])
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            patient_require(user=self.request.user, patient=self.patient_of(obj), action="change")
        self.check_object_permissions(self.request, obj)
        return obj

    def patient_of(self, obj: Any) -> Patient:
        if isinstance(obj, Patient):
            return obj
        if hasattr(obj, "patient"):
            return obj.patient
        return obj.cycle.patient

    # --- access log (who read which PHI object) -------------------------------------------
    def record_access(self, objects: list[Model], action: str) -> None:
        if self.access_logged and objects:
            access_record(request=self.request._request, objects=objects, action=action, principal=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        assert page is not None  # every list is paginated
        self.record_access(list(page), AccessAction.LIST)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self.record_access([obj], AccessAction.VIEW)
        return Response(self.get_serializer(obj).data)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # Errors are always JSON in the one error format, even on an endpoint that serves a PDF.
        if not isinstance(getattr(self.request, "accepted_renderer", None), JSONRenderer | BrowsableAPIRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        info = getattr(request, "rate_limit", None)
        if info:
            response["X-RateLimit-Limit"] = str(info["limit"])
            response["X-RateLimit-Remaining"] = str(info["remaining"])
            response["X-RateLimit-Reset"] = str(info["reset"])
        return response
