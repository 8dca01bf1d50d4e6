"""Classical CASA: detect sperm heads, link them into tracks, compute kinematics.

Everything is scaled from the calibration (um_per_px) and the frame rate: no fixed pixel sizes.
Detection is a difference-of-Gaussians band-pass matched to the head size, polarity chosen per
video (phase contrast shows heads bright on a dark halo or dark on a bright one), an adaptive
threshold from the image's own noise and head response, and a sub-pixel weighted centroid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ml._ops import _gaussian_t, reflect_noise_gain, suppress_close, to_grey_float
from ml.sperm.who import CASA, CasaSettings, grade


# ----------------------------------------------------------------------------------------------
# detection
# ----------------------------------------------------------------------------------------------
def bandpass(frames: list[np.ndarray], sigma_px: float) -> torch.Tensor:
    """DoG-like response (N x H x W) at the head scale: G(sigma) minus a wide background estimate.

    The background (Gaussian of 3 sigma, at least 4 px) is computed at a quarter of the resolution:
    it only has to follow illumination, not detail. The response is divided by the head-scale
    filter's noise gain, which reflect padding raises by up to a third at the frame's edges: without
    that, noise along the edges crossed the threshold and was counted as heads.
    """
    t = torch.from_numpy(np.stack([to_grey_float(f) for f in frames]))[:, None]
    small = _gaussian_t(t, sigma_px)
    h, w = t.shape[-2:]
    f = 4 if min(h, w) >= 64 else 1
    low = F.avg_pool2d(t, f) if f > 1 else t
    big = _gaussian_t(low, max(3.0 * sigma_px, 4.0) / f)
    if f > 1:
        big = F.interpolate(big, size=(h, w), mode="bilinear", align_corners=False)
    gain = reflect_noise_gain(h, sigma_px)[:, None] * reflect_noise_gain(w, sigma_px)[None, :]
    return (small - big)[:, 0] / torch.from_numpy(gain)


@dataclass
class DetectionResult:
    points: list[np.ndarray]  # per frame: (n, 2) x, y in px
    strengths: list[np.ndarray]
    polarity: int
    noise: float
    threshold: float
    strong: list[np.ndarray] = field(default_factory=list)  # per point: above the still-image threshold
    head_snr: float = 0.0  # the typical head's response in noise standard deviations (0: no peaks)


def _peaks(resp: torch.Tensor, radius: int, thr: float) -> list[np.ndarray]:
    """Local maxima per frame above thr: list of (n, 2) row, col. Only candidate pixels are tested,
    so the cost follows the number of bright pixels rather than the frame size."""
    r = max(1, radius)
    n, h, w = resp.shape
    # cheap pre-filter on the whole stack: not smaller than the 4 axial neighbours
    m = resp > thr
    m[:, :, 1:] &= resp[:, :, 1:] >= resp[:, :, :-1]
    m[:, :, :-1] &= resp[:, :, :-1] >= resp[:, :, 1:]
    m[:, 1:, :] &= resp[:, 1:, :] >= resp[:, :-1, :]
    m[:, :-1, :] &= resp[:, :-1, :] >= resp[:, 1:, :]
    cand = torch.nonzero(m)
    if len(cand) == 0:
        return [np.zeros((0, 2), dtype=np.int64) for _ in range(n)]
    # the 8 neighbours first (cheap, removes most candidates), then the rest of the disk
    offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    offsets += [
        (dy, dx)
        for dy in range(-r, r + 1)
        for dx in range(-r, r + 1)
        if max(abs(dy), abs(dx)) > 1 and dy * dy + dx * dx <= (r + 0.5) ** 2
    ]
    for stage in (offsets[:8], offsets[8:]):
        if len(cand) == 0:
            break
        f, y, x = cand[:, 0], cand[:, 1], cand[:, 2]
        v = resp[f, y, x]
        is_max = torch.ones(len(cand), dtype=torch.bool)
        for dy, dx in stage:
            yy = (y + dy).clamp(0, h - 1)
            xx = (x + dx).clamp(0, w - 1)
            nb = resp[f, yy, xx]
            # outside the frame there is no competitor (a head cut by the edge still counts)
            outside = (y + dy < 0) | (y + dy >= h) | (x + dx < 0) | (x + dx >= w)
            # ties: the first pixel in raster order wins
            later = dy > 0 or (dy == 0 and dx > 0)
            is_max &= (nb < v) | ((nb == v) & later) | outside
        cand = cand[is_max]
    found = cand.numpy()
    order = np.searchsorted(found[:, 0], np.arange(n + 1))
    return [found[order[i] : order[i + 1], 1:] for i in range(n)]


CENTROID_FLOOR = 0.15  # weights above this fraction of the peak: the core, not the noise around it


# Round cells (leukocytes, immature germ cells; 7-15 um across) are not sperm, but in phase contrast
# their outline is a thin ring whose band-pass response has peaks of its own. A head is a compact
# blob with nothing in particular around it; a peak on an outline has the rest of a ring through it.
# So for each peak, circles through it of a round cell's radius are tried (centres on 24 rays from
# the peak, radii 3.5-7.5 um in 0.5 um steps, 24 points on each rim). If along one of them the
# response stays above ROUND_CELL_LEVEL of the peak's own height on more than ROUND_CELL_SHARE of
# the rim, the peak is on a round cell's outline and is not counted. Measured on 400 generated
# stills (seeds 31337, 4711): heads have a median share of 0.25 (99.9th percentile 0.71); 42 of
# 26,000 heads were dropped and 40 of 170 false peaks, among them the outlines behind all four
# over-counts beyond 10 % (+12 to +17 %; with the rule the largest error of the 400 was 7.4 %).
# Stills only, for now: on 100 videos (seed 4711) it removed single-frame peaks of still heads in a
# faint video (typical head 7.5 noise SDs), broke their tracks, and one video's total motility went
# from +7.8 to +14.5 points. A video would need the test on whole tracks, not frame by frame.
ROUND_CELL_RADII_UM = (3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5)
ROUND_CELL_LEVEL = 0.3
ROUND_CELL_SHARE = 0.7
_CENTRES = np.linspace(0, 2 * np.pi, 24, endpoint=False)
_RIM = np.linspace(0, 2 * np.pi, 24, endpoint=False)


def _on_round_cell(resp: np.ndarray, rc: np.ndarray, vals: np.ndarray, um_per_px: float) -> np.ndarray:
    """Per peak (row, col): does a circle of a round cell's radius pass through it along which the
    response stays high (above ROUND_CELL_LEVEL of the peak on more than ROUND_CELL_SHARE of the rim)?"""
    if len(rc) == 0:
        return np.zeros(0, dtype=bool)
    h, w = resp.shape
    radii = np.asarray(ROUND_CELL_RADII_UM) / um_per_px
    # rim point = peak + R (cos a, sin a) [the centre] + R (cos b, sin b): offsets from the peak
    # (24 centres x 9 radii x 24 rim points). Peaks sit on whole pixels, so the rounded offsets are
    # the same for every peak: read each distinct pixel once per peak, then look the rims up.
    dy = radii[None, :, None] * (np.sin(_CENTRES)[:, None, None] + np.sin(_RIM)[None, None, :])
    dx = radii[None, :, None] * (np.cos(_CENTRES)[:, None, None] + np.cos(_RIM)[None, None, :])
    off, inv = np.unique(
        np.stack([np.round(dy).ravel(), np.round(dx).ravel()], 1).astype(np.int64), axis=0, return_inverse=True
    )
    ys, xs = rc[:, :1] + off[None, :, 0], rc[:, 1:] + off[None, :, 1]
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    high = inside & (resp[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)] > ROUND_CELL_LEVEL * vals[:, None])
    share = high[:, inv.ravel()].reshape(len(rc), len(_CENTRES) * len(radii), len(_RIM)).mean(axis=-1)
    above = share > ROUND_CELL_SHARE  # points outside the frame count as not high
    return np.asarray(above.any(axis=1))


# Straight ridges are not sperm either: the ruled lines of a counting chamber (a Makler chamber's
# 0.1 mm squares), scratches, fibres. Along such a line the band-pass response is nearly level, so
# its noise makes peaks all along it. A head is a compact blob with background on at least one side
# (its tail, when seen, leaves from the other). So for each peak the response is read along straight
# lines through it (24 directions, 10 points from 2.5 to 12 um on each side; where a line leaves the
# frame, its side inside judges it); if for one direction the median on both sides stays above
# LINE_LEVEL of the peak's own height, the peak is on a line and is not counted. A head lying on a
# line still is: the line carries less than half of their sum. Measured by bench/ml_sperm_lines.py
# on stills of lab c (ml.renderers.lab_c_sperm, which rules a Makler grid in 7 % of its fields;
# seed 5, 60 stills: 4703 heads) and of ours (seed 31337, 100 stills: 6473 heads): the heads' 99.9th
# percentile is 0.31 and 0.30; the rule drops one head of each set and 1630 of the 1836 false peaks
# in lab c's grid fields. Unlike the round-cell rule it holds in videos too (a grid is static, and
# its peaks were tracked as immotile heads): on 300 of our videos (bench/ml_sperm_cases.py, seeds
# 8080, 4711, 2024) PR and total motility stay as they were (cases beyond 5 points: 4 and 1 both
# ways); on 20 of lab c's (seed 11) the largest concentration error goes from 110 % to 36 % (cases
# beyond 5 points: PR 2 -> 3, total motility 8 -> 7). Ridges are dropped before the typical head's
# response is estimated: a grid's many peaks would otherwise set it.
LINE_SPAN_UM = (2.5, 12.0)
LINE_LEVEL = 0.5
# Where two lines cross, the peak is their sum and each line carries half of it: a peak with two
# directions at least CROSS_MIN_DEG apart both above CROSS_LEVEL is a crossing (the heads of the
# measurement above reach 0.20).
CROSS_LEVEL = 0.3
CROSS_MIN_DEG = 45.0
_LINE_DIRS = np.linspace(0, np.pi, 24, endpoint=False)
_LINE_POINTS = 10


def _median_inside(x: np.ndarray) -> np.ndarray:
    """Median over the last axis of the values that are not NaN (NaN where none is): np.nanmedian,
    without its slow masked-array path."""
    srt = np.sort(x, axis=-1)  # NaN sorts last
    m = (~np.isnan(x)).sum(axis=-1, keepdims=True)
    lo = np.take_along_axis(srt, np.maximum(m - 1, 0) // 2, axis=-1)
    hi = np.take_along_axis(srt, np.minimum(m // 2, x.shape[-1] - 1), axis=-1)
    return np.where(m > 0, 0.5 * (lo + hi), np.nan)[..., 0]


def line_levels(resp: np.ndarray, rc: np.ndarray, vals: np.ndarray, um_per_px: float) -> np.ndarray:
    """Per peak (row, col) and direction (_LINE_DIRS): how far a straight line through the peak
    carries the response, as a fraction of the peak's height (the lower of its two sides' medians)."""
    if len(rc) == 0:
        return np.zeros((0, len(_LINE_DIRS)))
    h, w = resp.shape
    d = np.linspace(*LINE_SPAN_UM, _LINE_POINTS) / um_per_px
    d = np.concatenate([d, -d])  # one side, then the other
    dy = np.round(np.sin(_LINE_DIRS)[:, None] * d[None]).astype(np.int64)  # directions x points
    dx = np.round(np.cos(_LINE_DIRS)[:, None] * d[None]).astype(np.int64)
    ys, xs = rc[:, 0, None, None] + dy[None], rc[:, 1, None, None] + dx[None]
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    r = np.where(inside, resp[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)], np.nan) / vals[:, None, None]
    a, b = _median_inside(r[..., :_LINE_POINTS]), _median_inside(r[..., _LINE_POINTS:])
    # where a line leaves the frame, the side inside judges it (a ruled line runs on to the edge)
    a, b = np.where(np.isnan(a), b, a), np.where(np.isnan(b), a, b)
    return np.nan_to_num(np.minimum(a, b), nan=0.0)


def line_scores(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per peak: the best direction's level, and the lower of the best two directions at least
    CROSS_MIN_DEG apart (high where two lines cross)."""
    if len(levels) == 0:
        return np.zeros(0), np.zeros(0)
    k = len(_LINE_DIRS)
    best = levels.argmax(axis=1)
    sep = np.abs(np.arange(k)[None] - best[:, None])
    apart = np.minimum(sep, k - sep) * (180.0 / k) >= CROSS_MIN_DEG
    second = np.where(apart, levels, -np.inf).max(axis=1)
    first = levels.max(axis=1)
    return first, np.minimum(first, second)


