"""The one interface every analyzer implements, and the typed result it returns.

Nothing here imports torch, so the web process may import these types (e.g. to validate
parameters) without pulling in PyTorch. Analyzers themselves live in ``ml.<kind>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

KINDS: tuple[str, ...] = ("sperm", "oocyte", "embryo", "follicle")


class MLError(Exception):
    """An error an analyzer reports to its caller, with a stable machine-readable code.

    Messages must never contain patient data: only facts about the image or parameters.
    """

    code = "ANALYSIS_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details = dict(details or {})


class QualityError(MLError):
    """The input failed the quality gate (e.g. IMAGE_TOO_SMALL, IMAGE_OUT_OF_FOCUS, TOO_FEW_FRAMES)."""

    code = "QUALITY_REJECTED"


class ParameterError(MLError):
    """A parameter is missing or invalid (codes MISSING_PARAMETER, INVALID_PARAMETER)."""

    code = "INVALID_PARAMETER"


@dataclass
class ModelInfo:
    name: str
    version: str
    sha256: str  # of the weights file; "" for purely classical analyzers


@dataclass
class Measurement:
    name: str  # snake_case, stable (DESIGN.md vocabulary)
    value: float | None
    unit: str
    ci_low: float | None = None
    ci_high: float | None = None
    reference_limit: float | None = None
    flag: str | None = None  # e.g. "below_reference_limit"
    confidence: float | None = None


@dataclass
class Detection:
    """Something drawn on an overlay: a box, a track (points over frames) or a contour."""

    type: str  # "box" | "track" | "contour" | "point"
    label: str
    confidence: float | None = None
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 in pixels
    points: list[tuple[float, float]] = field(default_factory=list)  # x, y in pixels
    attributes: dict[str, Any] = field(default_factory=dict)  # e.g. diameters_mm, vcl, grade


@dataclass
class QualityWarning:
    code: str
    message: str


@dataclass
class AnalysisResult:
    kind: str
    model: ModelInfo
    measurements: list[Measurement] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    interpretation: dict[str, Any] = field(default_factory=dict)
    warnings: list[QualityWarning] = field(default_factory=list)

    def measurement(self, name: str) -> Measurement | None:
        return next((m for m in self.measurements if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (no numpy scalars, no NaN/inf)."""
        return _json_safe(asdict(self))


def judge(metrics: dict[str, Any], table: Mapping[str, tuple[str, float]]) -> dict[str, Any]:
    """Add ``acceptance`` (each threshold: value, passed) and ``passed`` to an evaluation's metrics.

    ``table`` maps a metric (a dotted path for a nested one, e.g. ``morphology.accuracy``) to
    (">=" or "<=", threshold). A missing or NaN value fails: a figure that was not measured
    does not pass. ``python -m ml evaluate`` exits 1 when ``passed`` is false.
    """
    acceptance: dict[str, Any] = {}
    for key, (op, thr) in table.items():
        value: Any = metrics
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        ok = isinstance(value, int | float) and not math.isnan(value) and (value >= thr if op == ">=" else value <= thr)
        acceptance[key] = {"threshold": f"{op} {thr}", "value": value, "passed": bool(ok)}
    metrics["acceptance"] = acceptance
    metrics["passed"] = all(a["passed"] for a in acceptance.values())
    return metrics


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# Frames are numpy arrays: HxW (grey) or HxWx3 (RGB), dtype uint8.
Frames = Sequence[np.ndarray]


class Analyzer(Protocol):
    kind: str
    model: ModelInfo

    def analyze(self, frames: Frames, params: Mapping[str, Any]) -> AnalysisResult:
        """Analyze one image (one frame) or a video (many frames) with the kind's parameters."""
        ...
