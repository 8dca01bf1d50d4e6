from __future__ import annotations

from typing import Any

import factory

from apps.accounts.models import Clinic, User
from apps.accounts.roles import Role
from apps.accounts.services import clinic_create, staff_add

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.example")
    full_name = factory.Sequence(lambda n: f"Staff Member {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


class ClinicFactory(factory.django.DjangoModelFactory[Clinic]):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    code = factory.Sequence(lambda n: f"clinic{n}")

    @classmethod
    def _create(cls, model_class: type[Clinic], *args: Any, **kwargs: Any) -> Clinic:
        return clinic_create(name=kwargs["name"], code=kwargs["code"])


def staff(clinic: Clinic, role: Role | str = Role.CLINICIAN, **kwargs: Any) -> User:
    n = User.objects.count()
    return staff_add(
        clinic=clinic,
        email=kwargs.pop("email", f"{role}{n}@{clinic.code}.test"),
        role=str(role),
        password=PASSWORD,
        **kwargs,
    )
