"""PHI is ciphertext in the database, search works through the blind index, keys rotate."""

from __future__ import annotations

import base64
import datetime
import os
import re

import pytest
from django.core.management import call_command
from django.db import connection

from apps.core import crypto
from apps.cycles.tests.factories import CycleFactory
from apps.patients.models import Patient
from apps.patients.selectors import patient_search
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


CIPHERTEXT = re.compile(r"v1:[A-Za-z0-9_]+:[A-Za-z0-9_-]+=*")  # crypto.encrypt's stored format


def _raw_table(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return "\n".join(repr(row) for row in cursor.fetchall())


@pytest.fixture
def patients() -> list[Patient]:
    return [PatientFactory.create() for _ in range(12)]


def _new_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def test_raw_sql_shows_no_names_emails_or_birth_dates(patients: list[Patient]) -> None:
    raw = _raw_table("patients_patient")
    assert raw.count("v1:t1:") >= 12 * 5  # every encrypted column holds ciphertext
    # a short name ("Wu") turns up inside random base64 now and then: look for PHI outside the ciphertext
    raw = CIPHERTEXT.sub("<ciphertext>", raw)
    for p in patients:
        for secret in (
            p.given_name,
            p.family_name,
            p.email,
            p.mrn,
            p.phone,
            p.medical_history,
            p.date_of_birth.isoformat(),
            p.date_of_birth.strftime("%d/%m/%Y"),
        ):
            assert secret not in raw, "plaintext PHI found in the patient table"


def test_orm_reads_plaintext_back(patients: list[Patient]) -> None:
    p = patients[0]
    fresh = Patient.objects.get(pk=p.pk)
    assert (fresh.given_name, fresh.family_name, fresh.email) == (p.given_name, p.family_name, p.email)
    assert fresh.date_of_birth == p.date_of_birth
    assert isinstance(fresh.date_of_birth, datetime.date)


def test_blind_index_search_is_exact_and_normalised(patients: list[Patient]) -> None:
    p = patients[3]
    user = _superuser()
    assert list(patient_search(user=user, mrn=p.mrn)) == [p]
    assert list(patient_search(user=user, mrn=f"  {p.mrn.lower()} ")) == [p]
    assert list(patient_search(user=user, full_name=f"{p.given_name.upper()}   {p.family_name}")) == [p]
    assert not patient_search(user=user, mrn=p.mrn[:-1]).exists()  # exact, not prefix


def test_ciphertext_moved_to_another_column_does_not_decrypt(patients: list[Patient]) -> None:
    p = patients[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patient SET family_name = given_name WHERE id = %s", [p.pk])
    with pytest.raises(crypto.DecryptionError):
        Patient.objects.get(pk=p.pk)


def test_encrypted_columns_refuse_value_lookups() -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(Patient.objects.filter(given_name="Anna"))


def test_key_rotation_reencrypts_every_row_and_search_still_matches(settings, patients: list[Patient]) -> None:
    cycle = CycleFactory.create(patient=patients[0], notes="Clinical note that is PHI")
    expected = {p.pk: (p.given_name, p.family_name, p.date_of_birth, p.mrn) for p in patients}
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [_new_key("t2"), old]

    with pytest.raises(Exception, match="not on the newest key"):
        call_command("reencrypt_phi", "--check")
    call_command("reencrypt_phi")
    call_command("reencrypt_phi", "--check")  # now clean

    raw = _raw_table("patients_patient")
    assert "v1:t1:" not in raw and "v1:t2:" in raw
    assert "v1:t2:" in _raw_table("cycles_treatmentcycle")

    # The old key can now be removed: every row still decrypts with the new one alone.
    settings.FIELD_ENCRYPTION_KEYS = [settings.FIELD_ENCRYPTION_KEYS[0]]
    for p in Patient.objects.all():
        assert (p.given_name, p.family_name, p.date_of_birth, p.mrn) == expected[p.pk]
    assert Patient.objects.get(pk=cycle.patient.pk).cycles.get().notes == "Clinical note that is PHI"
    user = _superuser()
    for p in patients:
        assert list(patient_search(user=user, mrn=p.mrn)) == [p]
        assert list(patient_search(user=user, full_name=p.full_name)) == [p]


def test_without_the_old_key_rows_fail_loudly(settings, patients: list[Patient]) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [_new_key("t9")]
    with pytest.raises(crypto.DecryptionError):
        list(Patient.objects.all())


def test_keys_are_not_derived_from_secret_key(settings, patients: list[Patient]) -> None:
    settings.SECRET_KEY = "a-completely-different-secret-key-for-this-test-0123456789"
    assert Patient.objects.get(pk=patients[0].pk).given_name == patients[0].given_name


def _superuser():
    from apps.accounts.models import User

    return User.objects.create_superuser(email=f"root{User.objects.count()}@test.example", password="x" * 12)
