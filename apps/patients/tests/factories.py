from __future__ import annotations

import datetime

import factory

from apps.accounts.tests.factories import ClinicFactory
from apps.patients.models import Patient, Sex


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN-{100000 + n}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=datetime.date(1975, 1, 1), end_date=datetime.date(2000, 12, 31)
    )
    sex = Sex.FEMALE
    email = factory.Faker("email")
    phone = factory.Faker("phone_number")
    medical_history = factory.Faker("sentence")
