"""Reads about clinics and staff. `clinics_with_permission` is the clinic half of the one rule."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.accounts.models import Clinic, ClinicGroupObjectPermission, ClinicUserObjectPermission, StaffRole, User
from apps.accounts.principals import ApiKeyPrincipal
from apps.accounts.roles import Role


def clinics_with_permission(*, user: Any, codename: str) -> QuerySet[Clinic]:
    """Clinics on which `user` holds the clinic permission `codename` (through a role or directly)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Clinic.objects.none()
    if getattr(user, "is_superuser", False):
        return Clinic.objects.all()
    if isinstance(user, ApiKeyPrincipal):
        if codename not in user.clinic_permissions:
            return Clinic.objects.none()
        return Clinic.objects.filter(pk=user.clinic_id, is_active=True)
    via_groups = ClinicGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename, permission__content_type__app_label="accounts"
    ).values("content_object_id")
    direct = ClinicUserObjectPermission.objects.filter(
        user=user, permission__codename=codename, permission__content_type__app_label="accounts"
    ).values("content_object_id")
    return Clinic.objects.filter(Q(pk__in=via_groups) | Q(pk__in=direct), is_active=True)


def staff_roles(*, user: User) -> QuerySet[StaffRole]:
    return StaffRole.objects.filter(group__user=user).select_related("clinic")


def clinic_staff(*, clinic: Clinic) -> QuerySet[User]:
    return User.objects.filter(groups__staff_role__clinic=clinic).distinct().order_by("email")


def role_of(*, user: User, clinic: Clinic) -> Role | None:
    role = StaffRole.objects.filter(group__user=user, clinic=clinic).values_list("role", flat=True).first()
    return Role(role) if role else None
