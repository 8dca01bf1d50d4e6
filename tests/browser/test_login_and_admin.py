"""A clinic's staff sign in through the real page; a clinic admin's admin shows only their clinic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from apps.accounts.roles import Role
from apps.accounts.tests.factories import PASSWORD, ClinicFactory, staff
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_staff_member_signs_in_and_sees_only_their_clinic(live_server, page: Page) -> None:
    north, south = ClinicFactory.create(name="North"), ClinicFactory.create(name="South")
    for _ in range(3):
        PatientFactory.create(clinic=north)
    PatientFactory.create(clinic=south)
    nurse = staff(north, Role.NURSE, full_name="Nora Nurse")

    _sign_in(page, live_server.url, nurse.email, PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Nora Nurse")).to_be_visible()
    expect(page.get_by_text("You can see 3 patients")).to_be_visible()
    expect(page.get_by_role("cell", name="North")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"))

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_passwords_end_on_the_lockout_page(live_server, page: Page) -> None:
    nurse = staff(ClinicFactory.create(), Role.NURSE)
    for _ in range(5):
        _sign_in(page, live_server.url, nurse.email, "not the password")
    _sign_in(page, live_server.url, nurse.email, PASSWORD)
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    expect(page.get_by_text("ACCOUNT_LOCKED")).to_be_visible()


def test_clinic_admin_changelist_lists_only_own_patients(live_server, page: Page) -> None:
    north, south = ClinicFactory.create(name="North"), ClinicFactory.create(name="South")
    own = PatientFactory.create(clinic=north, mrn="N-1")
    PatientFactory.create(clinic=south, mrn="S-1")
    admin_user = staff(north, Role.CLINIC_ADMIN)

    _sign_in(page, live_server.url, admin_user.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/patients/patient/")
    expect(page.get_by_text("1 patient")).to_be_visible()
    expect(page.get_by_role("link", name=str(own.external_id)[:8])).to_be_visible()
    expect(page.get_by_text("S-1")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "admin-patients.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/patients/patient/?q=S-1")
    expect(page.get_by_text("0 patients")).to_be_visible()
