from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only. Superusers see all; a clinic admin sees the entries of their own clinics."""

    list_display = ("at", "action", "object_type", "object_external_id", "user", "api_key_prefix", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("object_external_id", "correlation_id")
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> Any:
        from apps.accounts.roles import MANAGE_STAFF
        from apps.accounts.selectors import clinics_with_permission

        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        clinics = clinics_with_permission(user=request.user, codename=MANAGE_STAFF).values("external_id")
        return qs.filter(clinic_external_id__in=clinics)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        from apps.accounts.roles import MANAGE_STAFF
        from apps.accounts.selectors import clinics_with_permission

        if request.user.is_superuser:
            return True
        if not request.user.is_staff:
            return False
        allowed = clinics_with_permission(user=request.user, codename=MANAGE_STAFF)
        if obj is None:
            return allowed.exists()
        return allowed.filter(external_id=obj.clinic_external_id).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
