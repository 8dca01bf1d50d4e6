"""Quality gate run before any analysis. Numpy only (no torch), so it is cheap to call anywhere.

Two calls::

    warnings = check_image(frame, kind="sperm")        # one uint8 frame, HxW or HxWx3
    warnings = check_video(frames, fps, kind="sperm")  # a sequence of frames and its frame rate

Each returns a list of :class:`ml.base.QualityWarning` for soft problems and raises
:class:`ml.base.QualityError` with a stable ``code`` for hard ones:

======================  ==========================================================
IMAGE_TOO_SMALL         shorter side below the kind's minimum (pixels)
IMAGE_TOO_LARGE         more pixels than MAX_PIXELS
UNSUPPORTED_MODE        not uint8, or not HxW / HxWx3
IMAGE_TOO_DARK          almost no signal (99th percentile below the limit)
IMAGE_TOO_BRIGHT        mostly saturated
LOW_CONTRAST            the grey levels barely vary
IMAGE_OUT_OF_FOCUS      variance of the Laplacian, relative to the image's own variance, too low
TOO_FEW_FRAMES          a video shorter than the kind's minimum duration / frame count
FRAME_RATE_TOO_LOW      a video sampled too slowly for kinematics (or fps missing)
INCONSISTENT_FRAMES     frames of different sizes or types, or a cut to another scene
======================  ==========================================================

Warning codes: LOW_LIGHT, OVEREXPOSED, LOW_CONTRAST, SOFT_FOCUS, LOW_FRAME_RATE, SHORT_VIDEO.
Limits live in :data:`LIMITS` (one row per kind) so a clinic can see and change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ml.base import QualityError, QualityWarning

MAX_PIXELS = 40_000_000  # 40 MP: larger uploads are refused before any decoding work


@dataclass(frozen=True)
class Limits:
    min_side_px: int = 64
    max_pixels: int = MAX_PIXELS
    dark_p99: float = 20.0  # refuse: 99 % of pixels darker than this
    dim_mean: float = 30.0  # warn: mean below this
    bright_p1: float = 245.0  # refuse: 99 % of pixels brighter than this
    bright_mean: float = 225.0  # warn
    contrast_min: float = 3.0  # refuse: robust spread (p99 - p1) below this many grey levels
    contrast_warn: float = 12.0
    focus_min: float = 0.002  # refuse: var(Laplacian) / var(image) below this
    focus_warn: float = 0.01
    min_frames: int = 10
    min_duration_s: float = 1.0  # CLINICAL.md: motility needs >= 1 s of video
    min_fps: float = 15.0  # refuse below
    good_fps: float = 50.0  # warn below (CLINICAL.md: ideally >= 50 frames/s)


# Ultrasound is dark by nature (black outside the fan) and speckle keeps the Laplacian high.
LIMITS: dict[str, Limits] = {
    "generic": Limits(),
    "sperm": Limits(min_side_px=96),
    "oocyte": Limits(min_side_px=64),
    "embryo": Limits(min_side_px=64),
    "follicle": Limits(min_side_px=128, dim_mean=0.0, dark_p99=12.0),
}


def limits_for(kind: str) -> Limits:
    return LIMITS.get(kind, LIMITS["generic"])


def _grey(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3:
        return frame[..., :3].astype(np.float32).mean(axis=2)
    return frame.astype(np.float32)


def _box(a: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 box with edge replication (two cumsums)."""
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float64)
        n = a.shape[axis]
        hi = c[2 * r + 1 : 2 * r + 1 + n] if axis == 0 else c[:, 2 * r + 1 : 2 * r + 1 + n]
        lo = c[:n] if axis == 0 else c[:, :n]
        a = (hi - lo) / (2 * r + 1)
    return a


