"""The principal a partner API key acts as. It is not a User: it holds no shares, never reaches
the admin, and sees exactly its clinic, with the clinic permissions its scopes imply."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.accounts.models import ApiKey
from apps.accounts.roles import SCOPE_CLINIC_PERMISSIONS


@dataclass(frozen=True)
class ApiKeyPrincipal:
    api_key: ApiKey
    clinic_permissions: frozenset[str] = field(default=frozenset())

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    @classmethod
    def for_key(cls, api_key: ApiKey) -> ApiKeyPrincipal:
        perms: set[str] = set()
        for scope in api_key.scopes:
            perms |= SCOPE_CLINIC_PERMISSIONS.get(scope, frozenset())
        return cls(api_key=api_key, clinic_permissions=frozenset(perms))

    @property
    def clinic_id(self) -> int:
        return self.api_key.clinic_id

    def has_scope(self, scope: str) -> bool:
        return scope in self.api_key.scopes

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"
