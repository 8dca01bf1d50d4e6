from django.contrib import admin

from apps.core.admin import ScopedModelAdmin, register_scope
from apps.reports.models import Report
from apps.reports.selectors import report_list

register_scope(Report, report_list)


@admin.register(Report)
class ReportAdmin(ScopedModelAdmin):
    list_display = ("__str__", "clinic", "report_type", "status", "signed_by", "signed_at", "created_at")
    list_filter = ("clinic", "report_type", "status")
    list_select_related = ("clinic", "signed_by")
    raw_id_fields = ("patient", "cycle")
    filter_horizontal = ("analyses",)
    readonly_fields = ("external_id", "sha256", "signed_by", "signed_at", "created_by", "created_at")