def focus_measure(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian divided by the variance of the image's detail.

    Detail = the image minus its smooth background (two box means a sixth of the image wide), so
    that illumination gradients and vignetting neither help nor hurt; a blurred image loses
    Laplacian energy much faster than detail variance. Scale-free: ~0.05-20 for usable images,
    below ~0.002 when there is no fine detail at all.
    """
    g = grey.astype(np.float64)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    r = max(8, min(g.shape) // 6)
    detail = g - _box(_box(g, r), r)
    var = float(detail.var())
    if var < 1e-6:
        return 0.0
    # 8-bit rounding alone gives the Laplacian a variance of 20/12: that is not detail
    return max(float(lap.var()) - 20.0 / 12.0, 0.0) / var


def check_image(frame: np.ndarray, kind: str = "generic", *, limits: Limits | None = None) -> list[QualityWarning]:
    """Check one frame. Raises QualityError on a hard failure; returns soft warnings."""
    lim = limits or limits_for(kind)
    a = np.asarray(frame)
    if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise QualityError(
            f"Expected an 8-bit grey or RGB image, got dtype {a.dtype} and shape {a.shape}.",
            code="UNSUPPORTED_MODE",
        )
    h, w = a.shape[:2]
    if h * w > lim.max_pixels:
        raise QualityError(f"The image has {h * w} pixels; the limit is {lim.max_pixels}.", code="IMAGE_TOO_LARGE")
    if min(h, w) < lim.min_side_px:
        raise QualityError(
            f"The image is {w}x{h} pixels; at least {lim.min_side_px} pixels per side are needed.",
            code="IMAGE_TOO_SMALL",
        )
    g = _grey(a)
    # subsample big images for the statistics: the percentiles barely change
    step = max(1, int(np.sqrt(h * w / 400_000)))
    gs = g[::step, ::step]
    p1, p99 = (float(v) for v in np.percentile(gs, [1, 99]))
    mean = float(gs.mean())
    warnings: list[QualityWarning] = []
    if p99 < lim.dark_p99:
        raise QualityError("The image is too dark to analyse.", code="IMAGE_TOO_DARK")
    if p1 > lim.bright_p1:
        raise QualityError("The image is overexposed (almost all pixels saturated).", code="IMAGE_TOO_BRIGHT")
    if p99 - p1 < lim.contrast_min:
        raise QualityError("The image has almost no contrast.", code="LOW_CONTRAST")
    if mean < lim.dim_mean:
        warnings.append(QualityWarning("LOW_LIGHT", "The image is dim; detection may miss faint objects."))
    if mean > lim.bright_mean:
        warnings.append(QualityWarning("OVEREXPOSED", "The image is very bright; detail may be lost."))
    if p99 - p1 < lim.contrast_warn:
        warnings.append(QualityWarning("LOW_CONTRAST", "The image has low contrast."))
    fm = focus_measure(g)
    if fm < lim.focus_min:
        raise QualityError(
            f"The image appears out of focus (relative Laplacian variance {fm:.4f} < {lim.focus_min}).",
            code="IMAGE_OUT_OF_FOCUS",
        )
    if fm < lim.focus_warn:
        warnings.append(QualityWarning("SOFT_FOCUS", "The image looks slightly out of focus."))
    return warnings


def check_video(
    frames: Sequence[np.ndarray],
    fps: float | None,
    kind: str = "generic",
    *,
    limits: Limits | None = None,
    min_duration_s: float | None = None,
) -> list[QualityWarning]:
    """Check a video: frame count and rate, consistent frames, and the first frame's image quality."""
    lim = limits or limits_for(kind)
    if min_duration_s is not None:
        lim = replace(lim, min_duration_s=min_duration_s)
    n = len(frames)
    if n == 0:
        raise QualityError("No frames were given.", code="TOO_FEW_FRAMES")
    if fps is None or not np.isfinite(fps) or fps <= 0:
        raise QualityError("The frame rate (fps) is needed for a video.", code="FRAME_RATE_TOO_LOW")
    if fps < lim.min_fps:
        raise QualityError(
            f"{fps:g} frames/s is too slow; at least {lim.min_fps:g} are needed.", code="FRAME_RATE_TOO_LOW"
        )
    needed = max(lim.min_frames, int(np.ceil(lim.min_duration_s * fps - 1e-9)))
    if n < needed:
        raise QualityError(
            f"{n} frames at {fps:g} frames/s; at least {needed} ({lim.min_duration_s:g} s) are needed.",
            code="TOO_FEW_FRAMES",
        )
    first = np.asarray(frames[0])
    for i, f in enumerate(frames):
        f = np.asarray(f)
        if f.shape != first.shape or f.dtype != first.dtype:
            raise QualityError(f"Frame {i} differs in size or type from frame 0.", code="INCONSISTENT_FRAMES")
    warnings = check_image(first, kind, limits=lim)
    # a cut to another scene shows as a jump in mean brightness far beyond the frame-to-frame flicker
    means = np.array([float(np.asarray(f)[::4, ::4].mean()) for f in frames])
    if n >= 3:
        jumps = np.abs(np.diff(means))
        typical = float(np.median(jumps)) + 1.0
        if float(jumps.max()) > max(25.0, 20.0 * typical):
            raise QualityError("The frames do not look like one continuous recording.", code="INCONSISTENT_FRAMES")
    if fps < lim.good_fps:
        warnings.append(
            QualityWarning("LOW_FRAME_RATE", f"{fps:g} frames/s; {lim.good_fps:g} or more give better kinematics.")
        )
    return warnings
