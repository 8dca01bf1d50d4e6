"""Writes for clinics and staff. Keyword-only, atomic, validated before saving."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from apps.accounts.models import Clinic, StaffRole, User
from apps.accounts.roles import ADMIN_SITE_ROLES, ROLE_PERMISSIONS, Role
from apps.core.exceptions import ApplicationError


@transaction.atomic
def clinic_create(*, name: str, code: str) -> Clinic:
    """Create a clinic with one group per role, each holding its role's permissions on the clinic."""
    clinic = Clinic(name=name, code=code)
    clinic.full_clean()
    clinic.save()
    clinic_ensure_roles(clinic=clinic)
    return clinic


@transaction.atomic
def clinic_ensure_roles(*, clinic: Clinic) -> dict[str, StaffRole]:
    """Create any missing role groups of `clinic` and (re)grant their permissions. Idempotent."""
    roles: dict[str, StaffRole] = {}
    for role in Role:
        staff_role = StaffRole.objects.filter(clinic=clinic, role=role).select_related("group").first()
        if staff_role is None:
            group = Group.objects.create(name=f"clinic:{clinic.external_id}:{role.value}")
            staff_role = StaffRole.objects.create(clinic=clinic, role=role, group=group)
        for codename in ROLE_PERMISSIONS[role]:
            assign_perm(f"accounts.{codename}", staff_role.group, clinic)
        roles[role.value] = staff_role
    return roles


def _sync_is_staff(user: User) -> None:
    if user.is_superuser:
        return
    should = StaffRole.objects.filter(group__user=user, role__in=ADMIN_SITE_ROLES).exists()
    if user.is_staff != should:
        user.is_staff = should
        user.save(update_fields=["is_staff"])


@transaction.atomic
def staff_add(*, clinic: Clinic, email: str, role: str, full_name: str = "", password: str | None = None) -> User:
    """Give `email` the `role` in `clinic`, creating the user if new. A user holds one role per clinic."""
    if role not in Role.values:
        raise ApplicationError("Unknown role.", code="INVALID_ROLE", details={"role": role})
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    elif full_name and user.full_name != full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    staff_change_role(clinic=clinic, user=user, role=role)
    return user


@transaction.atomic
def staff_change_role(*, clinic: Clinic, user: User, role: str) -> User:
    if role not in Role.values:
        raise ApplicationError("Unknown role.", code="INVALID_ROLE", details={"role": role})
    roles = {r.role: r for r in clinic.roles.select_related("group")}
    if len(roles) != len(Role):
        roles = clinic_ensure_roles(clinic=clinic)
    for staff_role in roles.values():
        if staff_role.role == role:
            staff_role.group.user_set.add(user)
        else:
            staff_role.group.user_set.remove(user)
    _sync_is_staff(user)
    return user


@transaction.atomic
def staff_remove(*, clinic: Clinic, user: User) -> None:
    """Remove every role `user` holds in `clinic`. Their history stays; their access goes."""
    for staff_role in clinic.roles.select_related("group"):
        staff_role.group.user_set.remove(user)
    _sync_is_staff(user)
