from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.models import Clinic, StaffRole, User
from apps.accounts.roles import MANAGE_STAFF, VIEW_PATIENTS
from apps.accounts.selectors import clinics_with_permission
from apps.core.admin import ScopedModelAdmin, register_scope


def _clinic_scope(*, user: Any, action: str = "view") -> QuerySet[Clinic]:
    return clinics_with_permission(user=user, codename=VIEW_PATIENTS if action == "view" else MANAGE_STAFF)


def _staff_role_scope(*, user: Any, action: str = "view") -> QuerySet[StaffRole]:
    return StaffRole.objects.filter(clinic__in=clinics_with_permission(user=user, codename=MANAGE_STAFF))


def _user_scope(*, user: Any, action: str = "view") -> QuerySet[User]:
    clinics = clinics_with_permission(user=user, codename=MANAGE_STAFF)
    return User.objects.filter(groups__staff_role__clinic__in=clinics).distinct()


register_scope(Clinic, _clinic_scope)
register_scope(StaffRole, _staff_role_scope)
register_scope(User, _user_scope)


class StaffRoleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StaffRole
    extra = 0
    fields = ("role", "group")
    readonly_fields = ("role", "group")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Clinic)
class ClinicAdmin(ScopedModelAdmin):
    list_display = ("name", "code", "is_active", "patient_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    readonly_fields = ("external_id", "created_at", "updated_at")
    inlines = [StaffRoleInline]

    @admin.display(description="Patients")
    def patient_count(self, obj: Clinic) -> int:
        return obj.patients.count()

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser  # new tenants are a platform decision

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        from apps.accounts.services import clinic_ensure_roles

        super().save_model(request, obj, form, change)
        clinic_ensure_roles(clinic=obj)


@admin.register(StaffRole)
class StaffRoleAdmin(ScopedModelAdmin):
    list_display = ("clinic", "role", "member_count")
    list_filter = ("role", "clinic")
    search_fields = ("clinic__name", "clinic__code")
    readonly_fields = ("clinic", "role", "group", "members")
    fields = ("clinic", "role", "group", "members")

    @admin.display(description="Members")
    def member_count(self, obj: StaffRole) -> int:
        return obj.group.user_set.count()

    @admin.display(description="Members")
    def members(self, obj: StaffRole) -> str:
        return ", ".join(u.email for u in obj.group.user_set.order_by("email")) or "—"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # roles are created with the clinic

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):  # type: ignore[misc]
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name")
    show_auditlog_history_link = False
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    filter_horizontal = ("groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return ("last_login", "date_joined")
        # Clinic admins manage roles through the staff services, never raw permissions.
        return ("email", "is_staff", "is_superuser", "groups", "user_permissions", "last_login", "date_joined")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser
