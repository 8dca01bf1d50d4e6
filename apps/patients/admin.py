from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from guardian.admin import GuardedModelAdminMixin

from apps.accounts.roles import CHANGE_PATIENTS
from apps.accounts.selectors import clinics_with_permission
from apps.core import crypto
from apps.core.admin import ScopedInline, ScopedModelAdmin, register_scope
from apps.patients.models import MRN_INDEX, NAME_INDEX, Consent, Patient
from apps.patients.selectors import patient_list


def _consent_scope(*, user: Any, action: str = "view") -> QuerySet[Consent]:
    return Consent.objects.filter(patient__in=patient_list(user=user, action=action))  # type: ignore[arg-type]


register_scope(Patient, patient_list)
register_scope(Consent, _consent_scope)


class ConsentInline(ScopedInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Consent
    fields = ("kind", "granted", "decided_on", "valid_until", "recorded_by")
    readonly_fields = ("recorded_by",)


@admin.register(Patient)
class PatientAdmin(GuardedModelAdminMixin, ScopedModelAdmin):
    list_display = ("short_id", "mrn", "full_name", "sex", "clinic", "partner_short_id", "created_at")
    list_filter = ("clinic", "sex")
    list_select_related = ("clinic", "partner")
    search_fields = ("mrn_index",)  # enables the search box; matching is exact, via the blind indexes
    search_help_text = "Exact MRN or full name (given and family name), or the patient's ID."
    readonly_fields = ("external_id", "created_at", "updated_at")
    autocomplete_fields = ("partner",)
    inlines = [ConsentInline]
    change_form_template = "admin/guardian/model/change_form.html"  # type: ignore[misc]
    fieldsets = (
        (None, {"fields": ("clinic", "mrn", "external_id")}),
        ("Identity", {"fields": ("given_name", "family_name", "date_of_birth", "sex")}),
        ("Contact", {"fields": ("email", "phone", "address")}),
        ("Clinical", {"fields": ("medical_history", "partner")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="ID")
    def short_id(self, obj: Patient) -> str:
        return str(obj.external_id)[:8]

    @admin.display(description="Partner")
    def partner_short_id(self, obj: Patient) -> str:
        return str(obj.partner.external_id)[:8] if obj.partner else "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(mrn_index=crypto.blind_index(term, purpose=MRN_INDEX)) | Q(
            name_index=crypto.blind_index(term, purpose=NAME_INDEX)
        )
        with contextlib.suppress(ValueError):
            match |= Q(external_id=uuid.UUID(term))
        return queryset.filter(match), False

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        from apps.patients.services import patient_link_partner

        partner = form.cleaned_data.get("partner")
        previous = Patient.objects.filter(pk=obj.pk).values_list("partner", flat=True).first() if change else None
        obj.partner_id = previous
        super().save_model(request, obj, form, change)
        if (partner.pk if partner else None) != previous:
            patient_link_partner(user=request.user, patient=obj, partner=partner)  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            if isinstance(instance, Consent) and instance.recorded_by_id is None:
                instance.recorded_by = request.user  # type: ignore[assignment]
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    # Sharing a patient is for the patient's own clinic (CHANGE_PATIENTS there), never for a sharee.
    def _require_own_clinic(self, request: HttpRequest, object_pk: str) -> None:
        from django.contrib.admin.utils import unquote

        obj = self.get_queryset(request).filter(pk=unquote(object_pk)).first()
        if obj is None:
            raise Http404()
        if request.user.is_superuser:
            return
        if not clinics_with_permission(user=request.user, codename=CHANGE_PATIENTS).filter(pk=obj.clinic_id).exists():
            raise Http404()

    def obj_perms_manage_view(self, request: HttpRequest, object_pk: str) -> HttpResponse:
        self._require_own_clinic(request, object_pk)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request: HttpRequest, object_pk: str, user_id: Any) -> HttpResponse:
        self._require_own_clinic(request, object_pk)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request: HttpRequest, object_pk: str, group_id: Any) -> HttpResponse:
        self._require_own_clinic(request, object_pk)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)


@admin.register(Consent)
class ConsentAdmin(ScopedModelAdmin):
    list_display = ("patient", "kind", "granted", "decided_on", "valid_until")
    list_filter = ("kind", "granted")
    raw_id_fields = ("patient",)
    readonly_fields = ("recorded_by",)
