"""One error format, correlation ids, and no PHI in errors."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_no_credentials_is_401_in_the_error_format(two_clinics) -> None:
    response = APIClient().get("/api/v1/patients")
    _assert_error(response, 401, "NOT_AUTHENTICATED")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_unknown_url_and_unknown_id_are_404_in_the_error_format(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic)
    _assert_error(client.get("/api/v1/nothing-here"), 404, "NOT_FOUND")
    _assert_error(client.get(f"/api/v1/patients/{uuid.uuid4()}"), 404, "NOT_FOUND")
    _assert_error(client.get("/api/v1/patients/not-a-uuid"), 404, "NOT_FOUND")


def test_validation_errors_carry_field_details_without_echoing_values(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic)
    response = client.post(
        "/api/v1/patients",
        {
            "mrn": "",
            "given_name": "Zelda",
            "family_name": "Q",
            "date_of_birth": "not-a-date",
            "sex": "robot",
            "email": "zelda-at-example",
        },
        format="json",
    )
    error = _assert_error(response, 400, "VALIDATION_ERROR")
    assert {"mrn", "date_of_birth", "sex", "email"} <= set(error["details"])
    assert "zelda-at-example" not in response.content.decode()


def test_domain_errors_keep_their_code(two_clinics) -> None:
    a = two_clinics[0]
    client, _ = key_client(a.clinic)
    response = client.post(
        "/api/v1/patients",
        {"mrn": a.patient.mrn, "given_name": "X", "family_name": "Y", "date_of_birth": "1990-01-01", "sex": "female"},
        format="json",
    )
    error = _assert_error(response, 400, "DUPLICATE_MRN")
    assert a.patient.mrn not in json.dumps(error)


def test_unsupported_method_and_media_type(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic)
    _assert_error(
        client.put(f"/api/v1/patients/{two_clinics[0].patient.external_id}", {}, format="json"),
        405,
        "METHOD_NOT_ALLOWED",
    )
    response = client.post("/api/v1/patients", data="mrn=1", content_type="text/plain")
    _assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    _assert_error(
        client.post("/api/v1/patients", data="{bad json", content_type="application/json"), 400, "MALFORMED_REQUEST"
    )


def test_server_error_says_only_a_generic_message_and_the_correlation_id(two_clinics, monkeypatch, caplog) -> None:
    from apps.patients.api import views

    def explode(**kwargs):
        raise RuntimeError(f"boom with {two_clinics[0].patient.family_name}")

    monkeypatch.setattr(views.PatientViewSet, "selector", staticmethod(explode))
    client, _ = key_client(two_clinics[0].clinic)
    with caplog.at_level(logging.ERROR, logger="fertivision.api"):
        response = client.get("/api/v1/patients", HTTP_X_CORRELATION_ID="trace-abc-12345")
    error = _assert_error(response, 500, "INTERNAL_ERROR")
    assert error["message"] == "An internal error occurred."
    assert error["details"] == {"correlation_id": "trace-abc-12345"}
    assert "boom" not in response.content.decode() and "Testpatient" not in response.content.decode()
    # The JSON log line has the correlation id and no exception message (which could echo PHI).
    from apps.core.logging import JsonFormatter

    record = next(r for r in caplog.records if r.name == "fertivision.api")
    line = json.loads(JsonFormatter().format(record))
    assert line["correlation_id"] == "trace-abc-12345" and line["exception"] == "RuntimeError"
    assert "Testpatient" not in json.dumps(line)


def test_correlation_id_is_kept_when_well_formed_and_made_otherwise(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic)
    assert client.get("/api/v1/patients", HTTP_X_CORRELATION_ID="partner-req-0001")["X-Correlation-ID"] == (
        "partner-req-0001"
    )
    made = client.get("/api/v1/patients", HTTP_X_CORRELATION_ID="bad id\n<script>")["X-Correlation-ID"]
    assert made != "bad id\n<script>" and len(made) == 32
    assert APIClient().get("/api/v1/patients")["X-Correlation-ID"]
    assert APIClient().get("/healthz")["X-Correlation-ID"]


def test_rate_limit_headers_and_429(two_clinics, settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "user": "3/min", "anon": "3/min"},
    }
    client, _ = key_client(two_clinics[0].clinic)
    remaining = [int(client.get("/api/v1/patients")["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [2, 1, 0]
    response = client.get("/api/v1/patients")
    error = _assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) > 0 and error["details"]["retry_after_seconds"] > 0
    # Another key of the same clinic has its own budget.
    other, _ = key_client(two_clinics[0].clinic)
    assert other.get("/api/v1/patients").status_code == 200


def test_session_users_are_throttled_per_user(two_clinics, settings) -> None:
    from tests.api.conftest import session_client

    rates = {"api_key": "100/min", "user": "2/min", "anon": "100/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    one, _ = session_client(two_clinics[0].clinic)
    two, _ = session_client(two_clinics[0].clinic)
    assert [one.get("/api/v1/cycles").status_code for _ in range(3)] == [200, 200, 429]
    assert two.get("/api/v1/cycles").status_code == 200


@pytest.mark.parametrize(
    "value", ["0025-03-01T10:53:44+22:02", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"]
)
def test_out_of_range_datetimes_are_400_not_500(two_clinics, value: str) -> None:
    client, _ = key_client(two_clinics[0].clinic)
    response = client.get("/api/v1/patients", {"created_after": value})
    _assert_error(response, 400, "VALIDATION_ERROR")


def test_json_log_lines_carry_no_exception_message() -> None:
    import sys

    from apps.core.logging import JsonFormatter

    try:
        raise ValueError("Lovelace, Ada, born 1815-12-10")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "Lovelace" not in line and "ValueError" in line
