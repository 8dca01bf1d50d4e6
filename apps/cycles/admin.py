from __future__ import annotations

from django.contrib import admin

from apps.core.admin import ScopedInline, ScopedModelAdmin, register_scope
from apps.cycles import selectors
from apps.cycles.models import Embryo, EmbryoAssessment, MonitoringVisit, Oocyte, Transfer, TreatmentCycle

register_scope(TreatmentCycle, selectors.cycle_list)
register_scope(MonitoringVisit, selectors.visit_list)
register_scope(Oocyte, selectors.oocyte_list)
register_scope(Embryo, selectors.embryo_list)
register_scope(EmbryoAssessment, selectors.assessment_list)
register_scope(Transfer, selectors.transfer_list)


class VisitInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = MonitoringVisit
    fields = (
        "visit_date",
        "cycle_day",
        "estradiol_pg_ml",
        "lh_iu_l",
        "progesterone_ng_ml",
        "endometrial_thickness_mm",
        "left_follicles_mm",
        "right_follicles_mm",
    )


class OocyteInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Oocyte
    fields = ("number", "maturity", "insemination", "pronuclei", "damaged")


class EmbryoInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Embryo
    fields = ("number", "oocyte", "fate", "fate_date")
    raw_id_fields = ("oocyte",)


class AssessmentInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = EmbryoAssessment
    fields = (
        "day",
        "assessed_at",
        "pronuclei",
        "cell_count",
        "fragmentation_pct",
        "multinucleation",
        "cleavage_grade",
        "expansion",
        "icm",
        "te",
        "assessed_by",
    )
    readonly_fields = ("assessed_by",)


@admin.register(TreatmentCycle)
class TreatmentCycleAdmin(ScopedModelAdmin):
    list_display = ("__str__", "clinic", "cycle_type", "protocol", "status", "start_date", "outcome")
    list_filter = ("clinic", "cycle_type", "protocol", "status", "outcome")
    list_select_related = ("clinic",)
    search_fields = ("external_id",)
    date_hierarchy = "start_date"
    raw_id_fields = ("patient",)
    readonly_fields = ("external_id", "created_at", "updated_at")
    inlines = [VisitInline, OocyteInline, EmbryoInline]


@admin.register(MonitoringVisit)
class MonitoringVisitAdmin(ScopedModelAdmin):
    list_display = ("__str__", "cycle", "visit_date", "estradiol_pg_ml", "endometrial_thickness_mm")
    list_filter = ("cycle__clinic",)
    raw_id_fields = ("cycle", "analysis")


@admin.register(Oocyte)
class OocyteAdmin(ScopedModelAdmin):
    list_display = ("__str__", "cycle", "maturity", "insemination", "pronuclei", "damaged")
    list_filter = ("maturity", "insemination", "cycle__clinic")
    raw_id_fields = ("cycle",)


@admin.register(Embryo)
class EmbryoAdmin(ScopedModelAdmin):
    list_display = ("__str__", "cycle", "fate", "fate_date")
    list_filter = ("fate", "cycle__clinic")
    raw_id_fields = ("cycle", "oocyte")
    search_fields = ("external_id",)
    inlines = [AssessmentInline]


@admin.register(EmbryoAssessment)
class EmbryoAssessmentAdmin(ScopedModelAdmin):
    list_display = (
        "__str__",
        "embryo",
        "day",
        "cell_count",
        "fragmentation_pct",
        "cleavage_grade",
        "expansion",
        "icm",
        "te",
    )
    list_filter = ("day", "expansion", "icm", "te")
    raw_id_fields = ("embryo", "analysis")


@admin.register(Transfer)
class TransferAdmin(ScopedModelAdmin):
    list_display = ("__str__", "cycle", "transfer_date", "difficulty")
    raw_id_fields = ("cycle",)
    autocomplete_fields = ("embryos",)
