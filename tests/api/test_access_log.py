"""Every API read of a patient, cycle, analysis or report is recorded: who, what, when, where."""

from __future__ import annotations

import pytest

from apps.audit.models import AccessLog
from tests.api.conftest import key_client, session_client

pytestmark = pytest.mark.django_db


def test_detail_and_list_reads_are_recorded_for_keys(two_clinics, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    a, _ = two_clinics
    client, raw = key_client(a.clinic)
    prefix = raw[3:].split(".")[0]
    for resource, obj in [
        ("patients", a.patient),
        ("cycles", a.cycle),
        ("analyses", a.analysis),
        ("reports", a.report),
    ]:
        response = client.get(
            f"/api/v1/{resource}/{obj.external_id}",
            HTTP_X_CORRELATION_ID=f"read-{resource}-1",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.44",
        )
        assert response.status_code == 200
        entry = AccessLog.objects.get(object_external_id=obj.external_id, action="view")
        assert entry.api_key_prefix == prefix and entry.user is None
        assert entry.object_type == obj._meta.label_lower
        assert entry.clinic_external_id == a.clinic.external_id
        assert entry.ip_address == "192.0.2.44"
        assert entry.correlation_id == f"read-{resource}-1"
    client.get("/api/v1/patients")
    listed = set(
        AccessLog.objects.filter(action="list", object_type="patients.patient").values_list(
            "object_external_id", flat=True
        )
    )
    assert listed == {a.patient.external_id, a.partner.external_id}


def test_session_reads_record_the_user(two_clinics) -> None:
    a, _ = two_clinics
    client, user = session_client(a.clinic)
    client.get(f"/api/v1/patients/{a.patient.external_id}")
    entry = AccessLog.objects.get(object_external_id=a.patient.external_id)
    assert entry.user == user and entry.api_key_prefix == ""
