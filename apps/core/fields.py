"""Model fields whose values are encrypted at rest (see apps.core.crypto).

The database column holds only ciphertext; Python code sees plaintext. Encrypted columns cannot
be filtered or ordered on: search goes through a blind-index column instead.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models

from apps.core import crypto


class EncryptedMixin:
    """Encrypts on the way to the database and decrypts on the way back."""

    encrypted = True
    model: Any
    name: str

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def to_plain(self, value: Any) -> str:
        return str(value)

    def from_plain(self, value: str) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = self.to_python(value)  # type: ignore[attr-defined]
        if value is None or value == "":
            return value
        return crypto.encrypt(self.to_plain(value), context=self._context())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self.from_plain(crypto.decrypt(value, context=self._context()))

    def get_lookup(self, lookup_name: str) -> Any:
        # Only null checks make sense on ciphertext; anything else would silently match nothing.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)  # type: ignore[misc]


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField in forms and validation (max_length applies to the plaintext); text in the database."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        return {"type": models.TextField().db_type(connection), "check": None}

    def cast_db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    def db_parameters(self, connection: Any) -> dict[str, Any]:
        return {"type": models.TextField().db_type(connection), "check": None}


class EncryptedDateField(EncryptedMixin, models.DateField):
    def to_plain(self, value: Any) -> str:
        assert isinstance(value, datetime.date)
        return value.isoformat()

    def from_plain(self, value: str) -> datetime.date:
        return datetime.date.fromisoformat(value)

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        return {"type": models.TextField().db_type(connection), "check": None}
