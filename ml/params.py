"""Parameter parsing shared by analyzers and the CLI (names from DESIGN.md's vocabulary table)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ml.base import ParameterError


def number(
    params: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    why: str = "",
    positive: bool = True,
    default: float | None = None,
) -> float | None:
    """A finite float from params (strings accepted), ParameterError MISSING_/INVALID_PARAMETER otherwise."""
    raw = params.get(name)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if required:
            raise ParameterError(
                f"The parameter {name!r} is required{(' ' + why) if why else ''}.",
                code="MISSING_PARAMETER",
                details={"parameter": name},
            )
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"The parameter {name!r} must be a number.", code="INVALID_PARAMETER", details={"parameter": name}
        ) from exc
    if not math.isfinite(value) or (positive and value <= 0):
        raise ParameterError(
            f"The parameter {name!r} must be a positive number.", code="INVALID_PARAMETER", details={"parameter": name}
        )
    return value


def parse_kv(items: list[str]) -> dict[str, str]:
    """['k=v', ...] -> {'k': 'v'} for the CLI's --param."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"Expected key=value, got {item!r}.", code="INVALID_PARAMETER")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out
