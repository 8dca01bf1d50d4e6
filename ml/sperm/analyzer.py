"""SpermAnalyzer: wet preparation (counting field, still or video) or stained smear (morphology).

Wet preparation
  * a still frame gives the concentration only; a video (>= 1 s with its fps) adds motility and
    kinematics. Concentration = N x dilution / (field area x chamber depth), with a Poisson 95 % CI.
  * parameters: um_per_px, depth_um, dilution (all required), fps (video), volume_ml (optional:
    total count and the volume limit).
Stained smear (``preparation=smear``): dispatched to :mod:`ml.sperm.morphology` (normal forms %).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ml import quality
from ml.base import (
    AnalysisResult,
    Detection,
    Frames,
    Measurement,
    MLError,
    ModelInfo,
    ParameterError,
    QualityError,
    QualityWarning,
)
from ml.params import number
from ml.sperm import who
from ml.sperm.casa import Track, detect_heads, kinematics, link

# 1.1: peaks on straight ridges (a counting chamber's ruled grid) are not heads, in stills and videos
CASA_MODEL = ModelInfo(name="sperm-casa-classical", version="1.1.0", sha256="")


def poisson_ci(n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval for a Poisson count (Wilson-Hilferty approximation of the exact Garwood interval)."""
    if n <= 0:
        return 0.0, 3.689  # exact upper 95 % for zero counts
    lo = n * (1 - 1 / (9 * n) - z / (3 * math.sqrt(n))) ** 3
    m = n + 1
    hi = m * (1 - 1 / (9 * m) + z / (3 * math.sqrt(m))) ** 3
    return max(0.0, lo), hi


