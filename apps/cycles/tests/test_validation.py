"""The clinical validation that matters: dates in order, embryos from their cycle's oocytes,
Gardner grades valid (ICM/TE only at expansion ≥ 3), hormones non-negative, follicles sane."""

from __future__ import annotations

import datetime

import pytest

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError, ValidationFailed
from apps.cycles import services
from apps.cycles.models import CycleStatus, Embryo, EmbryoAssessment, MonitoringVisit, Transfer, TreatmentCycle
from apps.cycles.tests.factories import CycleFactory, EmbryoFactory, OocyteFactory
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def actor() -> User:
    return User.objects.create_superuser(email="root@test.example", password="x" * 12)


def test_cycle_dates_must_be_in_order(actor: User) -> None:
    patient = PatientFactory.create()
    with pytest.raises(ValidationFailed) as exc:
        services.cycle_create(
            user=actor, patient=patient, cycle_type="ivf", start_date=D(2026, 9, 10), trigger_date=D(2026, 9, 5)
        )
    assert "trigger_date" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        services.cycle_create(
            user=actor,
            patient=patient,
            cycle_type="ivf",
            start_date=D(2026, 9, 1),
            trigger_date=D(2026, 9, 12),
            retrieval_date=D(2026, 9, 11),
        )
    assert "retrieval_date" in exc.value.details
    assert not TreatmentCycle.objects.exists()
    ok = services.cycle_create(
        user=actor,
        patient=patient,
        cycle_type="ivf",
        start_date=D(2026, 9, 1),
        trigger_date=D(2026, 9, 12),
        retrieval_date=D(2026, 9, 14),
    )
    assert ok.clinic_id == patient.clinic_id


def test_status_moves_only_along_the_allowed_path(actor: User) -> None:
    cycle = CycleFactory.create(status=CycleStatus.PLANNED)
    with pytest.raises(ApplicationError) as exc:
        services.cycle_set_status(user=actor, cycle=cycle, status=CycleStatus.RETRIEVED)
    assert exc.value.code == "INVALID_STATUS_TRANSITION"
    services.cycle_set_status(user=actor, cycle=cycle, status=CycleStatus.STIMULATING)
    with pytest.raises(ValidationFailed):
        services.cycle_set_status(user=actor, cycle=cycle, status=CycleStatus.CANCELLED)  # no reason
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.STIMULATING
    services.cycle_set_status(user=actor, cycle=cycle, status=CycleStatus.CANCELLED, reason="Poor response")
    with pytest.raises(ApplicationError):
        services.cycle_set_status(user=actor, cycle=cycle, status=CycleStatus.STIMULATING)


