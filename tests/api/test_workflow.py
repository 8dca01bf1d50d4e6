"""A partner's EMR integration, end to end: register a couple, run a cycle, read it back."""

from __future__ import annotations

import pytest

from apps.accounts.tests.factories import ClinicFactory
from apps.cycles.models import Embryo
from apps.patients.models import Patient
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


def test_partner_registers_a_couple_and_records_a_cycle(db) -> None:
    clinic = ClinicFactory.create()
    client, _ = key_client(clinic)
    she = client.post(
        "/api/v1/patients",
        {"mrn": "EMR-1", "given_name": "Ana", "family_name": "Diaz", "date_of_birth": "1989-02-03", "sex": "female"},
        format="json",
    )
    assert she.status_code == 201, she.content
    he = client.post(
        "/api/v1/patients",
        {
            "mrn": "EMR-2",
            "given_name": "Luis",
            "family_name": "Diaz",
            "date_of_birth": "1987-05-06",
            "sex": "male",
            "partner": she.json()["id"],
        },
        format="json",
    )
    assert he.status_code == 201, he.content
    she_now = client.get(f"/api/v1/patients/{she.json()['id']}").json()
    assert she_now["partner"] == he.json()["id"] and she_now["clinic"] == str(clinic.external_id)
    found = client.get("/api/v1/patients", {"full_name": "ana  DIAZ"}).json()["results"]
    assert [p["id"] for p in found] == [she.json()["id"]]

    cycle = client.post(
        "/api/v1/cycles",
        {"patient": she.json()["id"], "cycle_type": "icsi", "protocol": "antagonist", "start_date": "2026-09-01"},
        format="json",
    )
    assert cycle.status_code == 201, cycle.content
    cid = cycle.json()["id"]
    assert (
        client.post(f"/api/v1/cycles/{cid}/status", {"status": "retrieved"}, format="json").json()["error"]["code"]
        == "INVALID_STATUS_TRANSITION"
    )
    for step in ("stimulating", "triggered", "retrieved"):
        assert client.post(f"/api/v1/cycles/{cid}/status", {"status": step}, format="json").status_code == 200
    visit = client.post(
        "/api/v1/visits",
        {
            "cycle": cid,
            "visit_date": "2026-09-08",
            "cycle_day": 8,
            "estradiol_pg_ml": 900,
            "left_follicles_mm": [14.5, 12],
        },
        format="json",
    )
    assert visit.status_code == 201, visit.content
    bad = client.post(
        "/api/v1/visits",
        {"cycle": cid, "visit_date": "2026-09-08", "cycle_day": 8, "estradiol_pg_ml": -5},
        format="json",
    )
    assert bad.status_code == 400 and "estradiol_pg_ml" in bad.json()["error"]["details"]
    oocyte = client.post(
        "/api/v1/oocytes", {"cycle": cid, "number": 1, "maturity": "MII", "insemination": "icsi"}, format="json"
    )
    assert oocyte.status_code == 201, oocyte.content
    dup = client.post("/api/v1/oocytes", {"cycle": cid, "number": 1}, format="json")
    assert dup.status_code == 400 and dup.json()["error"]["code"] == "DUPLICATE_NUMBER"
    assert client.patch(f"/api/v1/oocytes/{oocyte.json()['id']}", {"pronuclei": 2}, format="json").status_code == 200
    embryo = client.post("/api/v1/embryos", {"oocyte": oocyte.json()["id"]}, format="json")
    assert embryo.status_code == 201, embryo.content
    graded = client.post(
        f"/api/v1/embryos/{embryo.json()['id']}/assessments",
        {"day": 5, "expansion": 4, "icm": "A", "te": "B"},
        format="json",
    )
    assert graded.status_code == 201 and graded.json()["assessments"][0]["gardner"] == "4AB"
    invalid = client.post(
        f"/api/v1/embryos/{embryo.json()['id']}/assessments",
        {"day": 5, "expansion": 2, "icm": "A", "te": "B"},
        format="json",
    )
    assert invalid.status_code == 400
    transfer = client.post(
        f"/api/v1/cycles/{cid}/transfer",
        {"transfer_date": "2026-09-19", "embryos": [embryo.json()["id"]]},
        format="json",
    )
    assert transfer.status_code == 201, transfer.content
    assert transfer.json()["transfer"]["embryos"] == [embryo.json()["id"]]
    assert Embryo.objects.get(external_id=embryo.json()["id"]).fate == "transferred"
    assert Patient.objects.filter(clinic=clinic).count() == 2


def test_api_key_writes_are_attributed_in_the_change_log(db) -> None:
    from auditlog.models import LogEntry

    clinic = ClinicFactory.create()
    client, raw = key_client(clinic)
    created = client.post(
        "/api/v1/patients",
        {"mrn": "EMR-9", "given_name": "Kay", "family_name": "Ng", "date_of_birth": "1990-01-01", "sex": "female"},
        format="json",
    )
    assert created.status_code == 201
    patient = Patient.objects.get(external_id=created.json()["id"])
    entry = LogEntry.objects.get_for_object(patient).get()
    assert entry.actor is None
    assert entry.actor_email == f"api-key:{raw[3:].split('.')[0]}"
