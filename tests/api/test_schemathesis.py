"""Schemathesis over every operation of the partner API, in-process, with a valid API key:
no server errors, no response that violates the schema, and nothing answers 2xx without
credentials (the `ignored_auth` check repeats each successful call without and with a bad key)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import key_client, make_clinic_data

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    ignored_auth,
]


@pytest.fixture
def in_process_connections() -> Any:
    """Django's test client stops the request signals from closing the test's DB connection;
    a bare WSGI app does not, so do the same here."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(db: Any, settings: Any, in_process_connections: Any) -> dict[str, str]:
    rates = {"api_key": "100000/min", "user": "100000/min", "anon": "100000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.API_KEY_FAILURE_LIMIT = 1_000_000  # the auth probes would otherwise lock the address
    data = make_clinic_data("Alpha")
    _, raw = key_client(data.clinic)
    return {"Authorization": f"Api-Key {raw}"}


# Loaded when the module is collected: generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms(case: Any, auth_header: dict[str, str]) -> None:
    case.call_and_validate(headers=auth_header, checks=CHECKS)
