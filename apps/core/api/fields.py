from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.UUID)
class VisibleRelatedField(serializers.Field):  # type: ignore[type-arg]
    """A related object referred to by its external id, looked up through a selector, so a
    partner can only point at rows they may see (anything else: 'not found')."""

    def __init__(self, selector: Callable[..., QuerySet[Any]], action: str = "change", **kwargs: Any) -> None:
        self.selector = selector
        self.lookup_action = action
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value.external_id)

    def to_internal_value(self, data: Any) -> Any:
        try:
            external_id = uuid.UUID(str(data))
        except ValueError as exc:
            raise serializers.ValidationError("Must be a valid id.", code="invalid") from exc
        user = self.context["request"].user
        obj = self.selector(user=user, action=self.lookup_action).filter(external_id=external_id).first()
        if obj is None:
            raise serializers.ValidationError("No such object, or not visible to you.", code="does_not_exist")
        return obj
