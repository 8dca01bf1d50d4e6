from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.accounts.roles import ROLE_PERMISSIONS, Role
from apps.accounts.selectors import clinic_staff, clinics_with_permission, role_of
from apps.accounts.services import staff_add, staff_change_role, staff_remove
from apps.accounts.tests.factories import ClinicFactory
from apps.core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_each_role_holds_exactly_its_clinic_permissions(role: Role) -> None:
    clinic, other = ClinicFactory.create(), ClinicFactory.create()
    user = staff_add(clinic=clinic, email=f"{role}@x.test", role=role, password="pw-long-enough")
    from apps.accounts.roles import CLINIC_PERMISSIONS

    for codename, _ in CLINIC_PERMISSIONS:
        held = clinics_with_permission(user=user, codename=codename)
        assert (clinic in held) == (codename in ROLE_PERMISSIONS[role]), codename
        assert other not in held
    assert user.is_staff == (role == Role.CLINIC_ADMIN)


def test_change_and_remove_role() -> None:
    clinic = ClinicFactory.create()
    user = staff_add(clinic=clinic, email="Someone@X.test", role=Role.VIEWER, full_name="Some One")
    assert user.email == "someone@x.test"
    assert role_of(user=user, clinic=clinic) == Role.VIEWER
    staff_change_role(clinic=clinic, user=user, role=Role.CLINIC_ADMIN)
    user.refresh_from_db()
    assert role_of(user=user, clinic=clinic) == Role.CLINIC_ADMIN and user.is_staff
    staff_remove(clinic=clinic, user=user)
    user.refresh_from_db()
    assert role_of(user=user, clinic=clinic) is None and not user.is_staff
    assert user not in clinic_staff(clinic=clinic)
    assert User.objects.filter(pk=user.pk).exists()  # history keeps the person


def test_same_email_is_one_user_across_clinics() -> None:
    a, b = ClinicFactory.create(), ClinicFactory.create()
    u1 = staff_add(clinic=a, email="dr@x.test", role=Role.CLINICIAN)
    u2 = staff_add(clinic=b, email="DR@x.test", role=Role.VIEWER)
    assert u1 == u2
    assert role_of(user=u1, clinic=a) == Role.CLINICIAN and role_of(user=u1, clinic=b) == Role.VIEWER


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ApplicationError) as exc:
        staff_add(clinic=ClinicFactory.create(), email="a@x.test", role="surgeon")
    assert exc.value.code == "INVALID_ROLE"
    assert not User.objects.filter(email="a@x.test").exists()
