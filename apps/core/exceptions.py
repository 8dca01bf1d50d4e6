"""The one domain error type. Views, the API and tasks map it to a response with its code.

Messages are written for a clinic's staff or a partner's engineer and never contain PHI.
"""

from collections.abc import Mapping
from typing import Any


class ApplicationError(Exception):
    code = "APPLICATION_ERROR"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = dict(details or {})


class NotFound(ApplicationError):
    """Missing, or not visible to this user: the two are answered the same way on purpose."""

    code = "NOT_FOUND"
    status = 404

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class PermissionDenied(ApplicationError):
    """The user may see the object but not do this to it."""

    code = "PERMISSION_DENIED"
    status = 403


class ValidationFailed(ApplicationError):
    code = "VALIDATION_ERROR"
    status = 400


def validation_error_from_django(exc: Any) -> ValidationFailed:
    """Turn a Django ValidationError into ours, keeping field details (no values echoed back)."""
    details: dict[str, Any] = {}
    if hasattr(exc, "message_dict"):
        details = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    else:
        details = {"non_field_errors": [str(m) for m in getattr(exc, "messages", [str(exc)])]}
    return ValidationFailed("The data is not valid.", details=details)


DUPLICATE_CODES = frozenset({"unique", "unique_together", "duplicate"})


def is_duplicate(exc: Any) -> bool:
    """Whether a Django ValidationError is (only) a uniqueness violation."""
    errors = [e for errs in exc.error_dict.values() for e in errs] if hasattr(exc, "error_dict") else exc.error_list
    return bool(errors) and all(getattr(e, "code", None) in DUPLICATE_CODES for e in errors)
