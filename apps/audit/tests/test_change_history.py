"""Every clinical change is logged with its actor, and the log never holds plaintext PHI."""

from __future__ import annotations

import datetime
import json

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.tests.factories import ClinicFactory, staff
from apps.audit.registration import CLINICAL_MODELS, REDACTED
from apps.core.actor import acting_as
from apps.patients.models import Patient
from apps.patients.services import patient_create, patient_delete, patient_update

pytestmark = pytest.mark.django_db

PHI = {
    "mrn": "MRN-778899",
    "given_name": "Henrietta",
    "family_name": "Lacksworth",
    "email": "henrietta.lacksworth@example.org",
    "phone": "+44 7700 900123",
    "medical_history": "Bilateral salpingectomy",
}
DOB = datetime.date(1987, 3, 14)


def _entries_text(patient_pk: int) -> str:
    ct = ContentType.objects.get_for_model(Patient)
    entries = LogEntry.objects.filter(content_type=ct, object_pk=str(patient_pk))
    return json.dumps([[e.changes, e.object_repr, e.additional_data, e.changes_text] for e in entries], default=str)


def _assert_no_phi(text: str) -> None:
    for value in [*PHI.values(), DOB.isoformat(), "Henny", "Lacksworth-Smith"]:
        assert value not in text, f"plaintext PHI {value!r} in the change log"


def test_create_change_delete_are_logged_with_actor_and_masked() -> None:
    clinic = ClinicFactory.create()
    nurse = staff(clinic, Role.NURSE)
    admin = staff(clinic, Role.CLINIC_ADMIN)

    with acting_as(nurse):
        patient = patient_create(user=nurse, clinic=clinic, date_of_birth=DOB, sex="female", **PHI)
        patient_update(user=nurse, patient=patient, given_name="Henny", family_name="Lacksworth-Smith")
    pk = patient.pk
    with acting_as(admin):
        patient_delete(user=admin, patient=patient)

    ct = ContentType.objects.get_for_model(Patient)
    entries = list(LogEntry.objects.filter(content_type=ct, object_pk=str(pk)).order_by("timestamp", "pk"))
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]
    assert [e.actor for e in entries] == [nurse, nurse, admin]

    update = entries[1].changes_dict
    assert set(update) >= {"given_name", "family_name"}
    assert update["given_name"] == [REDACTED, REDACTED]  # the change is visible, the values are not
    assert "mrn_index" not in entries[0].changes_dict and "name_index" not in entries[0].changes_dict
    assert entries[0].additional_data == {"clinic": str(clinic.external_id)}
    _assert_no_phi(_entries_text(pk))


def test_admin_edit_records_the_web_actor() -> None:
    clinic = ClinicFactory.create()
    admin_user = staff(clinic, Role.CLINIC_ADMIN)
    with acting_as(admin_user):
        patient = patient_create(user=admin_user, clinic=clinic, date_of_birth=DOB, sex="female", **PHI)
    client = Client(REMOTE_ADDR="198.51.100.40")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:patients_patient_change", args=[patient.pk]),
        {
            "clinic": clinic.pk,
            "mrn": PHI["mrn"],
            "given_name": "Henny",
            "family_name": PHI["family_name"],
            "date_of_birth": DOB.isoformat(),
            "sex": "female",
            "email": PHI["email"],
            "phone": PHI["phone"],
            "address": "",
            "medical_history": PHI["medical_history"],
            "partner": "",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    entry = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == admin_user
    assert entry.remote_addr == "198.51.100.40"
    assert entry.changes_dict["given_name"] == [REDACTED, REDACTED]
    _assert_no_phi(_entries_text(patient.pk))
    # and the per-object history page in the admin shows it, masked
    page = client.get(reverse("admin:patients_patient_auditlog", args=[patient.pk]))
    assert page.status_code == 200
    assert b"Henny" not in page.content and REDACTED.encode() in page.content


def test_task_writes_record_the_actor() -> None:
    from celery import shared_task

    from apps.core.tasks import ActorTask

    clinic = ClinicFactory.create()
    clinician = staff(clinic, Role.CLINICIAN)

    @shared_task(base=ActorTask, name="tests.create_patient")
    def create_patient(clinic_pk: int, user_pk: int) -> str:
        from apps.accounts.models import Clinic, User

        p = patient_create(
            user=User.objects.get(pk=user_pk),
            clinic=Clinic.objects.get(pk=clinic_pk),
            date_of_birth=DOB,
            sex="female",
            **PHI,
        )
        return str(p.external_id)

    external_id = create_patient.apply(
        args=(clinic.pk, clinician.pk), kwargs={"actor": str(clinician.external_id)}
    ).get()
    patient = Patient.objects.get(external_id=external_id)
    entry = LogEntry.objects.get_for_object(patient).get()
    assert entry.actor == clinician


def test_every_clinical_model_is_registered_with_its_encrypted_fields_masked() -> None:
    from auditlog.registry import auditlog
    from django.apps import apps

    for label in CLINICAL_MODELS:
        model = apps.get_model(label)
        assert auditlog.contains(model), label
        encrypted = {f.name for f in model._meta.concrete_fields if getattr(f, "encrypted", False)}
        assert encrypted <= set(auditlog.get_model_fields(model)["mask_fields"]), label


def test_change_log_address_cannot_be_forged_through_forwarded_for(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    clinic = ClinicFactory.create()
    admin_user = staff(clinic, Role.CLINIC_ADMIN)
    with acting_as(admin_user):
        patient = patient_create(user=admin_user, clinic=clinic, date_of_birth=DOB, sex="female", **PHI)
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.77")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:patients_patient_change", args=[patient.pk]),
        {
            "clinic": clinic.pk,
            "mrn": PHI["mrn"],
            "given_name": "Henny",
            "family_name": PHI["family_name"],
            "date_of_birth": DOB.isoformat(),
            "sex": "female",
            "email": "",
            "phone": "",
            "address": "",
            "medical_history": "",
            "partner": "",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.remote_addr == "198.51.100.77"  # what the trusted proxy saw, not the forged 6.6.6.6