def test_embryo_must_come_from_an_oocyte_of_the_same_cycle(actor: User) -> None:
    cycle = CycleFactory.create()
    other_oocyte = OocyteFactory.create(cycle=CycleFactory.create(patient=cycle.patient), number=1)
    embryo = Embryo(cycle=cycle, oocyte=other_oocyte, number=1)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        embryo.full_clean()
    assert "oocyte" in exc.value.message_dict
    # through the service the cycle is always the oocyte's own
    made = services.embryo_add(user=actor, oocyte=other_oocyte)
    assert made.cycle_id == other_oocyte.cycle_id
    with pytest.raises(ApplicationError) as dup:
        services.embryo_add(user=actor, oocyte=other_oocyte)
    assert dup.value.code == "DUPLICATE_NUMBER"


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"day": 5, "expansion": 7}, "expansion"),
        ({"day": 5, "expansion": 0}, "expansion"),
        ({"day": 5, "expansion": 2, "icm": "A", "te": "B"}, "icm"),
        ({"day": 5, "expansion": 4, "icm": "A"}, "te"),
        ({"day": 5, "expansion": 4, "icm": "D", "te": "A"}, "icm"),
        ({"day": 5, "icm": "A", "te": "A"}, "expansion"),
        ({"day": 3, "expansion": 3, "icm": "A", "te": "A"}, "expansion"),
        ({"day": 3, "fragmentation_pct": 120}, "fragmentation_pct"),
        ({"day": 3, "cleavage_grade": 4}, "cleavage_grade"),
        ({"day": 3, "pronuclei": 2}, "pronuclei"),
        ({"day": 9}, "day"),
    ],
)
def test_invalid_assessments_are_refused(actor: User, fields: dict, field_in_error: str) -> None:
    embryo = EmbryoFactory.create()
    with pytest.raises(ValidationFailed) as exc:
        services.assessment_add(user=actor, embryo=embryo, **fields)
    assert field_in_error in exc.value.details
    assert not EmbryoAssessment.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"day": 5, "expansion": 2},
        {"day": 5, "expansion": 4, "icm": "A", "te": "B"},
        {"day": 6, "expansion": 6, "icm": "C", "te": "C"},
        {"day": 1, "pronuclei": 2},
        {"day": 3, "cell_count": 8, "fragmentation_pct": 5, "cleavage_grade": 1},
    ],
)
def test_valid_assessments_are_kept(actor: User, fields: dict) -> None:
    a = services.assessment_add(user=actor, embryo=EmbryoFactory.create(), **fields)
    assert a.pk and (
        a.gardner == f"{fields['expansion']}{fields.get('icm', '')}{fields.get('te', '')}"
        if "expansion" in fields
        else a.gardner == ""
    )


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"estradiol_pg_ml": -1}, "estradiol_pg_ml"),
        ({"lh_iu_l": -0.5}, "lh_iu_l"),
        ({"progesterone_ng_ml": -2}, "progesterone_ng_ml"),
        ({"endometrial_thickness_mm": 45}, "endometrial_thickness_mm"),
        ({"left_follicles_mm": [12, 75]}, "left_follicles_mm"),
        ({"right_follicles_mm": [0.2]}, "right_follicles_mm"),
        ({"right_follicles_mm": ["12"]}, "right_follicles_mm"),
        ({"left_follicles_mm": {"a": 1}}, "left_follicles_mm"),
        ({"cycle_day": 0}, "cycle_day"),
        ({"visit_date": D(2026, 8, 1)}, "visit_date"),
    ],
)
def test_invalid_monitoring_values_are_refused(actor: User, fields: dict, field_in_error: str) -> None:
    cycle = CycleFactory.create()
    base = {"visit_date": D(2026, 9, 6), "cycle_day": 6}
    with pytest.raises(ValidationFailed) as exc:
        services.visit_add(user=actor, cycle=cycle, **{**base, **fields})
    assert field_in_error in exc.value.details
    assert not MonitoringVisit.objects.exists()


def test_transfer_takes_only_the_patients_available_embryos(actor: User) -> None:
    cycle = CycleFactory.create(status=CycleStatus.RETRIEVED)
    mine = EmbryoFactory.create(oocyte=OocyteFactory.create(cycle=cycle, number=1))
    stranger = EmbryoFactory.create()
    with pytest.raises(ApplicationError) as exc:
        services.transfer_record(user=actor, cycle=cycle, transfer_date=D(2026, 9, 19), embryos=[stranger])
    assert exc.value.code == "INVALID_EMBRYO"
    with pytest.raises(ValidationFailed):
        services.transfer_record(user=actor, cycle=cycle, transfer_date=D(2026, 9, 10), embryos=[mine])
    assert not Transfer.objects.exists()
    services.transfer_record(user=actor, cycle=cycle, transfer_date=D(2026, 9, 19), embryos=[mine])
    mine.refresh_from_db()
    assert mine.fate == "transferred"
    with pytest.raises(ApplicationError):
        services.transfer_record(
            user=actor, cycle=CycleFactory.create(patient=cycle.patient), transfer_date=D(2026, 9, 20), embryos=[mine]
        )


def test_outcome_only_once_awaited(actor: User) -> None:
    cycle = CycleFactory.create(status=CycleStatus.RETRIEVED)
    with pytest.raises(ApplicationError):
        services.outcome_record(user=actor, cycle=cycle, outcome="negative", outcome_date=D(2026, 10, 1))
    cycle.status = CycleStatus.OUTCOME_PENDING
    cycle.save()
    with pytest.raises(ValidationFailed):
        services.outcome_record(user=actor, cycle=cycle, outcome="negative", outcome_date=D(2026, 9, 13))
    services.outcome_record(user=actor, cycle=cycle, outcome="clinical_pregnancy", outcome_date=D(2026, 10, 10))
    assert TreatmentCycle.objects.get(pk=cycle.pk).outcome == "clinical_pregnancy"