def wilson_ci(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of a proportion k/n, in percent."""
    if n <= 0:
        return 0.0, 100.0
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return 100 * max(0.0, c - h), 100 * min(1.0, c + h)


def _measure(name: str, value: float | None, unit: str, ci: tuple[float, float] | None = None) -> Measurement:
    limit, flag = who.flag(name, value)
    return Measurement(
        name=name,
        value=value,
        unit=unit,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        reference_limit=limit,
        flag=flag,
    )


def _entered_late(points_um: np.ndarray, start: int, field_um: tuple[float, float]) -> bool:
    """Did a track first seen at frame ``start`` > 0 swim into the field after the first frame?

    Its first position, taken back to frame 0 along its early course, lies outside the field. A
    head that was inside but missed for a frame or two projects back inside. Motility is graded on
    the sperm present at the start; counting those that swim in would favour the fast ones.
    """
    if start == 0:
        return False
    k = min(len(points_um) - 1, 10)
    if k < 1:
        return False
    v = (points_um[k] - points_um[0]) / k
    x, y = points_um[0] - v * start
    return not (0.0 <= x <= field_um[0] and 0.0 <= y <= field_um[1])


class SpermAnalyzer:
    """Classical CASA for wet preparations; morphology on smears via the morphology network."""

    kind = "sperm"

    def __init__(self, weights_dir: Any = None, settings: who.CasaSettings = who.CASA):
        self.model = CASA_MODEL
        self.settings = settings
        self._weights_dir = weights_dir
        self._morph: Any = None

    # -- smear -----------------------------------------------------------------------------
    def _morphology(self) -> Any:
        if self._morph is None:
            try:
                from ml.sperm import morphology
            except ImportError as exc:
                raise MLError("Morphology analysis is not installed.", code="MODEL_UNAVAILABLE") from exc
            self._morph = morphology.load(self._weights_dir)
        return self._morph

    def _analyze_smear(self, frames: Frames, params: Mapping[str, Any]) -> AnalysisResult:
        if len(frames) != 1:
            raise ParameterError("A stained smear is analysed one image at a time.", code="INVALID_PARAMETER")
        warnings = quality.check_image(np.asarray(frames[0]), "sperm")
        morph = self._morphology()
        detections, normal_pct, n_heads, more = morph.analyze_smear(np.asarray(frames[0]), params)
        warnings += list(more)  # the morphology module warns about few heads itself
        value = float(normal_pct) if n_heads > 0 and math.isfinite(normal_pct) else None
        ci = wilson_ci((value or 0.0) * n_heads / 100.0, n_heads) if value is not None else None
        ms = [_measure("normal_forms", value, "%", ci), Measurement("sperm_assessed", float(n_heads), "count")]
        values: dict[str, float | None] = {"normal_forms": value}
        values.update(self._entered_values(params))
        return AnalysisResult("sperm", morph.model, ms, list(detections), who.interpret(values), warnings)

    @staticmethod
    def _entered_values(params: Mapping[str, Any]) -> dict[str, float | None]:
        vol = number(params, "volume_ml")
        return {"volume": vol} if vol is not None else {}

    # -- wet preparation -------------------------------------------------------------------
    def analyze(self, frames: Frames, params: Mapping[str, Any]) -> AnalysisResult:
        """Analyze a still frame (concentration) or a video (concentration + motility + kinematics)."""
        prep = str(params.get("preparation", "wet")).lower()
        if prep not in ("wet", "smear"):
            raise ParameterError("preparation must be 'wet' or 'smear'.", code="INVALID_PARAMETER")
        if len(frames) == 0:
            raise ParameterError("No image was given.", code="INVALID_PARAMETER")
        if prep == "smear":
            return self._analyze_smear(frames, params)
        why = "to compute a concentration (field volume = area x depth)"
        um = number(params, "um_per_px", required=True, why=why)
        depth = number(params, "depth_um", required=True, why=why)
        dilution = number(params, "dilution", required=True, why=why)
        assert um is not None and depth is not None and dilution is not None
        video = len(frames) > 1
        fps = number(params, "fps", required=video, why="to measure motility from a video")
        frames = [np.asarray(f) for f in frames]
        if video:
            assert fps is not None
            warnings = quality.check_video(frames, fps, "sperm")
        else:
            warnings = quality.check_image(frames[0], "sperm")
        det = detect_heads(frames, um, self.settings, weak=video)
        self._check_head_signal(det.head_snr, len(det.points[0]), video)
        h, w = frames[0].shape[:2]
        volume_nl = (w * um) * (h * um) * depth * 1e-6  # um^3 -> nL
        tracks: list[Track] = []
        if video:
            assert fps is not None
            linked = link([p * um for p in det.points], fps, self.settings, det.strong)
            # a head persists from frame to frame, a noise peak does not; tails and debris are never
            # as strong as heads. Count heads on tracks observed for >= 0.1 s and strong in part of
            # them, frame by frame, and average over the frames.
            min_obs = max(3, round(0.1 * fps))
            tracks = [tr for tr in linked if tr.n_strong >= self.settings.min_strong_fraction * sum(tr.observed)]
            counts = np.zeros(len(frames))
            for tr in tracks:
                if sum(tr.observed) >= min_obs:
                    idx = tr.start + np.flatnonzero(tr.observed)
                    counts[idx] += 1
        else:
            counts = np.array([len(p) for p in det.points], dtype=float)
        n_count = float(counts.mean())
        n_int = round(n_count)
        conc = n_count * dilution / volume_nl  # 10^6/mL == per nL
        lo, hi = poisson_ci(n_int)
        scale = dilution / volume_nl
        ms = [
            _measure("concentration", conc, "10^6/mL", (lo * scale, hi * scale)),
            Measurement("sperm_counted", n_count, "count"),
        ]
        if n_int < self.settings.min_count_for_precision:
            warnings.append(
                QualityWarning(
                    "LOW_COUNT",
                    f"{n_int} sperm counted; WHO asks for at least {self.settings.min_count_for_precision} "
                    "per replicate "
                    f"(Poisson error about {100 / math.sqrt(max(n_int, 1)):.0f} %). Count more fields.",
                )
            )
        values: dict[str, float | None] = {"concentration": conc}
        vol = number(params, "volume_ml")
        if vol is not None:
            ms.append(_measure("volume", vol, "mL"))
            ms.append(_measure("total_count", conc * vol, "10^6/ejaculate", (lo * scale * vol, hi * scale * vol)))
            values.update({"volume": vol, "total_count": conc * vol})
        detections: list[Detection] = []
        if video:
            assert fps is not None
            ms_v, det_v, values_v = self._motility(tracks, um, fps, (w * um, h * um))
            ms += ms_v
            detections += det_v
            values.update(values_v)
        else:
            warnings.append(
                QualityWarning("NO_MOTILITY", "A still image gives concentration only; motility needs a video.")
            )
            detections = [
                Detection("point", "sperm_head", confidence=min(1.0, float(s) / 20.0), points=[(float(x), float(y))])
                for (x, y), s in zip(det.points[0], det.strengths[0], strict=True)
            ]
        interp = who.interpret(values, sperm_seen=False if n_count == 0 else None)
        interp["counted_frames"] = len(frames)
        interp["polarity"] = "bright_heads" if det.polarity > 0 else "dark_heads"
        return AnalysisResult("sperm", self.model, ms, detections, interp, warnings)

    def _check_head_signal(self, head_snr: float, n_peaks: int, video: bool) -> None:
        """Refuse a still or video whose heads barely clear the noise: the noise floor would drop the
        fainter heads (in a video, moving ones drop out of their tracks), the count would come out low
        and a video's tracks break (see CasaSettings.min_head_snr for the figures)."""
        s = self.settings
        if n_peaks >= s.min_heads_to_judge_snr and head_snr < s.min_head_snr:
            raise QualityError(
                f"The sperm heads are too faint to {'track and count' if video else 'count'} reliably: a "
                f"typical head stands {head_snr:.1f} noise standard deviations above the background, and at "
                f"least {s.min_head_snr:g} are needed. Improve the focus, illumination or phase ring, or "
                f"{'record' if video else 'count'} another field.",
                code="HEADS_TOO_FAINT",
                details={"head_snr": round(head_snr, 2), "required": s.min_head_snr},
            )

    def _motility(
        self, tracks: list[Track], um: float, fps: float, field_um: tuple[float, float]
    ) -> tuple[list[Measurement], list[Detection], dict[str, float | None]]:
        s = self.settings
        min_len = max(3, round(s.min_track_s * fps) + 1)
        max_start = round(s.max_start_s * fps)
        graded = []
        detections = []
        for tr in tracks:
            pts = np.asarray(tr.points)
            if len(pts) < min_len:
                continue
            k = kinematics(pts, fps, s)
            present_at_start = tr.start <= max_start and not _entered_late(pts, tr.start, field_um)
            if present_at_start:
                graded.append(k)
            attrs = {
                key: (round(float(k[key]), 3) if isinstance(k[key], float) else k[key])
                for key in ("vcl", "vsl", "vap", "lin", "str", "wob", "alh", "bcf", "grade")
            }
            attrs.update({"start_frame": tr.start, "graded": present_at_start})
            detections.append(
                Detection(
                    "track", f"grade_{k['grade']}", points=[(x / um, y / um) for x, y in tr.points], attributes=attrs
                )
            )
        n = len(graded)
        pct = {g: (100.0 * sum(k["grade"] == g for k in graded) / n if n else float("nan")) for g in "abcd"}
        pr = pct["a"] + pct["b"]
        total = pr + pct["c"]

        def ci(p: float) -> tuple[float, float]:
            return wilson_ci(p * n / 100.0, n)

        ms = [
            _measure("progressive_motility", pr, "%", ci(pr)),
            _measure("non_progressive_motility", pct["c"], "%", ci(pct["c"])),
            _measure("immotile", pct["d"], "%", ci(pct["d"])),
            _measure("total_motility", total, "%", ci(total)),
            Measurement("rapid_progressive", pct["a"], "%"),
            Measurement("slow_progressive", pct["b"], "%"),
            Measurement("tracks_graded", float(n), "count"),
        ]
        motile = [k for k in graded if k["grade"] != "d"]
        for key, unit in (
            ("vcl", "um/s"),
            ("vsl", "um/s"),
            ("vap", "um/s"),
            ("lin", "ratio"),
            ("str", "ratio"),
            ("wob", "ratio"),
            ("alh", "um"),
            ("bcf", "Hz"),
        ):
            vals = [k[key] for k in motile if math.isfinite(k[key])]
            ms.append(Measurement(key, float(np.median(vals)) if vals else None, unit))
        values: dict[str, float | None] = {
            "progressive_motility": pr if n else None,
            "total_motility": total if n else None,
        }
        return ms, detections, values
