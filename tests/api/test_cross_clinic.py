"""Named for the attack: a clinic-A partner or staff member reads or writes clinic B's records
through the API by guessing ids, filtering on them, or pointing new records at them.

For every endpoint, with a session user and with an API key of clinic A: lists exclude B,
detail/update/delete/actions answer 404, references to B objects are refused, and the
database is unchanged afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.analyses.models import Analysis
from apps.audit.models import AccessLog
from apps.cycles.models import Embryo, EmbryoAssessment, MonitoringVisit, Oocyte, Transfer, TreatmentCycle
from apps.patients.models import Patient
from apps.reports.models import Report
from tests.api.conftest import ClinicData, key_client, session_client

pytestmark = pytest.mark.django_db

LISTS = ["patients", "cycles", "visits", "oocytes", "embryos", "analyses", "reports"]


def _client(kind: str, a: ClinicData) -> APIClient:
    if kind == "key":
        return key_client(a.clinic)[0]
    client, _ = session_client(a.clinic, Role.CLINIC_ADMIN)  # the widest role: delete included
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


def _snapshot() -> list[Any]:
    models: list[Any] = [
        Patient,
        TreatmentCycle,
        MonitoringVisit,
        Oocyte,
        Embryo,
        EmbryoAssessment,
        Transfer,
        Analysis,
        Report,
    ]
    return [sorted(m.objects.values_list("external_id", "updated_at")) for m in models] + [
        sorted(Patient.objects.values_list("external_id", "partner_id"))
    ]


def _targets(b: ClinicData) -> dict[str, Any]:
    return {
        "patients": b.patient,
        "cycles": b.cycle,
        "visits": b.visit,
        "oocytes": b.oocyte,
        "embryos": b.embryo,
        "analyses": b.analysis,
        "reports": b.report,
    }


@pytest.mark.parametrize("kind", ["key", "session"])
def test_lists_and_filters_exclude_the_other_clinic(two_clinics, kind: str) -> None:
    a, b = two_clinics
    client = _client(kind, a)
    b_ids = {str(o.external_id) for o in _targets(b).values()} | {str(b.partner.external_id)}
    for resource in LISTS:
        response = client.get(f"/api/v1/{resource}", {"page_size": 100})
        assert response.status_code == 200, (resource, response.content)
        ids = {row["id"] for row in response.json()["results"]}
        assert ids and not ids & b_ids, resource
        assert "Bravo" not in response.content.decode()
    for resource, param, value in [
        ("cycles", "patient", b.patient.external_id),
        ("visits", "cycle", b.cycle.external_id),
        ("oocytes", "cycle", b.cycle.external_id),
        ("embryos", "cycle", b.cycle.external_id),
        ("analyses", "patient", b.patient.external_id),
        ("reports", "patient", b.patient.external_id),
        ("patients", "mrn", b.patient.mrn),
        ("patients", "full_name", "Bravo Testpatient"),
    ]:
        response = client.get(f"/api/v1/{resource}", {param: str(value)})
        assert response.status_code == 200
        assert response.json()["results"] == [], (resource, param)


@pytest.mark.parametrize("kind", ["key", "session"])
def test_every_object_operation_on_the_other_clinic_is_404_and_writes_nothing(two_clinics, kind: str) -> None:
    a, b = two_clinics
    client = _client(kind, a)
    before = _snapshot()
    logs_before = AccessLog.objects.count()
    targets = _targets(b)
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for resource, obj in targets.items():
        calls.append(("get", f"/api/v1/{resource}/{obj.external_id}", {}))
    calls += [
        ("patch", f"/api/v1/patients/{b.patient.external_id}", {"given_name": "Hacked"}),
        ("delete", f"/api/v1/patients/{b.patient.external_id}", {}),
        ("patch", f"/api/v1/cycles/{b.cycle.external_id}", {"notes": "hacked"}),
        ("post", f"/api/v1/cycles/{b.cycle.external_id}/status", {"status": "cancelled", "reason": "x"}),
        (
            "post",
            f"/api/v1/cycles/{b.cycle.external_id}/outcome",
            {"outcome": "negative", "outcome_date": "2026-10-01"},
        ),
        (
            "post",
            f"/api/v1/cycles/{b.cycle.external_id}/transfer",
            {"transfer_date": "2026-09-19", "embryos": [str(b.embryo.external_id)]},
        ),
        ("patch", f"/api/v1/oocytes/{b.oocyte.external_id}", {"maturity": "GV"}),
        ("post", f"/api/v1/embryos/{b.embryo.external_id}/assessments", {"day": 3, "cell_count": 8}),
        ("get", f"/api/v1/reports/{b.report.external_id}/download", {}),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code, response.content)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert _snapshot() == before
    assert AccessLog.objects.count() == logs_before  # nothing of B was read


@pytest.mark.parametrize("kind", ["key", "session"])
def test_new_records_cannot_point_at_the_other_clinic(two_clinics, kind: str) -> None:
    a, b = two_clinics
    client = _client(kind, a)
    before = _snapshot()
    creates = [
        (
            "/api/v1/patients",
            {
                "clinic": str(b.clinic.external_id),
                "mrn": "NEW",
                "given_name": "N",
                "family_name": "P",
                "date_of_birth": "1990-01-01",
                "sex": "female",
            },
            {400},  # an invisible clinic is "does not exist", like any invisible reference
        ),
        (
            "/api/v1/patients",
            {
                "mrn": "NEW2",
                "given_name": "N",
                "family_name": "P",
                "date_of_birth": "1990-01-01",
                "sex": "female",
                "partner": str(b.partner.external_id),
            },
            {400},
        ),
        (
            "/api/v1/cycles",
            {"patient": str(b.patient.external_id), "cycle_type": "ivf", "start_date": "2026-10-01"},
            {400},
        ),
        ("/api/v1/visits", {"cycle": str(b.cycle.external_id), "visit_date": "2026-09-05", "cycle_day": 5}, {400}),
        ("/api/v1/oocytes", {"cycle": str(b.cycle.external_id), "number": 9}, {400}),
        ("/api/v1/embryos", {"oocyte": str(b.oocyte.external_id)}, {400}),
        (
            f"/api/v1/cycles/{a.cycle.external_id}/transfer",
            {"transfer_date": "2026-09-19", "embryos": [str(b.embryo.external_id)]},
            {400},
        ),
    ]
    for url, body, statuses in creates:
        response = client.post(url, body, format="json")
        assert response.status_code in statuses, (url, response.status_code, response.content)
        assert "Bravo" not in response.content.decode()
    response = client.patch(
        f"/api/v1/patients/{a.patient.external_id}", {"partner": str(b.partner.external_id)}, format="json"
    )
    assert response.status_code == 400
    assert _snapshot() == before


def test_session_writes_need_csrf(two_clinics) -> None:
    a, _ = two_clinics
    client, _ = session_client(a.clinic)
    before = _snapshot()
    response = client.patch(f"/api/v1/patients/{a.patient.external_id}", {"given_name": "NoCsrf"}, format="json")
    assert response.status_code == 403
    assert _snapshot() == before


def test_a_shared_patient_is_visible_to_the_sharee_session_but_not_to_keys(two_clinics) -> None:
    from apps.accounts.tests.factories import staff
    from apps.patients.services import patient_share

    a, b = two_clinics
    client, user = session_client(a.clinic, Role.VIEWER)
    owner = staff(b.clinic, Role.CLINIC_ADMIN)
    patient_share(user=owner, patient=b.patient, with_user=user)
    assert client.get(f"/api/v1/patients/{b.patient.external_id}").status_code == 200
    assert client.get(f"/api/v1/cycles/{b.cycle.external_id}").status_code == 200
    assert client.get(f"/api/v1/patients/{b.partner.external_id}").status_code == 404
    key, _ = key_client(a.clinic)
    assert key.get(f"/api/v1/patients/{b.patient.external_id}").status_code == 404


def test_browsable_api_pages_name_nothing_of_the_other_clinic(two_clinics) -> None:
    a, b = two_clinics
    client, _ = session_client(a.clinic, Role.CLINIC_ADMIN)
    for url in [
        "/api/v1/patients",
        f"/api/v1/patients/{a.patient.external_id}",
        "/api/v1/cycles",
        "/api/v1/visits",
        "/api/v1/oocytes",
        "/api/v1/embryos",
        "/api/v1/analyses",
        "/api/v1/reports",
    ]:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert b"<form" in response.content or url != "/api/v1/patients"
        for leak in (b"Bravo", str(b.clinic.external_id).encode(), str(b.patient.external_id).encode()):
            assert leak not in response.content, (url, leak)
