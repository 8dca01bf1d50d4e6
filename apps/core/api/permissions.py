from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.accounts.principals import ApiKeyPrincipal


class HasScope(BasePermission):
    """API keys need the view's read scope for safe methods and its write scope otherwise.
    Staff on a session are governed by their roles alone (the selectors and access helpers)."""

    message = "This API key lacks the scope this operation needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        if not isinstance(user, ApiKeyPrincipal):
            return True
        scope = view.read_scope if request.method in SAFE_METHODS else getattr(view, "write_scope", None)
        return scope is not None and user.has_scope(scope)
