"""The admin side of the one permission rule.

Each clinical model registers its selector here (`scope`). `ScopedModelAdmin` then filters every
changelist, change form, history page, autocomplete and raw-id lookup through it for users who
are not superusers; foreign-key and many-to-many choices are filtered the same way. A row a user
may not see answers 404, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

Scope = Callable[..., QuerySet[Any]]  # (user=..., action="view"|"change"|"delete") -> QuerySet

_SCOPES: dict[type[Model], Scope] = {}


def register_scope(model: type[Model], selector: Scope) -> None:
    _SCOPES[model] = selector


def scoped(model: type[Model], user: Any, action: str = "view") -> QuerySet[Any] | None:
    """The rows of `model` that `user` may `action`, or None if the model is not clinic-scoped."""
    selector = _SCOPES.get(model)
    return None if selector is None else selector(user=user, action=action)


def _memo(request: HttpRequest, key: tuple[str, str], compute: Callable[[], bool]) -> bool:
    """Per-request memo: the admin asks the same permission question for every sidebar entry."""
    cache: dict[tuple[str, str], bool] = request.__dict__.setdefault("_fv_admin_perms", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


class ScopedModelAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    show_auditlog_history_link = True
    # Which clinic permission opens the model's admin at all (without an object).
    module_action = "view"

    def _is_super(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def _rows(self, request: HttpRequest, action: str) -> QuerySet[Any]:
        qs = scoped(self.model, request.user, action)
        if qs is None:
            raise RuntimeError(f"{self.model.__name__} has no registered scope")
        return qs

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if self._is_super(request):
            return qs
        return qs.filter(pk__in=self._rows(request, "view").values("pk"))

    def _allowed(self, request: HttpRequest, action: str, obj: Model | None) -> bool:
        if self._is_super(request):
            return True
        if not getattr(request.user, "is_staff", False):
            return False
        rows = self._rows(request, action)
        if obj is not None:
            return rows.filter(pk=obj.pk).exists()
        return _memo(request, (self.model._meta.label, action), rows.exists)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, self.module_action, None) or self._clinic_grants(request, "view")

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return self._allowed(request, "view", None) or self._clinic_grants(request, "view")
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_super(request) or self._clinic_grants(request, "change")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return self._is_super(request) or self._clinic_grants(request, "change")
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is None:
            return self._is_super(request) or self._clinic_grants(request, "delete")
        return self._allowed(request, "delete", obj)

    def _clinic_grants(self, request: HttpRequest, action: str) -> bool:
        """Whether the user holds the clinic permission for `action` on any clinic (an empty
        changelist is still theirs to open)."""
        from apps.accounts.selectors import clinics_with_permission
        from apps.patients.selectors import ACTION_PERMISSIONS

        if not getattr(request.user, "is_staff", False):
            return False
        codename = ACTION_PERMISSIONS[action][0]
        return _memo(
            request, ("clinic", codename), clinics_with_permission(user=request.user, codename=codename).exists
        )

    # --- filters and choices follow the same rule ----------------------------------------------
    def get_list_filter(self, request: HttpRequest) -> Any:
        """Relational filters offer only the values present in the (scoped) rows: Django's default
        lists every row of the related model, which would name other clinics."""
        filters: list[Any] = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
                filters.append((item, admin.RelatedOnlyFieldListFilter))
            else:
                filters.append(item)
        return filters

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not self._is_super(request):
            qs = scoped(db_field.related_model, request.user, "change")
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not self._is_super(request):
            qs = scoped(db_field.related_model, request.user, "change")
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # --- a row the user may not see is a 404 in every object view ------------------------------
    # Django checks model-level permissions before it looks the object up (a 403 for a delete,
    # a redirect with a message for a change), so resolve the object through the scoped queryset
    # first: invisible and missing rows then answer the same 404.
    def _visible_or_404(self, request: HttpRequest, object_id: str | None) -> None:
        if object_id is not None and self.get_object(request, unquote(object_id)) is None:
            raise Http404()

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> HttpResponse:
        raise Http404()

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def auditlog_history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().auditlog_history_view(request, object_id, extra_context)


class ScopedInline:
    """Inlines of a scoped parent: the parent's access decides; choices follow the rule."""

    extra = 0
    show_change_link = True

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not getattr(request.user, "is_superuser", False):
            qs = scoped(db_field.related_model, request.user, "change")
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True if obj is None else self._parent_allows(request, "view", obj)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None or self._parent_allows(request, "change", obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None or self._parent_allows(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None or self._parent_allows(request, "change", obj)

    def _parent_allows(self, request: HttpRequest, action: str, parent: Model) -> bool:
        if getattr(request.user, "is_superuser", False):
            return True
        qs = scoped(type(parent), request.user, action)
        return qs is not None and qs.filter(pk=parent.pk).exists()
