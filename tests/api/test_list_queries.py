"""Every list endpoint runs the same number of queries for 1 row and for 50 rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analyses.models import Analysis, Measurement
from apps.cycles.models import EmbryoAssessment
from apps.cycles.tests.factories import CycleFactory, EmbryoFactory, OocyteFactory, VisitFactory
from apps.patients.services import consent_record
from apps.patients.tests.factories import PatientFactory
from apps.reports.models import Report
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db
RESOURCES = ["patients", "cycles", "visits", "oocytes", "embryos", "analyses", "reports"]


def _grow(clinic, n: int) -> None:
    """n rows of every resource, each with the related rows a list serializes."""
    from apps.accounts.models import User

    root = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        email="root@q.test", password="x" * 12
    )
    for i in range(n):
        patient = PatientFactory.create(clinic=clinic)
        consent_record(user=root, patient=patient, kind="research_use", granted=True)
        cycle = CycleFactory.create(patient=patient)
        VisitFactory.create(cycle=cycle)
        embryo = EmbryoFactory.create(oocyte=OocyteFactory.create(cycle=cycle, number=1))
        EmbryoAssessment.objects.create(embryo=embryo, day=3, cell_count=8)
        analysis = Analysis.objects.create(
            clinic=clinic,
            patient=patient,
            cycle=cycle,
            kind="embryo",
            queued_at=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC),
        )
        Measurement.objects.create(analysis=analysis, name=f"m{i}", value=1.0, unit="")
        report = Report.objects.create(clinic=clinic, patient=patient, cycle=cycle, report_type="embryology")
        report.analyses.add(analysis)


def _count(client, resource: str, page_size: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/{resource}", {"page_size": page_size})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_list_queries_do_not_grow_with_page_size(db) -> None:
    from apps.accounts.tests.factories import ClinicFactory

    clinic = ClinicFactory.create()
    _grow(clinic, 50)
    client, _ = key_client(clinic)
    for resource in RESOURCES:
        client.get(f"/api/v1/{resource}", {"page_size": 1})  # warm caches (content types, last_used_at)
        small, n_small = _count(client, resource, 1)
        large, n_large = _count(client, resource, 50)
        assert (n_small, n_large) == (1, 50), resource
        assert small == large, f"{resource}: {small} queries for 1 row, {large} for 50"
