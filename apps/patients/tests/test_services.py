from __future__ import annotations

import datetime

import pytest

from apps.accounts.roles import Role
from apps.accounts.tests.factories import ClinicFactory, staff
from apps.core.exceptions import ApplicationError, NotFound, ValidationFailed
from apps.patients.models import ConsentKind, Patient
from apps.patients.services import consent_current, consent_record, patient_create, patient_link_partner, patient_update
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
DOB = datetime.date(1990, 5, 1)


def test_mrn_is_unique_within_a_clinic_but_not_across() -> None:
    a, b = ClinicFactory.create(), ClinicFactory.create()
    ua, ub = staff(a, Role.NURSE), staff(b, Role.NURSE)
    patient_create(user=ua, clinic=a, mrn="M-1", given_name="A", family_name="B", date_of_birth=DOB, sex="female")
    with pytest.raises(ApplicationError) as exc:
        patient_create(user=ua, clinic=a, mrn=" m-1 ", given_name="C", family_name="D", date_of_birth=DOB, sex="male")
    assert exc.value.code == "DUPLICATE_MRN"
    assert "M-1" not in exc.value.message  # no identifier echoed back
    patient_create(user=ub, clinic=b, mrn="M-1", given_name="E", family_name="F", date_of_birth=DOB, sex="female")
    assert Patient.objects.count() == 2


def test_cannot_create_in_a_clinic_without_permission() -> None:
    a, b = ClinicFactory.create(), ClinicFactory.create()
    viewer = staff(a, Role.VIEWER)
    nurse_b = staff(b, Role.NURSE)
    for user in (viewer, nurse_b):
        with pytest.raises(NotFound):
            patient_create(
                user=user, clinic=a, mrn="M-2", given_name="A", family_name="B", date_of_birth=DOB, sex="female"
            )
    assert not Patient.objects.exists()


def test_future_birth_date_is_refused() -> None:
    clinic = ClinicFactory.create()
    with pytest.raises(ValidationFailed) as exc:
        patient_create(
            user=staff(clinic, Role.NURSE),
            clinic=clinic,
            mrn="M-3",
            given_name="A",
            family_name="B",
            date_of_birth=datetime.date.today() + datetime.timedelta(days=1),
            sex="female",
        )
    assert "date_of_birth" in exc.value.details


def test_update_refreshes_the_blind_index() -> None:
    from apps.patients.selectors import patient_search

    clinic = ClinicFactory.create()
    nurse = staff(clinic, Role.NURSE)
    p = PatientFactory.create(clinic=clinic, given_name="Ada", family_name="King")
    patient_update(user=nurse, patient=p, family_name="Lovelace")
    assert list(patient_search(user=nurse, full_name="Ada Lovelace")) == [p]
    assert not patient_search(user=nurse, full_name="Ada King").exists()


def test_partner_link_is_symmetric_and_within_one_clinic() -> None:
    clinic = ClinicFactory.create()
    nurse = staff(clinic, Role.NURSE)
    f, m, m2 = (
        PatientFactory.create(clinic=clinic),
        PatientFactory.create(clinic=clinic, sex="male"),
        PatientFactory.create(clinic=clinic),
    )
    patient_link_partner(user=nurse, patient=f, partner=m)
    f.refresh_from_db()
    m.refresh_from_db()
    assert f.partner == m and m.partner == f
    # Re-partnering dissolves the old couple on both sides.
    patient_link_partner(user=nurse, patient=f, partner=m2)
    f.refresh_from_db()
    m.refresh_from_db()
    m2.refresh_from_db()
    assert f.partner == m2 and m2.partner == f and m.partner is None
    patient_link_partner(user=nurse, patient=f, partner=None)
    assert Patient.objects.filter(partner__isnull=False).count() == 0

    stranger = PatientFactory.create()  # another clinic
    stranger_admin = staff(stranger.clinic, Role.CLINIC_ADMIN)
    with pytest.raises(NotFound):
        from apps.patients.access import patient_get

        patient_get(user=nurse, external_id=stranger.external_id)
    with pytest.raises(ApplicationError):
        patient_link_partner(user=nurse, patient=f, partner=stranger)
    with pytest.raises(ApplicationError):
        patient_link_partner(user=stranger_admin, patient=stranger, partner=stranger)
    assert Patient.objects.filter(partner__isnull=False).count() == 0


def test_consents_keep_their_history() -> None:
    clinic = ClinicFactory.create()
    nurse = staff(clinic, Role.NURSE)
    p = PatientFactory.create(clinic=clinic)
    assert consent_current(patient=p, kind=ConsentKind.RESEARCH_USE) is None
    consent_record(
        user=nurse, patient=p, kind=ConsentKind.RESEARCH_USE, granted=True, decided_on=datetime.date(2026, 1, 1)
    )
    consent_record(
        user=nurse, patient=p, kind=ConsentKind.RESEARCH_USE, granted=False, decided_on=datetime.date(2026, 6, 1)
    )
    current = consent_current(patient=p, kind=ConsentKind.RESEARCH_USE)
    assert current is not None and current.granted is False and current.recorded_by == nurse
    assert p.consents.count() == 2
    with pytest.raises(ValidationFailed):
        consent_record(
            user=nurse,
            patient=p,
            kind=ConsentKind.DATA_RETENTION,
            granted=True,
            decided_on=datetime.date(2026, 6, 1),
            valid_until=datetime.date(2026, 1, 1),
        )
