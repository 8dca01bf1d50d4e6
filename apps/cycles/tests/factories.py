from __future__ import annotations

import datetime

import factory

from apps.cycles.models import CycleStatus, CycleType, Embryo, MonitoringVisit, Oocyte, TreatmentCycle
from apps.patients.tests.factories import PatientFactory


class CycleFactory(factory.django.DjangoModelFactory[TreatmentCycle]):
    class Meta:
        model = TreatmentCycle

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    cycle_type = CycleType.ICSI
    status = CycleStatus.RETRIEVED
    start_date = datetime.date(2026, 9, 1)
    trigger_date = datetime.date(2026, 9, 12)
    retrieval_date = datetime.date(2026, 9, 14)


class VisitFactory(factory.django.DjangoModelFactory[MonitoringVisit]):
    class Meta:
        model = MonitoringVisit

    cycle = factory.SubFactory(CycleFactory)
    visit_date = datetime.date(2026, 9, 6)
    cycle_day = 6
    estradiol_pg_ml = 650.0
    left_follicles_mm = [12.5, 10.0]
    right_follicles_mm = [11.0]


class OocyteFactory(factory.django.DjangoModelFactory[Oocyte]):
    class Meta:
        model = Oocyte

    cycle = factory.SubFactory(CycleFactory)
    number = factory.Sequence(lambda n: n + 1)
    maturity = "MII"
    pronuclei = 2


class EmbryoFactory(factory.django.DjangoModelFactory[Embryo]):
    class Meta:
        model = Embryo

    oocyte = factory.SubFactory(OocyteFactory)
    cycle = factory.SelfAttribute("oocyte.cycle")
    number = factory.SelfAttribute("oocyte.number")
