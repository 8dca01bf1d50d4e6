"""Shared write helpers for every app's services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core.exceptions import ApplicationError, is_duplicate, validation_error_from_django


def validated_save(
    obj: Any, *, duplicate_code: str = "DUPLICATE", duplicate_message: str = "This record already exists.", **save: Any
) -> None:
    """full_clean() then save(), turning Django's errors into ours: field errors become
    VALIDATION_ERROR with details; a uniqueness clash, whether found by validation or by the
    database in a race, becomes `duplicate_code`. Nothing is written when either fails."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        if is_duplicate(exc):
            raise ApplicationError(duplicate_message, code=duplicate_code) from exc
        raise validation_error_from_django(exc) from exc
    try:
        with transaction.atomic():
            obj.save(**save)
    except IntegrityError as exc:
        raise ApplicationError(duplicate_message, code=duplicate_code) from exc
