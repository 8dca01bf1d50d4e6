"""FollicleAnalyzer: follicles on one 2D transvaginal ultrasound image, measured in mm.

Parameters: ``mm_per_px`` (or ``pixel_spacing_mm`` as read from DICOM PixelSpacing, "row,col");
optional ``estradiol_pg_ml`` for the OHSS signal. Without a calibration the analyzer refuses
(MISSING_PARAMETER): a follicle size in pixels means nothing clinically.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from ml import quality
from ml.base import AnalysisResult, Detection, Frames, Measurement, ModelInfo, ParameterError, QualityWarning
from ml.follicle.constants import CRITERIA, SOURCE, FollicleCriteria
from ml.follicle.detect import DETECT, DetectSettings, detect
from ml.params import number

MODEL = ModelInfo(name="follicle-classical", version="1.1.0", sha256="")


def calibration(params: Mapping[str, Any]) -> tuple[float, list[QualityWarning]]:
    """mm per pixel from mm_per_px, else from pixel_spacing_mm (DICOM PixelSpacing, row then column)."""
    warnings: list[QualityWarning] = []
    mm = number(params, "mm_per_px")
    if mm is not None:
        return mm, warnings
    raw = params.get("pixel_spacing_mm")
    if raw is None or raw == "":
        raise ParameterError(
            "The pixel spacing is required to measure follicles in mm: give mm_per_px, "
            "or use a DICOM file that carries PixelSpacing.",
            code="MISSING_PARAMETER",
            details={"parameter": "mm_per_px"},
        )
    try:
        parts = [float(v) for v in (raw.replace(",", " ").split() if isinstance(raw, str) else raw)]
    except (TypeError, ValueError) as exc:
        raise ParameterError("pixel_spacing_mm must be one or two numbers.", code="INVALID_PARAMETER") from exc
    if not parts or any(not np.isfinite(p) or p <= 0 for p in parts):
        raise ParameterError("pixel_spacing_mm must be positive.", code="INVALID_PARAMETER")
    if len(parts) >= 2 and abs(parts[0] - parts[1]) > 0.02 * max(parts[:2]):
        warnings.append(
            QualityWarning("ANISOTROPIC_PIXELS", "Rows and columns have different spacing; the mean is used.")
        )
    return float(np.mean(parts[:2])), warnings


class FollicleAnalyzer:
    """Classical detection (local threshold, hole filling, neck splitting) and moment ellipse fits."""

    kind = "follicle"

    def __init__(self, settings: DetectSettings = DETECT, criteria: FollicleCriteria = CRITERIA):
        self.model = MODEL
        self.settings = settings
        self.criteria = criteria

    def analyze(self, frames: Frames, params: Mapping[str, Any]) -> AnalysisResult:
        """Detect and measure follicles; counts per size bin, AFC, lead follicles, trigger and OHSS flags."""
        if len(frames) == 0:
            raise ParameterError("No image was given.", code="INVALID_PARAMETER")
        mm, warnings = calibration(params)
        e2 = number(params, "estradiol_pg_ml")
        frame = np.asarray(frames[0])
        if len(frames) > 1:
            warnings.append(QualityWarning("FIRST_FRAME_USED", f"{len(frames)} frames given; the first was measured."))
        warnings = quality.check_image(frame, "follicle") + warnings
        found = detect(frame, mm, self.settings)
        n_cut = sum(f.cut for f in found)
        if n_cut:
            warnings.append(
                QualityWarning(
                    "FOLLICLE_AT_FIELD_EDGE",
                    f"{n_cut} follicle(s) reach the edge of the imaged field; their diameters are estimated "
                    "from the visible part of the wall.",
                )
            )
        c = self.criteria
        means = sorted((f.mean_diameter_mm(mm) for f in found), reverse=True)
        dets = []
        for f in sorted(found, key=lambda f: -f.mean_diameter_mm(mm)):
            d1, d2 = f.diameters_mm(mm)
            pts = f.outline()
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            dets.append(
                Detection(
                    "contour",
                    "follicle",
                    confidence=float(np.clip(1.5 - f.contrast * 1.5, 0.0, 1.0)),
                    box=(min(xs), min(ys), max(xs), max(ys)),
                    points=pts,
                    attributes={
                        "diameters_mm": [round(d1, 2), round(d2, 2)],
                        "mean_diameter_mm": round((d1 + d2) / 2, 2),
                        "centre_px": [round(f.cx, 1), round(f.cy, 1)],
                        "angle_deg": round(float(np.degrees(f.angle)), 1),
                        "cut_by_field_edge": f.cut,
                    },
                )
            )

        def n_ge(x: float) -> int:
            return int(sum(m >= x for m in means))

        afc = int(sum(c.afc_min_mm <= m <= c.afc_max_mm for m in means))
        ms = [
            Measurement("follicle_count", float(len(means)), "count"),
            Measurement("afc", float(afc), "count"),
            Measurement("follicles_ge_11mm", float(n_ge(c.ohss_ge11_mm)), "count"),
            Measurement("follicles_ge_14mm", float(n_ge(c.cohort_mm)), "count"),
            Measurement("follicles_ge_17mm", float(n_ge(c.lead_mm)), "count"),
            Measurement("lead_follicle_mm", means[0] if means else None, "mm"),
        ]
        edges = (0.0, *c.size_bins_mm, float("inf"))
        bins = {}
        for lo, hi in itertools.pairwise(edges):
            key = f"{lo:g}-{hi:g}mm" if np.isfinite(hi) else f">={lo:g}mm"
            bins[key] = int(sum(lo <= m < hi for m in means))
        trigger = n_ge(c.lead_mm) >= c.lead_count
        ohss = []
        if afc > c.ohss_afc:
            ohss.append(f"AFC {afc} > {c.ohss_afc}")
        if n_ge(c.ohss_ge11_mm) >= c.ohss_ge11_count:
            ohss.append(f"{n_ge(c.ohss_ge11_mm)} follicles >= {c.ohss_ge11_mm:g} mm (>= {c.ohss_ge11_count})")
        if len(means) >= c.ohss_total_count:
            ohss.append(f"{len(means)} follicles (>= {c.ohss_total_count})")
        if e2 is not None and e2 >= c.ohss_estradiol_pg_ml:
            ohss.append(f"estradiol {e2:g} pg/mL >= {c.ohss_estradiol_pg_ml:g}")
        interp = {
            "size_bins": bins,
            "lead_follicles_mm": [round(m, 1) for m in means[: c.lead_follicles_listed]],
            "trigger_ready": trigger,
            "trigger_rule": f">= {c.lead_count} follicles >= {c.lead_mm:g} mm, cohort >= {c.cohort_mm:g} mm",
            "ohss_risk": bool(ohss),
            "ohss_signals": ohss,
            "notes": [
                "Counts are from this image plane only; AFC is the sum over both ovaries on cycle days 2-4.",
                "Decision support from a classical image analysis, not clinically validated.",
            ],
            "reference": SOURCE,
            "mm_per_px": mm,
        }
        return AnalysisResult("follicle", self.model, ms, dets, interp, warnings)
