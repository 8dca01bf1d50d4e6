"""Partner API keys: hashed at rest, revocable, expiring, scoped, and brute-force limited."""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.api_keys import api_key_create, api_key_revoke
from apps.accounts.models import ApiKey
from apps.accounts.roles import Role, Scope
from apps.accounts.tests.factories import ClinicFactory, staff
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


def _raw_db(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        return repr(cursor.fetchall())


def test_the_database_never_holds_a_key_in_plaintext(two_clinics) -> None:
    client, raw = key_client(two_clinics[0].clinic)
    assert client.get("/api/v1/patients").status_code == 200
    secret = raw.split(".", 1)[1]
    dump = _raw_db("accounts_apikey") + _raw_db("auditlog_logentry") + _raw_db("audit_accesslog")
    assert secret not in dump and raw not in dump
    key = ApiKey.objects.get()
    assert key.last_used_at is not None


def test_revoked_key_is_refused_on_its_next_request(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic)
    assert client.get("/api/v1/patients").status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get())
    response = client.get("/api/v1/patients")
    assert response.status_code == 401 and response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_expired_key_is_refused(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic, expires_at=timezone.now() + datetime.timedelta(seconds=60))
    assert client.get("/api/v1/patients").status_code == 200
    ApiKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/api/v1/patients").status_code == 401


@pytest.mark.parametrize(
    ("scopes", "method", "path", "allowed"),
    [
        ([Scope.CYCLES_READ], "get", "/api/v1/patients", False),
        ([Scope.PATIENTS_READ], "get", "/api/v1/patients", True),
        ([Scope.PATIENTS_READ], "post", "/api/v1/patients", False),
        ([Scope.PATIENTS_READ], "get", "/api/v1/cycles", False),
        ([Scope.CYCLES_READ], "get", "/api/v1/embryos", True),
        ([Scope.CYCLES_READ], "post", "/api/v1/visits", False),
        ([Scope.PATIENTS_READ], "get", "/api/v1/analyses", False),
        ([Scope.ANALYSES_READ], "get", "/api/v1/analyses", True),
        ([Scope.ANALYSES_READ], "get", "/api/v1/reports", False),
        ([Scope.REPORTS_READ], "get", "/api/v1/reports", True),
    ],
)
def test_missing_scope_is_403(two_clinics, scopes, method, path, allowed) -> None:
    client, _ = key_client(two_clinics[0].clinic, scopes=scopes)
    response = getattr(client, method)(path, {}, format="json")
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_write_scope_without_delete_right_cannot_delete(two_clinics) -> None:
    client, _ = key_client(two_clinics[0].clinic, scopes=[Scope.PATIENTS_READ, Scope.PATIENTS_WRITE])
    response = client.delete(f"/api/v1/patients/{two_clinics[0].partner.external_id}")
    assert response.status_code == 403
    assert two_clinics[0].partner.__class__.objects.filter(pk=two_clinics[0].partner.pk).exists()


def test_unknown_scopes_are_refused_at_creation(two_clinics) -> None:
    from apps.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        api_key_create(clinic=two_clinics[0].clinic, name="x", scopes=["patients:admin"])
    assert exc.value.code == "INVALID_SCOPES"
    assert not ApiKey.objects.exists()


def test_admin_creates_a_key_and_shows_it_once(db) -> None:
    clinic = ClinicFactory.create()
    other = ClinicFactory.create()
    admin_user = staff(clinic, Role.CLINIC_ADMIN)
    client = Client()
    client.force_login(admin_user)
    add = reverse("admin:accounts_apikey_add")
    form = client.get(add)
    assert {c.pk for c in form.context["adminform"].form.fields["clinic"].queryset} == {clinic.pk}
    response = client.post(add, {"clinic": clinic.pk, "name": "Lab X", "scopes": ["patients:read", "cycles:read"]})
    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert raw.startswith("fv_") and raw.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    assert key.clinic == clinic and key.created_by == admin_user and raw.split(".")[1] not in _raw_db("accounts_apikey")
    # It works, once shown; and it is never shown again.
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert api.get("/api/v1/patients").status_code == 200
    assert raw.encode() not in client.get(reverse("admin:accounts_apikey_change", args=[key.pk])).content
    # A key for another clinic cannot be made.
    before = ApiKey.objects.count()
    client.post(add, {"clinic": other.pk, "name": "Sneaky", "scopes": ["patients:read"]})
    assert ApiKey.objects.count() == before


def test_failed_key_attempts_are_counted_per_address(two_clinics, settings) -> None:
    settings.API_KEY_FAILURE_LIMIT = 3
    from rest_framework.test import APIClient

    bad = APIClient(REMOTE_ADDR="203.0.113.5")
    bad.credentials(HTTP_AUTHORIZATION="Api-Key fv_deadbeef.wrong")
    assert [bad.get("/api/v1/patients").status_code for _ in range(5)] == [401, 401, 401, 429, 429]
    # A valid key from that address is refused too while the window lasts ...
    good, raw = key_client(two_clinics[0].clinic)
    same_address = APIClient(REMOTE_ADDR="203.0.113.5")
    same_address.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert same_address.get("/api/v1/patients").status_code == 429
    # ... but other addresses are unaffected.
    assert good.get("/api/v1/patients").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_bad_keys_get_no_more_failures_than_the_limit(live_server, settings) -> None:
    """50 concurrent requests with bad keys from one address, against a live server in threads:
    at most API_KEY_FAILURE_LIMIT of them are evaluated (401); every other one is 429."""
    settings.API_KEY_FAILURE_LIMIT = 5
    ClinicFactory.create()
    url = f"{live_server.url}/api/v1/patients"

    def attempt(i: int) -> int:
        return requests.get(url, headers={"Authorization": f"Api-Key fv_{i:08x}.nope"}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert statuses.count(401) <= 5
    assert statuses.count(401) + statuses.count(429) == 50
    assert statuses.count(429) >= 45
