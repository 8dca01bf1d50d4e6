from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts.api_keys import api_key_create
from apps.accounts.models import Clinic, User
from apps.accounts.roles import Role, Scope
from apps.accounts.tests.factories import ClinicFactory, staff
from apps.analyses.models import Analysis, Measurement
from apps.cycles.models import CycleStatus, EmbryoAssessment
from apps.cycles.tests.factories import CycleFactory, EmbryoFactory, OocyteFactory, VisitFactory
from apps.patients.tests.factories import PatientFactory
from apps.reports.models import Report

ALL_SCOPES = list(Scope.values)


@dataclass
class ClinicData:
    clinic: Clinic
    patient: Any
    partner: Any
    cycle: Any
    visit: Any
    oocyte: Any
    embryo: Any
    analysis: Any
    report: Any


def make_clinic_data(name: str) -> ClinicData:
    clinic = ClinicFactory.create(name=name, code=name.lower())
    patient = PatientFactory.create(clinic=clinic, mrn=f"{name[:1]}-0001", given_name=name, family_name="Testpatient")
    partner = PatientFactory.create(clinic=clinic, sex="male")
    cycle = CycleFactory.create(patient=patient, status=CycleStatus.RETRIEVED)
    visit = VisitFactory.create(cycle=cycle)
    oocyte = OocyteFactory.create(cycle=cycle, number=1)
    embryo = EmbryoFactory.create(oocyte=OocyteFactory.create(cycle=cycle, number=2))
    EmbryoAssessment.objects.create(embryo=embryo, day=5, expansion=4, icm="A", te="B")
    analysis = Analysis.objects.create(
        clinic=clinic,
        patient=patient,
        cycle=cycle,
        embryo=embryo,
        kind="embryo",
        status="completed",
        parameters={"day": 5},
        model_name="embryo-gardner",
        model_version="1.0.0",
        model_sha256="0" * 64,
        queued_at=datetime.datetime(2026, 9, 19, tzinfo=datetime.UTC),
    )
    Measurement.objects.create(analysis=analysis, name="expansion", value=4, unit="grade")
    report = Report.objects.create(clinic=clinic, patient=patient, cycle=cycle, report_type="embryology")
    return ClinicData(clinic, patient, partner, cycle, visit, oocyte, embryo, analysis, report)


@pytest.fixture
def two_clinics(db: Any) -> tuple[ClinicData, ClinicData]:
    return make_clinic_data("Alpha"), make_clinic_data("Bravo")


def key_client(clinic: Clinic, scopes: list[str] | None = None, **kwargs: Any) -> tuple[APIClient, str]:
    _key, raw = api_key_create(clinic=clinic, name="partner", scopes=scopes or ALL_SCOPES, **kwargs)
    client = APIClient(REMOTE_ADDR="198.51.100.10")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client, raw


def session_client(clinic: Clinic, role: Role = Role.CLINICIAN) -> tuple[APIClient, User]:
    user = staff(clinic, role)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client, user
