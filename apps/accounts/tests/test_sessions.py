"""Sessions: a new key at login, an idle timeout and an absolute lifetime, all from settings."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.middleware import AUTH_AT, LAST_SEEN
from apps.accounts.roles import Role
from apps.accounts.tests.factories import PASSWORD, ClinicFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in():
    user = staff(ClinicFactory.create(), Role.NURSE)
    client = Client()
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.cookies.get("sessionid")
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client, before.value if before else None


def _age_session(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_login_issues_a_new_session_key(logged_in) -> None:
    client, before = logged_in
    assert client.session.session_key != before
    assert client.get("/").status_code == 200


def test_idle_session_expires(logged_in, settings) -> None:
    client, _ = logged_in
    _age_session(client, LAST_SEEN, settings.SESSION_IDLE_TIMEOUT + 5)
    response = client.get("/")
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_active_session_ends_at_absolute_lifetime(logged_in, settings) -> None:
    client, _ = logged_in
    _age_session(client, AUTH_AT, settings.SESSION_ABSOLUTE_LIFETIME + 5)
    response = client.get("/")
    assert response.status_code == 302


def test_activity_keeps_the_session_within_limits(logged_in, settings) -> None:
    client, _ = logged_in
    _age_session(client, LAST_SEEN, settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_SEEN] < 5  # refreshed by the request


def test_wrong_password_message_is_generic(db) -> None:
    user = staff(ClinicFactory.create(), Role.NURSE)
    response = Client().post(reverse("accounts:login"), {"username": user.email, "password": "bad"})
    assert response.status_code == 200
    assert b"correct email" in response.content.lower() or b"enter a correct" in response.content.lower()
