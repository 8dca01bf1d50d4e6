"""Shared helpers for access.py modules: one way to fetch a visible row by its external id."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db.models import Model, QuerySet

from apps.core.exceptions import NotFound

M = TypeVar("M", bound=Model)


def parse_external_id(external_id: uuid.UUID | str) -> uuid.UUID:
    """A malformed id is answered like an unknown one (NotFound), never with a 500 or a 400 that leaks."""
    if isinstance(external_id, uuid.UUID):
        return external_id
    try:
        return uuid.UUID(str(external_id))
    except ValueError as exc:
        raise NotFound() from exc


def get_visible(queryset: QuerySet[M], external_id: uuid.UUID | str) -> M:
    """The row of `queryset` (already filtered to what the user may see) with this external id."""
    obj = queryset.filter(external_id=parse_external_id(external_id)).first()
    if obj is None:
        raise NotFound()
    return obj
