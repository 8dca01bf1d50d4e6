"""django-axes: 5 failures lock a username from one address; other users and addresses are unaffected."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.tests.factories import PASSWORD, ClinicFactory, staff

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str, **extra: Any):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


@pytest.fixture
def users():
    clinic = ClinicFactory.create()
    return staff(clinic, Role.NURSE), staff(clinic, Role.CLINICIAN)


def test_sixth_attempt_is_locked_for_that_user_and_address_only(users) -> None:
    victim, colleague = users
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(5):
        response = _login(client, victim.email, "wrong password")
        assert response.status_code in (200, 429)
    # 6th attempt, even with the right password: locked out.
    response = _login(client, victim.email, PASSWORD)
    assert response.status_code == 429
    assert b"ACCOUNT_LOCKED" in response.content
    assert "_auth_user_id" not in client.session

    # Another user from the same address still gets in.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert _login(other, colleague.email, PASSWORD).status_code == 302
    # The same user from another address still gets in.
    elsewhere = Client(REMOTE_ADDR="203.0.113.50")
    assert _login(elsewhere, victim.email, PASSWORD).status_code == 302


def test_four_failures_do_not_lock(users) -> None:
    victim, _ = users
    client = Client(REMOTE_ADDR="198.51.100.8")
    for _ in range(4):
        assert _login(client, victim.email, "nope").status_code == 200
    assert _login(client, victim.email, PASSWORD).status_code == 302


def test_failure_limit_is_configurable(users, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    victim, _ = users
    client = Client(REMOTE_ADDR="198.51.100.9")
    _login(client, victim.email, "nope")
    _login(client, victim.email, "nope")
    assert _login(client, victim.email, PASSWORD).status_code == 429


def test_forged_forwarded_for_does_not_change_the_address(users, settings) -> None:
    """With one trusted proxy, only the proxy's own X-Forwarded-For entry counts; entries the client
    prepends are ignored, so rotating them does not escape the lockout."""
    settings.TRUSTED_PROXY_COUNT = 1
    victim, _ = users
    client = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
    for i in range(5):
        _login(client, victim.email, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.20")
    response = _login(client, victim.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.20")
    assert response.status_code == 429
    # A genuinely different client behind the same proxy is not locked.
    response = _login(client, victim.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.21")
    assert response.status_code == 302


def test_without_trusted_proxies_forwarded_for_is_ignored(users, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    victim, _ = users
    client = Client(REMOTE_ADDR="198.51.100.30")
    for i in range(5):
        _login(client, victim.email, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert _login(client, victim.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


def test_client_ip_rules() -> None:
    from django.test import RequestFactory, override_settings

    from apps.core.net import client_ip

    rf = RequestFactory()
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1, 10.0.0.1")
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert client_ip(request) == "10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == "10.0.0.1"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_ip(request) == "198.51.100.1"
    short = rf.get("/", REMOTE_ADDR="10.0.0.2")
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_ip(short) == "10.0.0.2"
