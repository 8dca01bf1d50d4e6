"""The admin as a clinic administrator uses it: blind-index search, sharing, cycle inlines."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.tests.factories import ClinicFactory, staff
from apps.cycles.tests.factories import CycleFactory, EmbryoFactory, OocyteFactory, VisitFactory
from apps.patients.selectors import patient_list
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    clinic = ClinicFactory.create(name="North")
    admin_user = staff(clinic, Role.CLINIC_ADMIN)
    client = Client()
    client.force_login(admin_user)
    patient = PatientFactory.create(clinic=clinic, mrn="N-42", given_name="Ada", family_name="Lovelace")
    PatientFactory.create(clinic=clinic, mrn="N-43")
    return clinic, admin_user, client, patient


@pytest.mark.parametrize("term", ["N-42", "n-42", "Ada Lovelace", "ada  LOVELACE"])
def test_search_finds_exact_mrn_or_full_name(setup, term: str) -> None:
    _, _, client, patient = setup
    response = client.get("/admin/patients/patient/", {"q": term})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [patient]


def test_search_is_exact_not_partial(setup) -> None:
    _, _, client, _ = setup
    for term in ("N-4", "Ada", "Lovelace"):
        assert client.get("/admin/patients/patient/", {"q": term}).context["cl"].result_count == 0


def test_clinic_admin_shares_a_patient_through_guardian_page(setup) -> None:
    _, _, client, patient = setup
    other_clinic = ClinicFactory.create()
    colleague = staff(other_clinic, Role.VIEWER)
    url = reverse("admin:patients_patient_permissions", args=[patient.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"user": colleague.email, "submit_manage_user": "submit"})
    assert response.status_code == 302
    manage = response["Location"]
    response = client.post(manage, {"permissions": ["view_patient"]})
    assert response.status_code == 302
    assert list(patient_list(user=colleague)) == [patient]


def test_cycle_change_page_shows_visits_oocytes_and_embryos(setup) -> None:
    _, _, client, patient = setup
    cycle = CycleFactory.create(patient=patient)
    VisitFactory.create(cycle=cycle)
    EmbryoFactory.create(oocyte=OocyteFactory.create(cycle=cycle, number=1))
    response = client.get(reverse("admin:cycles_treatmentcycle_change", args=[cycle.pk]))
    assert response.status_code == 200
    prefixes = {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
    assert prefixes == {"visits", "oocytes", "embryos"}
    counts = {f.formset.prefix: f.formset.total_form_count() for f in response.context["inline_admin_formsets"]}
    assert counts == {"visits": 1, "oocytes": 1, "embryos": 1}


def test_partner_autocomplete_offers_own_clinic_patients(setup) -> None:
    _, _, client, patient = setup
    PatientFactory.create()  # another clinic
    response = client.get(
        "/admin/autocomplete/", {"app_label": "patients", "model_name": "patient", "field_name": "partner", "term": ""}
    )
    assert response.status_code == 200
    ids = {r["id"] for r in response.json()["results"]}
    assert str(patient.pk) in ids and len(ids) == 2
