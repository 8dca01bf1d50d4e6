"""OpenAPI post-processing: every operation documents the shared error format and its errors."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code.", "example": "NOT_FOUND"},
                "message": {"type": "string", "description": "Human-readable; never contains patient data."},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

# status: (description, example code, example message)
ERRORS: dict[str, tuple[str, str, str]] = {
    "400": ("The request is not valid.", "VALIDATION_ERROR", "The data is not valid."),
    "401": (
        "Missing, invalid, revoked or expired credentials.",
        "NOT_AUTHENTICATED",
        "Authentication credentials were not provided.",
    ),
    "403": (
        "Authenticated, but not allowed (scope or role).",
        "PERMISSION_DENIED",
        "This API key lacks the scope this operation needs.",
    ),
    "404": (
        "Not found, or not visible to these credentials (the two are indistinguishable).",
        "NOT_FOUND",
        "Not found.",
    ),
    "405": ("Method not allowed.", "METHOD_NOT_ALLOWED", 'Method "PATCH" not allowed.'),
    "406": ("No acceptable representation.", "NOT_ACCEPTABLE", "Could not satisfy the request Accept header."),
    "415": ("Unsupported media type.", "UNSUPPORTED_MEDIA_TYPE", 'Unsupported media type "text/plain" in request.'),
    "429": ("Rate limit exceeded; see Retry-After.", "RATE_LIMITED", "Too many requests."),
    "500": ("Internal error; quote the correlation id.", "INTERNAL_ERROR", "An internal error occurred."),
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, code, message) in ERRORS.items():
                if status == "400" and method == "get" and not operation.get("parameters"):
                    continue
                if status == "415" and method in {"get", "delete"}:
                    continue
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": ref,
                                "examples": {
                                    code: {"value": {"error": {"code": code, "message": message, "details": {}}}}
                                },
                            }
                        },
                    },
                )
    return result