def _on_line(resp: np.ndarray, rc: np.ndarray, vals: np.ndarray, um_per_px: float) -> np.ndarray:
    """Per peak: is it on a straight ridge, or where two cross?"""
    first, cross = line_scores(line_levels(resp, rc, vals, um_per_px))
    return (first > LINE_LEVEL) | (cross > CROSS_LEVEL)


def _upper_class(vals: np.ndarray) -> np.ndarray:
    """The brighter of two classes of peak strengths (Otsu's threshold on their logarithms)."""
    if len(vals) < 4:
        return vals
    lv = np.log(np.maximum(vals, 1e-9))
    srt = np.sort(lv)
    n = len(srt)
    csum = np.cumsum(srt)
    k = np.arange(1, n)
    m0 = csum[:-1] / k
    m1 = (csum[-1] - csum[:-1]) / (n - k)
    between = k * (n - k) * (m0 - m1) ** 2
    i = int(np.argmax(between))
    # only split when the classes are far apart (a factor of ~2.5); else all peaks are heads
    if m1[i] - m0[i] < math.log(2.5):
        return vals
    return np.exp(srt[i + 1 :])


def detect_heads(
    frames: list[np.ndarray], um_per_px: float, settings: CasaSettings = CASA, *, weak: bool = False
) -> DetectionResult:
    """Head positions per frame. With weak=True (videos) fainter peaks are kept too, flagged not
    strong: a track that is strong in some frames is a head that flickers about the threshold."""
    sigma = max(0.7, settings.head_sigma_um / um_per_px)
    chunks = []
    h0, w0 = np.asarray(frames[0]).shape[:2]
    step = max(1, 10_000_000 // max(1, h0 * w0))  # bounded memory: ~10 Mpx of frames per batch
    for s in range(0, len(frames), step):
        chunks.append(bandpass(frames[s : s + step], sigma))
    resp = torch.cat(chunks)
    radius = max(1, round(1.5 * sigma))
    # noise: robust spread of the response (heads cover a small fraction of the field)
    sample = resp[:: max(1, len(frames) // 8)].flatten().numpy()
    sample = sample[:: max(1, sample.size // 200_000)]
    med = float(np.median(sample))
    noise = float(np.median(np.abs(sample - med))) * 1.4826 + 1e-6
    low = settings.detect_min_snr * noise

    def peak_values(r: torch.Tensor, pk: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([r[i].numpy()[p[:, 0], p[:, 1]] for i, p in enumerate(pk)]) if pk else np.zeros(0)

    # polarity: the sign whose strongest compact peaks are stronger
    n_probe = min(5, len(frames))
    floor = min(low, settings.weak_min_snr * noise) if weak else low
    pos = _peaks(resp, radius, floor)  # local maxima do not depend on the threshold: filter them later
    neg_probe = _peaks(-resp[:n_probe], radius, low)
    scores = []
    for sign, pk in ((1, pos[:n_probe]), (-1, neg_probe)):
        vals = peak_values(sign * resp[:n_probe], pk)
        vals = vals[vals > low]
        scores.append(float(np.sort(vals)[-max(1, len(vals) // 2) :].mean()) if len(vals) else 0.0)
    polarity = 1 if scores[0] >= scores[1] else -1
    if polarity < 0:
        resp = -resp
        pos = _peaks(resp, radius, floor)
    # a peak on a straight ridge is neither a head nor evidence of the typical head (see LINE_LEVEL)
    n_ref = min(10, len(frames))
    ref_pos = [
        p[~_on_line(r, p, r[p[:, 0], p[:, 1]], um_per_px)]
        for r, p in zip(resp[:n_ref].numpy(), pos[:n_ref], strict=True)
    ]
    vals = peak_values(resp[:n_ref], ref_pos)
    vals = vals[vals > low]
    # heads are the bright class of peaks; tails, debris and cell outlines the faint one. Otsu on the
    # log strengths finds the split whatever their proportions; the typical head is that class's median.
    ref = float(np.median(_upper_class(vals))) if len(vals) else 0.0
    thr = max(low, settings.detect_rel * ref)
    keep_thr = max(floor, settings.weak_rel * ref) if weak else thr
    peaks = [p[resp[i].numpy()[p[:, 0], p[:, 1]] > keep_thr] for i, p in enumerate(pos)]
    # sub-pixel centroid of the positive response in a window about each peak
    w = max(1, math.ceil(1.6 * sigma))
    oy, ox = np.mgrid[-w : w + 1, -w : w + 1]
    disk = (oy**2 + ox**2) <= (w + 0.5) ** 2
    oy, ox = oy[disk], ox[disk]
    h, wd = resp.shape[-2:]
    points, strengths, strong = [], [], []
    for i, rc in enumerate(peaks):
        if len(rc) == 0:
            points.append(np.zeros((0, 2)))
            strengths.append(np.zeros(0))
            strong.append(np.zeros(0, dtype=bool))
            continue
        r_i = resp[i].numpy()
        vals_i = r_i[rc[:, 0], rc[:, 1]]
        order = np.argsort(-vals_i)
        rc, vals_i = rc[order], vals_i[order]
        keep = suppress_close(rc.astype(np.float32), 1.5 * sigma)
        rc, vals_i = rc[keep], vals_i[keep]
        not_head = _on_line(r_i, rc, vals_i, um_per_px)
        if not weak:  # stills (see ROUND_CELL_LEVEL: in videos, a track needs more than one frame)
            not_head |= _on_round_cell(r_i, rc, vals_i, um_per_px)
        rc, vals_i = rc[~not_head], vals_i[~not_head]
        yy = np.clip(rc[:, :1] + oy[None], 0, h - 1)
        xx = np.clip(rc[:, 1:] + ox[None], 0, wd - 1)
        wts = np.clip(r_i[yy, xx] - CENTROID_FLOOR * vals_i[:, None], 0, None)
        s = wts.sum(axis=1) + 1e-9
        cy = (wts * yy).sum(axis=1) / s
        cx = (wts * xx).sum(axis=1) / s
        points.append(np.stack([cx, cy], axis=1))
        strengths.append(vals_i / noise)
        strong.append(vals_i > thr)
    return DetectionResult(points, strengths, polarity, noise, thr, strong, ref / noise)


# ----------------------------------------------------------------------------------------------
# linking
# ----------------------------------------------------------------------------------------------
CONFIRM = 3  # detections in a row before a track may bridge a gap


@dataclass
class Track:
    start: int
    points: list[tuple[float, float]] = field(default_factory=list)  # x, y in um, one per frame
    observed: list[bool] = field(default_factory=list)
    # per point: the head's own detection. Merged frames (one blob for two heads) are observed, not
    # placed: a track coasts through them on its prediction, and once a detection places it again
    # its points there are interpolated between the two placed ones.
    placed: list[bool] = field(default_factory=list)
    strong: list[bool] = field(default_factory=list)  # per point: a detection above the still threshold
    last_seen: int = 0
    confirmed: bool = False  # seen CONFIRM frames in a row: may bridge gaps

    @property
    def n_strong(self) -> int:
        """Observations above the still-image threshold (of the points the track keeps)."""
        return sum(self.strong)

    def step_reach(self, settings: CasaSettings) -> float:
        """How far (um per frame) a confirmed track may move on from its prediction: a multiple of its
        own largest recent step (see CasaSettings.step_gate_factor); unbounded before that is known."""
        placed = [p for p, q in zip(self.points, self.placed, strict=True) if q][-6:]
        if not self.confirmed or len(placed) < 6:
            return math.inf
        steps = np.linalg.norm(np.diff(np.asarray(placed), axis=0), axis=1)
        return settings.step_gate_factor * float(steps.max()) + settings.step_gate_floor_um

    @property
    def end(self) -> int:
        return self.start + len(self.points) - 1

    def predict(self, frame: int) -> np.ndarray:
        p = np.asarray(self.points[-1])
        n = len(self.points)
        if n >= 2:
            k = min(4, n - 1)
            v = (p - np.asarray(self.points[-1 - k])) / k
            return p + v * (frame - self.end)
        return p


def link(
    points_um: list[np.ndarray],
    fps: float,
    settings: CasaSettings = CASA,
    strong: list[np.ndarray] | None = None,
) -> list[Track]:
    """Greedy global nearest-neighbour linking with a constant-velocity prediction and gap closing.

    * A detection is reachable from a track if it lies near the track's prediction and no farther
      than the gate speed allows from where the head was last seen. Near means, for a confirmed
      track, within a multiple of its own largest recent step (``Track.step_reach``): a slow sperm
      whose head is hidden for a frame does not take the head of a fast one passing by.
    * Tracks seen in the previous frame choose first, nearest first; a track bridging a gap must
      not take the head of a track that is following it frame by frame.
    * A track bridges gaps only once confirmed (``CONFIRM`` detections in a row), so a chain of
      noise peaks does not live on from gap to gap; and only to a strong detection (``strong``), so
      a head that vanishes is not continued by a weak peak nearby (its own tail, debris).
    * Two heads passing over each other give one detection between them. When it is the nearest
      detection of two confirmed tracks whose predictions both lie within ``settings.merge_um`` of
      it, both tracks coast on their predictions (the head is seen, its position is not): a still
      head stays put and a swimming one keeps its course, instead of one track taking the blob and
      following it off with the other sperm. Once a detection places such a track again, its
      points in between are interpolated; a track not placed again ends at its last placed point
      (coasted positions are guesses).
    """
    gate = settings.gate_speed_um_s / fps
    active: list[Track] = []
    done: list[Track] = []
    for t, pts in enumerate(points_um):
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        assigned_det = np.zeros(len(pts), dtype=bool)
        if active and len(pts):
            pred = np.stack([tr.predict(t) for tr in active])
            last = np.array([tr.points[tr.last_seen - tr.start] for tr in active], dtype=np.float64)
            gaps = np.array([t - tr.last_seen for tr in active], dtype=np.float64)
            d = np.linalg.norm(pred[:, None, :] - pts[None, :, :], axis=2)
            reach = (gate * gaps)[:, None] + 0.5
            own = np.array([tr.step_reach(settings) for tr in active])  # a slow track stays slow
            near_pred = np.minimum(reach, (own * gaps)[:, None] + 0.5)
            ok = (d <= near_pred) & (np.linalg.norm(last[:, None, :] - pts[None, :, :], axis=2) <= reach)
            if strong is not None:  # a track bridges a gap only to a strong detection
                ok &= (gaps[:, None] <= 1) | np.asarray(strong[t], dtype=bool)[None, :]
            used_t = np.zeros(len(active), dtype=bool)
            confirmed = np.array([tr.confirmed for tr in active])
            # merged heads: one detection is the nearest of two or more confirmed, live tracks
            nearest = np.where(ok.any(axis=1), np.where(ok, d, np.inf).argmin(axis=1), -1)
            close = (nearest >= 0) & confirmed & (gaps == 1)
            close &= d[np.arange(len(active)), np.maximum(nearest, 0)] <= settings.merge_um
            for b in np.unique(nearest[close]):
                group = np.flatnonzero(close & (nearest == b))
                if len(group) < 2:
                    continue
                assigned_det[b] = True
                for a in group:
                    used_t[a] = True
                    _extend(active[a], t, pred[a], strong is None or bool(strong[t][b]), placed=False)
            ti, di = np.nonzero(ok & ~used_t[:, None] & ~assigned_det[None, :])
            order = np.lexsort((d[ti, di], gaps[ti]))
            for k in order:
                a, b = ti[k], di[k]
                if used_t[a] or assigned_det[b]:
                    continue
                used_t[a] = True
                assigned_det[b] = True
                _extend(active[a], t, pts[b], strong is None or bool(strong[t][b]))
        still = []
        for tr in active:
            # unconfirmed tracks do not bridge gaps
            if t - tr.last_seen > (settings.max_gap_frames if tr.confirmed else 0):
                done.append(tr)
            else:
                still.append(tr)
        active = still
        for b in np.flatnonzero(~assigned_det):
            active.append(
                Track(
                    start=t,
                    points=[(float(pts[b, 0]), float(pts[b, 1]))],
                    observed=[True],
                    placed=[True],
                    strong=[True if strong is None else bool(strong[t][b])],
                    last_seen=t,
                )
            )
    done.extend(active)
    # a track ends at its last placed point: frames it only coasted through at the end are dropped
    # (trailing missed frames were never appended: points only grow on a detection)
    for tr in done:
        keep = len(tr.placed) - tr.placed[::-1].index(True)
        del tr.points[keep:], tr.observed[keep:], tr.placed[keep:], tr.strong[keep:]
    return sorted(done, key=lambda tr: (tr.start, tr.points[0]))


def _extend(tr: Track, t: int, p_new: np.ndarray, strong: bool, placed: bool = True) -> None:
    """Add the head position of frame t to a track. Frames since its last placed point (missed, or
    merged and coasted through) are interpolated between that point and a placed ``p_new``."""
    missing = t - tr.end - 1
    for _ in range(missing):
        tr.points.append(tr.points[-1])
        tr.observed.append(False)
        tr.placed.append(False)
        tr.strong.append(False)
    tr.points.append((float(p_new[0]), float(p_new[1])))
    tr.observed.append(True)
    tr.placed.append(placed)
    tr.strong.append(strong)
    if placed:
        k = len(tr.placed) - 2  # the previous placed point (a track starts at one)
        while not tr.placed[k]:
            k -= 1
        p_old, n = np.asarray(tr.points[k]), len(tr.points) - 1 - k
        for j in range(1, n):
            q = p_old + (np.asarray(p_new) - p_old) * j / n
            tr.points[k + j] = (float(q[0]), float(q[1]))
    tr.last_seen = t
    if not tr.confirmed and len(tr.observed) >= CONFIRM and all(tr.observed[-CONFIRM:]):
        tr.confirmed = True


# ----------------------------------------------------------------------------------------------
# kinematics
# ----------------------------------------------------------------------------------------------
def vap_window(fps: float, settings: CasaSettings = CASA) -> int:
    w = round(settings.vap_window_s * fps)
    if w % 2 == 0:
        w += 1
    return max(3, w)


def kinematics(points_um: np.ndarray, fps: float, settings: CasaSettings = CASA) -> dict[str, Any]:
    """VCL, VSL, VAP (um/s), LIN, STR, WOB, ALH (um), BCF (Hz), rms excursion and the WHO grade."""
    p = np.asarray(points_um, dtype=np.float64).reshape(-1, 2)
    n = len(p)
    nan = float("nan")
    if n < 2:
        return {
            "vcl": nan,
            "vsl": nan,
            "vap": nan,
            "lin": nan,
            "str": nan,
            "wob": nan,
            "alh": nan,
            "bcf": nan,
            "rms_um": 0.0,
            "duration_s": 0.0,
            "grade": "d",
        }
    duration = (n - 1) / fps
    steps = np.linalg.norm(np.diff(p, axis=0), axis=1)
    vcl = float(steps.sum() / duration)
    vsl = float(np.linalg.norm(p[-1] - p[0]) / duration)
    w = min(vap_window(fps, settings), n if n % 2 else n - 1)
    if w >= 3:
        kernel = np.ones(w) / w
        s = np.stack([np.convolve(p[:, 0], kernel, mode="valid"), np.convolve(p[:, 1], kernel, mode="valid")], axis=1)
    else:
        s = p.copy()
    if len(s) >= 2:
        ds = (len(s) - 1) / fps
        vap = float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum() / ds)
        # lateral deviation of the head about the average path, signed by the local path direction
        h = (w - 1) // 2 if w >= 3 else 0
        core = p[h : h + len(s)]
        tang = np.gradient(s, axis=0)
        norm = np.linalg.norm(tang, axis=1, keepdims=True)
        tang = np.where(norm > 1e-9, tang / np.maximum(norm, 1e-9), 0.0)
        rel = core - s
        dev = rel[:, 0] * (-tang[:, 1]) + rel[:, 1] * tang[:, 0]
        crossings = int(np.count_nonzero(np.diff(np.sign(dev[np.abs(dev) > 1e-9])) != 0))
        bcf = crossings / ds if ds > 0 else nan
        a = np.abs(dev)
        peaks = [a[i] for i in range(1, len(a) - 1) if a[i] >= a[i - 1] and a[i] >= a[i + 1]]
        alh = 2.0 * float(np.mean(peaks)) if peaks else 2.0 * float(a.max(initial=0.0))
    else:
        vap, alh, bcf = nan, nan, nan
    rms = float(np.sqrt(((p - p.mean(axis=0)) ** 2).sum(axis=1).mean()))

    def ratio(x: float, y: float) -> float:
        return x / y if y > 1e-9 and math.isfinite(x) and math.isfinite(y) else nan

    return {
        "vcl": vcl,
        "vsl": vsl,
        "vap": vap,
        "lin": ratio(vsl, vcl),
        "str": ratio(vsl, vap),
        "wob": ratio(vap, vcl),
        "alh": alh,
        "bcf": bcf,
        "rms_um": rms,
        "duration_s": duration,
        "grade": grade(vsl, rms, settings),
    }
