"""Filter fields that refuse values the database cannot hold (a 400, never a 500)."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

MAX_UTC_OFFSET = datetime.timedelta(hours=14)  # the widest real-world offset


class BoundedIsoDateTimeField(IsoDateTimeField):
    def clean(self, value: Any) -> Any:
        parsed = super().clean(value)
        if parsed is None:
            return parsed
        offset = parsed.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError("The UTC offset must be within ±14:00.", code="invalid")
        try:
            as_utc = parsed.astimezone(datetime.UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError("The date and time are out of range.", code="invalid") from exc
        if not 1900 <= as_utc.year <= 9999:
            raise forms.ValidationError("The year must be between 1900 and 9999.", code="invalid")
        return parsed


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField
