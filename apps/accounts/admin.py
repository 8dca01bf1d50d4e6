from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from apps.accounts.api_keys import api_key_create, api_key_revoke
from apps.accounts.models import ApiKey, Clinic, StaffRole, User
from apps.accounts.roles import MANAGE_STAFF, VIEW_PATIENTS, Scope
from apps.accounts.selectors import clinics_with_permission
from apps.core.admin import ScopedModelAdmin, register_scope


def _clinic_scope(*, user: Any, action: str = "view") -> QuerySet[Clinic]:
    return clinics_with_permission(user=user, codename=VIEW_PATIENTS if action == "view" else MANAGE_STAFF)


def _staff_role_scope(*, user: Any, action: str = "view") -> QuerySet[StaffRole]:
    return StaffRole.objects.filter(clinic__in=clinics_with_permission(user=user, codename=MANAGE_STAFF))


def _user_scope(*, user: Any, action: str = "view") -> QuerySet[User]:
    clinics = clinics_with_permission(user=user, codename=MANAGE_STAFF)
    return User.objects.filter(groups__staff_role__clinic__in=clinics).distinct()


def _api_key_scope(*, user: Any, action: str = "view") -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(clinic__in=clinics_with_permission(user=user, codename=MANAGE_STAFF))


register_scope(Clinic, _clinic_scope)
register_scope(ApiKey, _api_key_scope)
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


class ApiKeyForm(forms.ModelForm):  # type: ignore[type-arg]
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["clinic", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    """Keys are created here; the secret is shown once on the next page and only its hash is kept."""

    form = ApiKeyForm
    module_action = "change"
    list_display = ("name", "clinic", "prefix", "scope_list", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("clinic",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "revoked_at", "last_used_at", "created_at")
    actions = ["revoke"]

    @admin.display(description="Scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.readonly_fields, "clinic") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = clinics_with_permission(user=request.user, codename=MANAGE_STAFF)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _clinic_grants(self, request: HttpRequest, action: str) -> bool:
        return request.user.is_staff and clinics_with_permission(user=request.user, codename=MANAGE_STAFF).exists()

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(
            clinic=form.cleaned_data["clinic"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            created_by=request.user,  # type: ignore[arg-type]
        )
        obj.pk, obj.external_id = key.pk, key.external_id
        obj._raw_key = raw  # type: ignore[attr-defined]  # shown once by response_add, never stored

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> Any:
        key = ApiKey.objects.get(pk=obj.pk)
        context = {**self.admin_site.each_context(request), "key": key, "raw_key": obj._raw_key, "opts": self.opts}  # type: ignore[attr-defined]
        response = TemplateResponse(request, "admin/accounts/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(api_key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
