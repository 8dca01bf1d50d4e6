"""Lab C synthetic generator: semen wet preparations (phase contrast) and stained smears, with exact ground truth.

One of several independently written image generators (see ``ml.renderers``) used to train and test
FertiVision's analyzers on many looks. It needs numpy and the standard library only.

Public API (names in ``KINDS``), each returning ``(image(s), truth dict)``; the label rules, ranges and truth keys
are in their docstrings:

* ``video_sample(seed, i, n_frames=100, fps=50.0)``: list of uint8 HxW grey frames of a counting-chamber wet
  preparation, for concentration and motility (WHO 6th ed. grades a/b/c/d); a still when ``n_frames == 1``.
* ``smear_sample(seed, i)``: uint8 HxWx3 stained smear, for sperm morphology (WHO strict criteria).

Every random number comes from ``numpy.random.default_rng([seed, i, stream])``, so one ``(seed, i)`` always gives
the same pixels and truth. Every label comes from the geometry that was drawn, never from measuring the image.
Coordinates everywhere: ``x`` = column, ``y`` = row, in pixels, pixel centres at integers; the image covers
``-0.5 <= x < W-0.5``, ``-0.5 <= y < H-0.5``.

Rendering model
---------------
* ``video_sample`` - a wet preparation in a counting chamber (10 or 20 um deep) seen by
  phase contrast (positive phase contrast: dark heads with a bright halo on a grey
  background; or negative phase contrast as used by many CASA systems: bright heads on a
  dark background).  Every object is drawn as a *phase map* (optical path excess; head >
  midpiece > tail, plus debris, round cells, fine granules).  The phase maps are split in
  three focus layers (in focus, slightly and moderately out of focus, since the chamber is
  deeper than the depth of field).  Each layer is blurred by its point spread function and
  high-pass filtered by the phase ring (``PSF - k * halo``, a wide Gaussian), all in the
  Fourier domain on a padded canvas; the result modulates a non-uniform illumination
  (vignetting, gradient, mottle, fixed dust), and Poisson-Gaussian camera noise is added
  before 8-bit quantisation.  Sperm heads follow closed-form trajectories (arc of a circle
  plus slow wander, plus a lateral head oscillation of amplitude ALH/2 at the beat frequency;
  small circles / wobble in place for grade c; nothing but sub-pixel jitter for grade d);
  flagella are inextensible curves whose tangent angle carries a travelling bending wave.
  The motility grade of every sperm is computed from the exact head path (displacement
  between t=0 and t=1 s) and grades are kept away from the WHO cut-offs by guard bands.

* ``smear_sample`` - a stained smear (Diff-Quik or Papanicolaou) under bright field, 100x
  oil.  Each structure is a map of dye concentrations (nuclear dye, eosin-like dye, a third
  counterstain) turned into RGB by Beer-Lambert absorption, blurred by the objective PSF,
  lit by a slightly coloured, vignetted lamp, with camera noise.  Heads are parametric
  ovals (length, width, egg/pear asymmetry, Fourier outline perturbation) with an acrosome
  cap of exact area fraction, optional vacuoles, a midpiece and a tail drawn as curves.  The
  label ``normal`` follows the WHO (6th ed., 2021) strict criteria; abnormal heads get one
  primary defect generated clearly outside the normal ranges.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

VERSION = "1.0"
KINDS = ("video_sample", "smear_sample")

TAU = 2.0 * math.pi

# --------------------------------------------------------------------------------------
# generic helpers
# --------------------------------------------------------------------------------------


def _rng(seed: int, i: int, kind: int) -> np.random.Generator:
    """Deterministic generator for one (seed, i, kind)."""
    return np.random.default_rng([int(seed) % (2**63), int(i) % (2**63), kind])


def _gauss_tf(shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Transfer function (rfft2 layout) of a unit-integral Gaussian of std ``sigma`` px."""
    h, w = shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    return np.exp(-2.0 * (math.pi**2) * (sigma**2) * (fx * fx + fy * fy))


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a 2-D array by FFT (periodic; pad the input if that matters)."""
    if sigma <= 0.05:
        return img.astype(np.float64, copy=True)
    f = np.fft.rfft2(img)
    return np.fft.irfft2(f * _gauss_tf(img.shape, sigma), s=img.shape)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Zero-mean, unit-std smooth random field (white noise blurred by a Gaussian)."""
    n = _blur(rng.standard_normal(shape), sigma)
    s = n.std()
    return n / s if s > 0 else n


def _splat(
    size_flat: int,
    width: int,
    height_total: int,
    x: np.ndarray,
    y: np.ndarray,
    wgt: np.ndarray,
    offset: np.ndarray | int = 0,
) -> np.ndarray:
    """Bilinear splat of weighted points into a flat array of ``size_flat`` values.

    ``width`` is the row length, ``height_total`` the number of rows of one layer;
    ``offset`` (per point) selects the layer (multiple of width*height)."""
    x = np.asarray(x, dtype=np.float64)
    shp = x.shape
    x = x.ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    wgt = np.broadcast_to(np.asarray(wgt, dtype=np.float64), shp).ravel()
    off = np.broadcast_to(np.asarray(offset), shp).ravel()
    x0 = np.floor(x).astype(np.int64)
    y0 = np.floor(y).astype(np.int64)
    fx = x - x0
    fy = y - y0
    idx_all = []
    w_all = []
    for dx, dy, ww in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xx = x0 + dx
        yy = y0 + dy
        ok = (xx >= 0) & (xx < width) & (yy >= 0) & (yy < height_total)
        idx_all.append(yy[ok] * width + xx[ok] + off[ok])
        w_all.append((ww * wgt)[ok])
    idx = np.concatenate(idx_all)
    ww = np.concatenate(w_all)
    return np.bincount(idx, weights=ww, minlength=size_flat)[:size_flat]


def _r(v: float, nd: int = 3) -> float:
    return float(round(float(v), nd))


# --------------------------------------------------------------------------------------
# wet preparation (phase contrast) - scene description
# --------------------------------------------------------------------------------------

VIDEO_SIZES = [(640, 480), (800, 600), (320, 240), (512, 384), (720, 540), (768, 576)]
VIDEO_SIZE_P = [0.40, 0.15, 0.10, 0.15, 0.10, 0.10]
DILUTIONS = [1, 2, 5, 10, 20]

# guard bands on the 1-s displacement (um): a >= 28, b in [6.5, 22], c < 3.5
A_MIN, B_MIN, B_MAX, C_MAX = 28.0, 6.5, 22.0, 3.5


def _traj(p: dict[str, np.ndarray], t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form trajectories.

    ``p`` holds per-sperm parameter arrays (length N) in um, rad, s.  ``t`` is an array of
    times (length T).  Returns (head_xy_um [N,T,2], avg_xy_um [N,T,2], heading [N,T],
    head_angle [N,T]).  The average path is an arc (speed v, turning rate w) plus a small
    circle (radius r, rate Om), a slow lateral wander and sub-pixel jitter; the head is the
    average path displaced laterally by ALH/2 * sin(2 pi f t + ph)."""
    t = np.asarray(t, dtype=np.float64)[None, :]
    th0 = p["th0"][:, None]
    v = p["v"][:, None]
    w = p["w"][:, None]
    heading_lin = th0 + w * t
    small = np.abs(w) < 1e-9
    wsafe = np.where(small, 1.0, w)
    ax = np.where(small, v * t * np.cos(th0), (v / wsafe) * (np.sin(heading_lin) - np.sin(th0)))
    ay = np.where(small, v * t * np.sin(th0), (v / wsafe) * (np.cos(th0) - np.cos(heading_lin)))
    # small circle (grade c)
    r = p["r"][:, None]
    om = p["om"][:, None]
    be = p["be"][:, None]
    ax = ax + r * (np.cos(om * t + be) - np.cos(be))
    ay = ay + r * (np.sin(om * t + be) - np.sin(be))
    # slow wander perpendicular to the arc
    wan = p["wa1"][:, None] * (np.sin(TAU * p["wf1"][:, None] * t + p["wp1"][:, None]) - np.sin(p["wp1"][:, None])) + p[
        "wa2"
    ][:, None] * (np.sin(TAU * p["wf2"][:, None] * t + p["wp2"][:, None]) - np.sin(p["wp2"][:, None]))
    nx = -np.sin(heading_lin)
    ny = np.cos(heading_lin)
    ax = ax + nx * wan
    ay = ay + ny * wan
    # sub-pixel jitter (grade d) - three incommensurate sines per axis
    for k in range(3):
        ax = ax + p[f"jx{k}"][:, None] * (
            np.sin(TAU * p[f"jf{k}"][:, None] * t + p[f"jpx{k}"][:, None]) - np.sin(p[f"jpx{k}"][:, None])
        )
        ay = ay + p[f"jy{k}"][:, None] * (
            np.sin(TAU * p[f"jf{k}"][:, None] * t * 1.37 + p[f"jpy{k}"][:, None]) - np.sin(p[f"jpy{k}"][:, None])
        )
    avg_x = p["x0"][:, None] + ax
    avg_y = p["y0"][:, None] + ay
    # heading with pivoting (grade c)
    heading = heading_lin + p["pa"][:, None] * np.sin(p["om2"][:, None] * t + p["be2"][:, None])
    phase = TAU * p["f"][:, None] * t + p["ph"][:, None]
    lat = 0.5 * p["alh"][:, None] * np.sin(phase)
    hx = avg_x - np.sin(heading) * lat
    hy = avg_y + np.cos(heading) * lat
    head_angle = heading + p["yaw"][:, None] * np.cos(phase)
    head = np.stack([hx, hy], axis=-1)
    avg = np.stack([avg_x, avg_y], axis=-1)
    return head, avg, heading, head_angle


def _zeros_params(n: int) -> dict[str, np.ndarray]:
    keys = [
        "x0",
        "y0",
        "th0",
        "v",
        "w",
        "r",
        "om",
        "be",
        "wa1",
        "wf1",
        "wp1",
        "wa2",
        "wf2",
        "wp2",
        "pa",
        "om2",
        "be2",
        "alh",
        "f",
        "ph",
        "yaw",
    ]
    for k in range(3):
        keys += [f"jx{k}", f"jy{k}", f"jf{k}", f"jpx{k}", f"jpy{k}"]
    d = {k: np.zeros(n) for k in keys}
    for k in range(3):
        d[f"jf{k}"] = np.ones(n)
    return d


def _sample_motion(rng: np.random.Generator, grade: str, n: int, upp: float) -> dict[str, np.ndarray]:
    """Kinematic parameters for ``n`` sperm of one grade (positions filled in later)."""
    p = _zeros_params(n)
    p["th0"] = rng.uniform(0, TAU, n)
    if grade == "a":
        p["v"] = rng.uniform(30.0, 95.0, n)
        rad = np.exp(rng.uniform(math.log(90.0), math.log(2500.0), n))
        p["w"] = p["v"] / rad * rng.choice([-1.0, 1.0], n)
        p["alh"] = rng.uniform(2.0, 5.5, n)
        p["f"] = rng.uniform(6.0, 16.0, n)
        p["yaw"] = rng.uniform(0.12, 0.30, n)
        p["wa1"] = rng.uniform(0.0, 4.0, n)
        p["wa2"] = rng.uniform(0.0, 1.5, n)
    elif grade == "b":
        p["v"] = rng.uniform(7.0, 24.0, n)
        rad = np.exp(rng.uniform(math.log(30.0), math.log(800.0), n))
        p["w"] = p["v"] / rad * rng.choice([-1.0, 1.0], n)
        p["alh"] = rng.uniform(1.0, 3.5, n)
        p["f"] = rng.uniform(3.0, 12.0, n)
        p["yaw"] = rng.uniform(0.08, 0.25, n)
        p["wa1"] = rng.uniform(0.0, 2.0, n)
        p["wa2"] = rng.uniform(0.0, 0.8, n)
    elif grade == "c":
        p["v"] = rng.uniform(0.0, 1.2, n)
        p["w"] = rng.uniform(-1.0, 1.0, n)
        p["r"] = rng.uniform(0.0, 1.4, n)
        p["om"] = rng.uniform(0.5, 4.0, n) * rng.choice([-1.0, 1.0], n)
        p["be"] = rng.uniform(0, TAU, n)
        p["pa"] = rng.uniform(0.0, 0.45, n)
        p["om2"] = rng.uniform(0.5, 3.0, n)
        p["be2"] = rng.uniform(0, TAU, n)
        lo = max(1.2, 1.6 * upp)
        p["alh"] = rng.uniform(lo, max(lo + 0.3, 3.2), n)
        p["f"] = rng.uniform(2.0, 14.0, n)
        p["yaw"] = rng.uniform(0.10, 0.30, n)
    else:  # d: immotile, sub-pixel jitter only (total amplitude <= ~0.12 px)
        amp = 0.04 * upp
        for k in range(3):
            p[f"jx{k}"] = rng.uniform(0, amp, n)
            p[f"jy{k}"] = rng.uniform(0, amp, n)
            p[f"jf{k}"] = rng.uniform(0.3, 2.5, n)
            p[f"jpx{k}"] = rng.uniform(0, TAU, n)
            p[f"jpy{k}"] = rng.uniform(0, TAU, n)
    if grade in ("a", "b"):
        p["wf1"] = rng.uniform(0.15, 0.8, n)
        p["wf2"] = rng.uniform(0.5, 1.5, n)
        p["wp1"] = rng.uniform(0, TAU, n)
        p["wp2"] = rng.uniform(0, TAU, n)
    p["ph"] = rng.uniform(0, TAU, n)
    return p


def _grade_ok(grade: str, dh: np.ndarray, da: np.ndarray) -> np.ndarray:
    if grade == "a":
        return (dh >= A_MIN) & (da >= A_MIN)
    if grade == "b":
        return (dh >= B_MIN) & (dh <= B_MAX) & (da >= B_MIN) & (da <= B_MAX)
    if grade == "c":
        return (dh < C_MAX) & (da < C_MAX)
    return dh < 0.5


def _grade_from_disp(d: float, moving: bool) -> str:
    """WHO grade from the exact 1-s head displacement d (um)."""
    if d >= 25.0:
        return "a"
    if d >= 5.0:
        return "b"
    return "c" if moving else "d"


def _motion_for_grade(rng: np.random.Generator, grade: str, n: int, upp: float) -> dict[str, np.ndarray]:
    """Sample kinematics by rejection so that the 1-s displacement (head and average path)
    is outside the guard bands around the WHO cut-offs."""
    p = _sample_motion(rng, grade, n, upp)
    if n == 0:
        return p
    for _ in range(60):
        head, avg, _, _ = _traj(p, np.array([0.0, 1.0]))
        dh = np.hypot(*(head[:, 1] - head[:, 0]).T)
        da = np.hypot(*(avg[:, 1] - avg[:, 0]).T)
        bad = ~_grade_ok(grade, dh, da)
        if not bad.any():
            break
        q = _sample_motion(rng, grade, int(bad.sum()), upp)
        for k in p:
            p[k][bad] = q[k]
    return p


def _kinematics(pos: np.ndarray, vis: np.ndarray, fps: float, upp: float) -> dict[str, Any]:
    """CASA-like kinematics (um/s) from the longest contiguous visible run of head positions
    (n frames, duration (n-1)/fps; earliest run on ties).

    VCL = sum of frame-to-frame distances / duration;
    VSL = |last - first| / duration;
    VAP = length of the average path / duration, the average path being the centred 5-point
    moving average of the positions, with the window shrunk symmetrically near the ends
    (point k averages positions k-h..k+h, h = min(2, k, n-1-k)), so it shares the first
    and last positions of the track and VAP >= VSL always holds.
    All None when n < 2."""
    best_s, best_n, s = 0, 0, None
    for k in range(len(vis) + 1):
        if k < len(vis) and vis[k]:
            if s is None:
                s = k
        else:
            if s is not None and k - s > best_n:
                best_s, best_n = s, k - s
            s = None
    out: dict[str, Any] = {"track_first_frame": int(best_s) if best_n else None, "track_n_frames": int(best_n)}
    if best_n < 2:
        out.update(vcl_um_s=None, vsl_um_s=None, vap_um_s=None)
        return out
    seg = pos[best_s : best_s + best_n] * upp
    dur = (best_n - 1) / fps
    steps = np.hypot(*np.diff(seg, axis=0).T)
    out["vcl_um_s"] = _r(steps.sum() / dur)
    out["vsl_um_s"] = _r(float(np.hypot(*(seg[-1] - seg[0]))) / dur)
    out["vap_um_s"] = _r(_avg_path_length(seg) / dur)
    return out


def _avg_path(seg: np.ndarray) -> np.ndarray:
    """5-point centred moving average with symmetric shrinking window at the ends."""
    n = len(seg)
    cs = np.vstack([np.zeros((1, 2)), np.cumsum(seg, axis=0)])
    k = np.arange(n)
    h = np.minimum(2, np.minimum(k, n - 1 - k))
    return (cs[k + h + 1] - cs[k - h]) / (2 * h + 1)[:, None]


def _avg_path_length(seg: np.ndarray) -> float:
    a = _avg_path(seg)
    return float(np.hypot(*np.diff(a, axis=0).T).sum())


def _video_scene(seed: int, i: int, n_frames: int, fps: float) -> dict[str, Any]:
    """Draw every random parameter of one wet-preparation field.

    Field/optics and the sperm population use separate random streams, and the population
    is drawn for at least 2 s of swimming, so a still (n_frames=1) is exactly frame 0 of
    the default 100-frame, 50-fps video of the same (seed, i)."""
    rng = _rng(seed, i, 1)
    # ---- field, optics, chamber, concentration ----------------------------------
    for _ in range(40):
        wi, hi = VIDEO_SIZES[rng.choice(len(VIDEO_SIZES), p=VIDEO_SIZE_P)]
        upp = float(np.exp(rng.uniform(math.log(0.3), math.log(1.2))))
        depth = float(rng.choice([10.0, 20.0], p=[0.35, 0.65]))
        conc = float(np.exp(rng.uniform(math.log(5.0), math.log(140.0))))
        area = wi * hi * upp * upp
        v_nl = area * depth * 1e-6
        n_exp = conc * v_nl
        if n_exp >= 8.0:
            break
    nmax = rng.uniform(120.0, 380.0)
    dil = 1
    for d in DILUTIONS:
        dil = d
        if n_exp / d <= nmax:
            break
    if dil > 1 and n_exp / (dil / 2 if dil == 2 else dil) < 8:
        dil = 1
    # ---- motility mix -----------------------------------------------------------
    pr = rng.uniform(0.0, 0.8)
    a_share = rng.uniform(0.0, 1.0)
    npf = rng.uniform(0.02, 0.30) * (1.0 - pr)
    mix = {"a": pr * a_share, "b": pr * (1 - a_share), "c": npf, "d": max(0.0, 1 - pr - npf)}
    # ---- imaging ----------------------------------------------------------------
    neg = bool(rng.random() < 0.3)
    psf_um = rng.uniform(0.3, 0.5)
    focus = rng.uniform(1.0, 1.35)
    sig0 = max(0.55, psf_um / upp) * focus
    halo_um = rng.uniform(1.5, 3.5)
    scene = {
        "W": wi,
        "H": hi,
        "upp": upp,
        "depth": depth,
        "dil": dil,
        "conc_target": conc,
        "neg": neg,
        "sig": [sig0, sig0 * rng.uniform(1.5, 1.9), sig0 * rng.uniform(2.0, 2.6)],
        "gain_l": [1.0, rng.uniform(0.9, 1.1), rng.uniform(1.0, 1.3)],
        "halo": max(1.6 * sig0, halo_um / upp),
        "halo_k": rng.uniform(0.65, 0.95),
        "target": rng.uniform(2.0, 4.0) if neg else rng.uniform(0.25, 0.6),
        "tail_phase": rng.uniform(0.35, 0.8),
        "tail_w_um": rng.uniform(0.5, 0.8),
        "mid_phase": rng.uniform(0.7, 1.0),
        "bg": rng.uniform(45, 85) if neg else rng.uniform(120, 200),
        "vign": rng.uniform(0.0, 0.3),
        "grad": rng.uniform(-0.12, 0.12, 2),
        "mottle": rng.uniform(0.0, 0.04),
        "read_noise": rng.uniform(1.0, 4.0),
        "shot": rng.uniform(0.02, 0.25),
        "flicker": rng.uniform(0.0, 0.012),
        "fps": fps,
        "n_frames": n_frames,
        "grid": bool(depth == 10.0 and rng.random() < 0.2),
    }
    # ---- population (own stream: identical for any n_frames <= 2 s of video) ----
    rng = _rng(seed, i, 3)
    rho = conc * depth * 1e-6 / dil  # heads per um^2 of field (after dilution)
    fw, fh = wi * upp, hi * upp  # field size, um
    dur = max((n_frames - 1) / fps, 2.0)
    v_nl_field = fw * fh * depth * 1e-6
    for _attempt in range(30):
        tail_margin = 55.0
        sperm_p = []
        grades = []
        for g in "abcd":
            vmax = {"a": 100.0, "b": 26.0, "c": 3.0, "d": 0.0}[g]
            m = tail_margin + vmax * dur
            reg_area = (fw + 2 * m) * (fh + 2 * m)
            n = int(rng.poisson(rho * mix[g] * reg_area))
            p = _motion_for_grade(rng, g, n, upp)
            p["x0"] = rng.uniform(-m, fw + m, n)
            p["y0"] = rng.uniform(-m, fh + m, n)
            sperm_p.append(p)
            grades += [g] * n
        # ---- agglutinates (head-to-head clumps, inside the field) -------------------
        n_agg = 0
        agg_id = [-1] * len(grades)
        if rng.random() < 0.15:
            n_agg = int(rng.integers(1, 4))
            for a in range(n_agg):
                k = int(rng.integers(3, 6))
                cx = rng.uniform(0.1 * fw, 0.9 * fw)
                cy = rng.uniform(0.1 * fh, 0.9 * fh)
                g = "c" if rng.random() < 0.6 else "d"
                p = _motion_for_grade(rng, g, k, upp)
                ang = rng.uniform(0, TAU) + np.arange(k) * TAU / k + rng.uniform(-0.15, 0.15, k)
                rr = rng.uniform(3.6, 5.0, k)
                p["x0"] = cx + rr * np.cos(ang)
                p["y0"] = cy + rr * np.sin(ang)
                p["th0"] = ang + math.pi + rng.uniform(-0.3, 0.3, k)  # heads point to the centre
                p["v"] *= 0.0
                p["w"] *= 0.0
                p["r"] *= 0.3
                p["alh"] *= 0.6
                sperm_p.append(p)
                grades += [g] * k
                agg_id += [a] * k
        p = {k: np.concatenate([q[k] for q in sperm_p]) for k in sperm_p[0]}
        # keep the realised concentration inside 5-150 x 10^6/mL (redraw otherwise)
        h0, _, _, _ = _traj(p, np.array([0.0]))
        n_in0 = int(((h0[:, 0, 0] >= 0) & (h0[:, 0, 0] < fw) & (h0[:, 0, 1] >= 0) & (h0[:, 0, 1] < fh)).sum())
        if 5.0 <= n_in0 * dil / v_nl_field <= 150.0 and n_in0 >= 1:
            break
    n = len(grades)
    # ---- morphology of each sperm (phase contrast appearance) -------------------
    p["L"] = np.clip(rng.normal(4.5, 0.25, n), 3.9, 5.2)
    p["Wd"] = np.clip(rng.normal(3.0, 0.2, n), 2.5, 3.5)
    p["egg"] = rng.uniform(0.0, 0.12, n)
    p["tail_len"] = rng.uniform(40.0, 50.0, n)
    p["mid_len"] = rng.uniform(3.5, 5.0, n)
    p["strength"] = rng.uniform(0.8, 1.2, n)
    p["layer"] = rng.choice(3, n, p=[0.62, 0.27, 0.11]).astype(np.int64)
    # flagellar wave
    p["lam"] = rng.uniform(22.0, 40.0, n)
    p["bmax"] = np.where(np.isin(np.array(grades), ["a", "b"]), rng.uniform(0.45, 0.85, n), rng.uniform(0.25, 0.7, n))
    p["tcurv"] = rng.normal(0.0, 0.006, n) + np.where(np.abs(p["v"]) > 0, -p["w"] / np.maximum(p["v"], 1e-6), 0) * 0.5
    p["tcurv"] = np.clip(p["tcurv"], -0.03, 0.03)
    p["sb1"] = rng.uniform(0.05, 0.45, n)  # static bends (grade d)
    p["sk1"] = rng.uniform(0.05, 0.25, n)
    p["sp1"] = rng.uniform(0, TAU, n)
    p["sb2"] = rng.uniform(0.0, 0.25, n)
    p["sk2"] = rng.uniform(0.2, 0.6, n)
    p["sp2"] = rng.uniform(0, TAU, n)
    p["roll_f"] = rng.uniform(0.3, 0.6, n) * p["f"]
    p["roll_p"] = rng.uniform(0, TAU, n)
    scene.update(mix=mix, p=p, grades=grades, agg=agg_id, n_agg=n_agg)
    return scene


# --------------------------------------------------------------------------------------
# wet preparation - rendering
# --------------------------------------------------------------------------------------


def _static_phase(
    rng: np.random.Generator, sc: dict[str, Any], hc: int, wc: int, pad: int
) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, np.ndarray]]:
    """Static objects (round cells, debris, Makler grid) as 3 phase layers, plus the
    Brownian fine granules description."""
    upp = sc["upp"]
    layers = np.zeros((3, hc, wc))
    yy, xx = np.mgrid[0:hc, 0:wc].astype(np.float64)
    fw, fh = sc["W"] * upp, sc["H"] * upp
    area = fw * fh
    cells = []
    # round cells: leukocytes / immature germ cells
    n_cells = int(rng.poisson(rng.uniform(0.0, 3.0) * area / 2.0e5 + rng.uniform(0, 1.5)))
    for _ in range(n_cells):
        kind = "leukocyte" if rng.random() < 0.6 else "germ_cell"
        dia = rng.uniform(7.0, 11.0) if kind == "leukocyte" else rng.uniform(9.0, 15.0)
        cx = rng.uniform(-5, sc["W"] + 5) + pad
        cy = rng.uniform(-5, sc["H"] + 5) + pad
        rad = dia / 2 / upp
        lay = int(rng.choice(3, p=[0.6, 0.3, 0.1]))
        x0, x1 = int(max(0, cx - rad - 3)), int(min(wc, cx + rad + 4))
        y0, y1 = int(max(0, cy - rad - 3)), int(min(hc, cy + rad + 4))
        if x1 <= x0 or y1 <= y0:
            continue
        sx, sy = xx[y0:y1, x0:x1], yy[y0:y1, x0:x1]
        ecc = rng.uniform(0.9, 1.1)
        d = np.hypot((sx - cx) * ecc, (sy - cy) / ecc)
        cov = np.clip(rad - d + 0.5, 0, 1)
        body = cov * rng.uniform(0.45, 0.75) * (1.0 + 0.25 * (1 - (d / rad) ** 2).clip(0))
        # granules / nucleus texture
        if kind == "leukocyte":
            ng = int(rng.integers(25, 60))
            gx = cx + rng.uniform(-0.8, 0.8, ng) * rad
            gy = cy + rng.uniform(-0.8, 0.8, ng) * rad
            for a, b in zip(gx, gy, strict=True):
                if math.hypot(a - cx, b - cy) < 0.85 * rad:
                    gr = max(0.6, 0.35 / upp)
                    body += 0.35 * np.exp(-((sx - a) ** 2 + (sy - b) ** 2) / (2 * gr * gr))
            nl = int(rng.integers(2, 5))
            for _k in range(nl):
                a = cx + rng.uniform(-0.4, 0.4) * rad
                b = cy + rng.uniform(-0.4, 0.4) * rad
                lr = rng.uniform(0.2, 0.3) * rad
                body += 0.35 * np.clip(lr - np.hypot(sx - a, sy - b) + 0.5, 0, 1)
        else:
            nr = rng.uniform(0.4, 0.6) * rad
            a = cx + rng.uniform(-0.2, 0.2) * rad
            b = cy + rng.uniform(-0.2, 0.2) * rad
            body += 0.3 * np.clip(nr - np.hypot(sx - a, sy - b) + 0.5, 0, 1)
            body -= 0.15 * np.clip(nr * 0.25 - np.hypot(sx - a, sy - b) + 0.5, 0, 1)
        layers[lay, y0:y1, x0:x1] += body * cov
        cells.append({"kind": kind, "x": _r(cx - pad, 2), "y": _r(cy - pad, 2), "diameter_um": _r(dia, 2)})
    # debris: small irregular particles (< 2.5 um) and large amorphous clumps (> 6 um)
    dens = rng.uniform(0.2, 3.0) / 1000.0  # per um^2
    n_small = int(rng.poisson(dens * area * 0.25))
    n_large = int(rng.poisson(rng.uniform(0.0, 4.0) * area / 2.0e5))
    for kind, nobj in (("small", n_small), ("large", n_large)):
        for _ in range(nobj):
            cx = rng.uniform(0, sc["W"]) + pad
            cy = rng.uniform(0, sc["H"]) + pad
            size = rng.uniform(0.7, 2.5) if kind == "small" else rng.uniform(6.0, 20.0)
            nb = int(rng.integers(1, 4)) if kind == "small" else int(rng.integers(5, 14))
            lay = int(rng.choice(3, p=[0.5, 0.3, 0.2]))
            sgn = -1.0 if rng.random() < 0.25 else 1.0  # some are refractile (bright)
            rpx = size / 2 / upp
            x0, x1 = int(max(0, cx - rpx * 1.6 - 3)), int(min(wc, cx + rpx * 1.6 + 4))
            y0, y1 = int(max(0, cy - rpx * 1.6 - 3)), int(min(hc, cy + rpx * 1.6 + 4))
            if x1 <= x0 or y1 <= y0:
                continue
            sx, sy = xx[y0:y1, x0:x1], yy[y0:y1, x0:x1]
            acc = np.zeros_like(sx)
            for _k in range(nb):
                a = cx + rng.normal(0, 0.45) * rpx
                b = cy + rng.normal(0, 0.45) * rpx
                br = max(0.5, rng.uniform(0.25, 0.6) * rpx)
                br2 = br * rng.uniform(0.5, 1.0)
                ang = rng.uniform(0, math.pi)
                u = (sx - a) * math.cos(ang) + (sy - b) * math.sin(ang)
                w = -(sx - a) * math.sin(ang) + (sy - b) * math.cos(ang)
                acc = np.maximum(acc, np.clip(1.0 - np.hypot(u / br, w / br2), 0, 1) ** 0.5)
            amp = rng.uniform(0.4, 1.1) * (0.6 if kind == "large" else 1.0)
            layers[lay, y0:y1, x0:x1] += sgn * amp * np.clip(acc * 2.0, 0, 1)
    # Makler grid (etched on the cover glass, 100 um squares)
    if sc["grid"]:
        pitch = 100.0 / upp
        lw = max(0.7, 1.2 / upp)
        ox = rng.uniform(0, pitch) + pad
        oy = rng.uniform(0, pitch) + pad
        dxg = np.abs(((xx - ox + pitch / 2) % pitch) - pitch / 2)
        dyg = np.abs(((yy - oy + pitch / 2) % pitch) - pitch / 2)
        g = np.maximum(np.clip(lw / 2 - dxg + 0.5, 0, 1), np.clip(lw / 2 - dyg + 0.5, 0, 1))
        layers[1] += 0.6 * g
    # fine granules with Brownian motion (rendered per frame)
    ng = int(rng.poisson(rng.uniform(0.5, 4.0) * area / 1000.0))
    gran = {
        "x": rng.uniform(0, wc, ng),
        "y": rng.uniform(0, hc, ng),
        "w": rng.uniform(0.15, 0.6, ng) * rng.choice([1.0, -0.7], ng, p=[0.7, 0.3]) * max(1.0, (0.8 / upp) ** 2),
        "layer": rng.choice(3, ng, p=[0.4, 0.35, 0.25]).astype(np.int64),
        "step": math.sqrt(2 * rng.uniform(0.1, 0.4) / sc["fps"]) / upp,
    }
    return layers, cells, gran


def _head_patch(n: int, lmax_px: float) -> tuple[np.ndarray, np.ndarray]:
    half = math.ceil(lmax_px * 0.6 + 2)
    o = np.arange(-half, half + 1, dtype=np.float64)
    oy, ox = np.meshgrid(o, o, indexing="ij")
    return ox.ravel(), oy.ravel()


def _render_video(
    sc: dict[str, Any], rng: np.random.Generator, rng_n: np.random.Generator
) -> tuple[list[np.ndarray], dict]:
    """Render all frames of a scene (static objects / illumination from ``rng``, per-frame
    noise and Brownian motion from ``rng_n``) and build its truth."""
    wi, hi, upp = sc["W"], sc["H"], sc["upp"]
    fps, nf = sc["fps"], sc["n_frames"]
    # cull sperm that never come near the field (head within tail length of the frame)
    p_all = sc["p"]
    t = np.arange(nf) / fps
    if len(sc["grades"]):
        hu, _, _, _ = _traj(p_all, t)
        fw_, fh_ = wi * upp, hi * upp
        near = (
            (hu[..., 0] > -58.0) & (hu[..., 0] < fw_ + 58.0) & (hu[..., 1] > -58.0) & (hu[..., 1] < fh_ + 58.0)
        ).any(axis=1)
    else:
        near = np.zeros(0, bool)
    keep = np.nonzero(near)[0]
    p = {k: v[keep] for k, v in p_all.items()}
    grades = [sc["grades"][k] for k in keep]
    agg = [sc["agg"][k] for k in keep]
    n = len(grades)
    pad = math.ceil(3.0 * sc["halo"] + 3 * sc["sig"][2] + 4)
    hc, wc = hi + 2 * pad, wi + 2 * pad
    # FFT-friendly sizes
    hc += (-hc) % 8
    wc += (-wc) % 8
    lsize = hc * wc
    shape = (hc, wc)
    # transfer functions: layer l -> gain_l * (PSF_l - k * halo)
    g_halo = _gauss_tf(shape, sc["halo"])
    tf = np.stack([sc["gain_l"][lay] * (_gauss_tf(shape, sc["sig"][lay]) - sc["halo_k"] * g_halo) for lay in range(3)])
    # operator sets lamp / camera so that an in-focus head has a chosen contrast:
    # response of one typical head (4.5 x 3.0 um) rendered alone
    tn = 128
    ty_, tx_ = np.mgrid[0:tn, 0:tn].astype(np.float64) - tn / 2
    uu = tx_ / (2.25 / upp)
    vv = ty_ / (1.5 / upp)
    tcov = np.clip(0.5 + (1.0 - np.sqrt(uu * uu + vv * vv)) * 1.5 / upp, 0, 1)
    ttf = _gauss_tf((tn, tn), sc["sig"][0]) - sc["halo_k"] * _gauss_tf((tn, tn), min(sc["halo"], tn / 6))
    h_peak = float(np.fft.irfft2(np.fft.rfft2(tcov) * ttf, s=(tn, tn)).max())
    if sc["neg"]:
        ratio = min(sc["target"], 245.0 / sc["bg"])
        gain_abs = (ratio - 1.0) / h_peak
    else:
        gain_abs = -math.log(1.0 - sc["target"]) / h_peak
    static, cells, gran = _static_phase(rng, sc, hc, wc, pad)
    spec_static = (np.fft.rfft2(static) * tf).sum(axis=0)
    # illumination (fixed)
    yy, xx = np.mgrid[0:hi, 0:wi].astype(np.float64)
    rr = np.hypot((xx - wi / 2) / (wi / 2), (yy - hi / 2) / (hi / 2)) / math.sqrt(2)
    illum = (
        sc["bg"] * (1 - sc["vign"] * rr**2) * (1 + sc["grad"][0] * (xx / wi - 0.5) + sc["grad"][1] * (yy / hi - 0.5))
    )
    illum *= 1 + sc["mottle"] * _smooth_noise(rng, (hi, wi), max(hi, wi) / 12)
    # dust on the optics: faint blurred rings, fixed
    for _ in range(int(rng.integers(0, 5))):
        cx, cy = rng.uniform(0, wi), rng.uniform(0, hi)
        rd = rng.uniform(5, 25)
        d = np.hypot(xx - cx, yy - cy)
        illum *= 1 - rng.uniform(0.01, 0.04) * np.exp(-((d - rd) ** 2) / (2 * (rd / 4) ** 2))
    # trajectories at frame times (um, field coordinates)
    head_um, _, heading, hang = _traj(p, t)
    h01, _, _, _ = _traj(p, np.array([0.0, 1.0]))
    disp_h = np.hypot(*(h01[:, 1] - h01[:, 0]).T)
    # pixel coordinates: pixel centres at integers; field covers [-0.5, W-0.5)
    head_px = head_um / upp - 0.5
    # head / tail geometry
    l_px = p["L"] / upp
    w_px = p["Wd"] / upp
    ox, oy = _head_patch(n, float(l_px.max()) if n else 5.0)
    ds_um = 0.7 * upp
    smax = math.ceil(55.0 / ds_um)
    s_um = (np.arange(smax) + 0.5) * ds_um  # arc length of tail samples from the neck
    s_um_row = s_um[None, :]
    motile = np.isin(np.array(grades, dtype=object), ["a", "b", "c"]) if n else np.zeros(0, bool)
    tail_w_line = sc["tail_w_um"] / upp * sc["tail_phase"]  # phase per px of length
    mid_w_line = 1.0 / upp * sc["mid_phase"]
    # per-sperm tail arrays (empty when n == 0; only used when n > 0)
    in_tail = (s_um_row < p["tail_len"][:, None]).astype(np.float64)
    is_mid = s_um_row < p["mid_len"][:, None]
    end_taper = np.clip((p["tail_len"][:, None] - s_um_row) / 8.0, 0.25, 1.0)
    tail_wgt = np.where(is_mid, mid_w_line, tail_w_line * end_taper) * in_tail * 0.7
    tail_wgt = tail_wgt * p["strength"][:, None]
    kk = TAU / p["lam"]
    b_s = p["yaw"][:, None] + (p["bmax"][:, None] - p["yaw"][:, None]) * np.clip(s_um_row / 12.0, 0, 1)
    bend1 = p["sb1"][:, None] * np.sin(p["sk1"][:, None] * s_um_row + p["sp1"][:, None])
    bend2 = p["sb2"][:, None] * np.sin(p["sk2"][:, None] * s_um_row + p["sp2"][:, None])
    static_bend = bend1 + bend2
    static_bend = static_bend - static_bend[:, :1]
    layer_off = (p["layer"] * lsize) if n else np.zeros(0, np.int64)
    frames: list[np.ndarray] = []
    gx = gran["x"].copy()
    gy = gran["y"].copy()
    for fi in range(nf):
        flat = np.zeros(3 * lsize)
        if n:
            tt = t[fi]
            cx = head_px[:, fi, 0] + pad
            cy = head_px[:, fi, 1] + pad
            ang = hang[:, fi]
            # --- heads (soft ovals, width modulated by rolling for motile sperm) ---
            roll = np.where(motile, 0.6 + 0.4 * np.abs(np.cos(TAU * p["roll_f"] * tt + p["roll_p"])), 1.0)
            ix = np.round(cx)
            iy = np.round(cy)
            px_ = ix[:, None] + ox[None, :]
            py_ = iy[:, None] + oy[None, :]
            dx = px_ - cx[:, None]
            dy = py_ - cy[:, None]
            ca = np.cos(ang)[:, None]
            sa = np.sin(ang)[:, None]
            u = (dx * ca + dy * sa) / (0.5 * l_px[:, None])
            vv = (-dx * sa + dy * ca) / (0.5 * w_px[:, None] * roll[:, None])
            vv = vv / (1.0 + p["egg"][:, None] * u)
            q = np.sqrt(u * u + vv * vv)
            cov = np.clip(0.5 + (1.0 - q) * 0.5 * w_px[:, None] * roll[:, None], 0.0, 1.0)
            acro = np.where(u > 0.15, 0.82, 1.0)
            val = cov * acro * p["strength"][:, None] * (1.0 + 0.25 * (1 - roll[:, None]))
            ok = (px_ >= 0) & (px_ < wc) & (py_ >= 0) & (py_ < hc) & (cov > 0)
            idx = (py_ * wc + px_).astype(np.int64) + layer_off[:, None]
            flat += np.bincount(idx[ok], weights=val[ok], minlength=3 * lsize)[: 3 * lsize]
            # --- flagella: tangent angle with travelling wave ---
            head_dir = ang
            neck_x = cx - 0.5 * l_px * np.cos(head_dir)
            neck_y = cy - 0.5 * l_px * np.sin(head_dir)
            wave = b_s * np.sin(TAU * p["f"][:, None] * tt - kk[:, None] * s_um_row + p["ph"][:, None] + 0.5 * math.pi)
            alpha = np.where(motile[:, None], wave + p["tcurv"][:, None] * s_um_row, static_bend)
            psi = heading[:, fi][:, None] + math.pi + alpha
            stx = np.cumsum(np.cos(psi), axis=1) * (ds_um / upp)
            sty = np.cumsum(np.sin(psi), axis=1) * (ds_um / upp)
            tx = neck_x[:, None] + stx - 0.5 * np.cos(psi) * (ds_um / upp)
            ty = neck_y[:, None] + sty - 0.5 * np.sin(psi) * (ds_um / upp)
            flat += _splat(
                3 * lsize, wc, hc, tx, ty, tail_wgt * (ds_um / upp), np.broadcast_to(layer_off[:, None], tx.shape)
            )
        # --- fine granules (Brownian) ---
        if len(gx):
            if fi > 0:
                gx = gx + rng_n.normal(0, gran["step"], len(gx))
                gy = gy + rng_n.normal(0, gran["step"], len(gy))
            flat += _splat(3 * lsize, wc, hc, gx, gy, gran["w"], gran["layer"] * lsize)
        maps = flat.reshape(3, hc, wc)
        spec = (np.fft.rfft2(maps) * tf).sum(axis=0) + spec_static
        h = np.fft.irfft2(spec, s=shape)[pad : pad + hi, pad : pad + wi]
        gain = gain_abs * (1 + rng_n.normal(0, 0.01))
        img = illum * (1.0 + gain * h) if sc["neg"] else illum * np.exp(-gain * h)
        img = img * (1 + rng_n.normal(0, sc["flicker"]))
        noise_sd = np.sqrt(sc["read_noise"] ** 2 + sc["shot"] * np.clip(img, 0, None))
        img = img + rng_n.standard_normal(img.shape) * noise_sd
        frames.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
    # ---- truth ------------------------------------------------------------------
    inside = (
        (
            (head_px[..., 0] >= -0.5)
            & (head_px[..., 0] < wi - 0.5)
            & (head_px[..., 1] >= -0.5)
            & (head_px[..., 1] < hi - 0.5)
        )
        if n
        else np.zeros((0, nf), bool)
    )
    sperm = []
    counts = {"a": 0, "b": 0, "c": 0, "d": 0}
    for k in range(n):
        if not inside[k].any():
            continue
        g = _grade_from_disp(float(disp_h[k]), bool(motile[k]))
        assert g == grades[k], (g, grades[k], disp_h[k])
        if inside[k, 0]:
            counts[g] += 1
        pos = [[_r(head_px[k, f, 0]), _r(head_px[k, f, 1])] if inside[k, f] else None for f in range(nf)]
        kin = _kinematics(head_px[k], inside[k], fps, upp)
        e = {
            "grade": g,
            "positions_px": pos,
            "vcl_um_s": kin["vcl_um_s"],
            "vsl_um_s": kin["vsl_um_s"],
            "vap_um_s": kin["vap_um_s"],
            "track_first_frame": kin["track_first_frame"],
            "track_n_frames": kin["track_n_frames"],
            "in_frame0": bool(inside[k, 0]),
            "disp_1s_um": _r(disp_h[k]),
            "alh_um": _r(p["alh"][k]),
            "bcf_hz": _r(p["f"][k]) if motile[k] else 0.0,
            "focus_layer": int(p["layer"][k]),
            "agglutinated": bool(agg[k] >= 0),
            "head_length_um": _r(p["L"][k]),
            "head_width_um": _r(p["Wd"][k]),
        }
        sperm.append(e)
    n0 = sum(counts.values())
    n0_free = sum(1 for e in sperm if e["in_frame0"] and not e["agglutinated"])
    area_um2 = wi * hi * upp * upp
    v_nl = area_um2 * sc["depth"] * 1e-6
    truth = {
        "kind": "wet_prep_video" if nf > 1 else "wet_prep_still",
        "width": wi,
        "height": hi,
        "n_frames": nf,
        "um_per_px": _r(upp, 5),
        "depth_um": sc["depth"],
        "dilution": int(sc["dil"]),
        "fps": float(fps),
        "contrast": "negative_phase" if sc["neg"] else "positive_phase",
        "field_area_um2": _r(area_um2, 2),
        "volume_nl": _r(v_nl, 5),
        "n_heads_frame0": int(n0),
        "n_heads_frame0_not_agglutinated": int(n0_free),
        "concentration_e6_per_ml": _r(n0 * sc["dil"] / v_nl, 4),
        "concentration_formula": "n_heads_frame0 * dilution / (width*height*um_per_px^2 * depth_um * 1e-6)",
        "concentration_target_e6_per_ml": _r(sc["conc_target"], 3),
        "a_pct": _r(100.0 * counts["a"] / n0, 3) if n0 else None,
        "b_pct": _r(100.0 * counts["b"] / n0, 3) if n0 else None,
        "pr_pct": _r(100.0 * (counts["a"] + counts["b"]) / n0, 3) if n0 else None,
        "np_pct": _r(100.0 * counts["c"] / n0, 3) if n0 else None,
        "im_pct": _r(100.0 * counts["d"] / n0, 3) if n0 else None,
        "grade_counts_frame0": counts,
        "n_agglutinates": int(sc["n_agg"]),
        "makler_grid": bool(sc["grid"]),
        "round_cells": cells,
        "coordinate_convention": "x=column, y=row, pixel centres at integers; inside = -0.5<=x<W-0.5 and -0.5<=y<H-0.5",
        "sperm": sperm,
    }
    return frames, truth


def video_sample(seed: int, i: int, n_frames: int = 100, fps: float = 50.0) -> tuple[list[np.ndarray], dict]:
    """Render a phase-contrast wet-preparation video (or a still when ``n_frames == 1``).

    Returns ``(frames, truth)``: ``frames`` is a list of ``n_frames`` uint8 HxW grey arrays. A still is
    pixel-identical to frame 0 of the video of the same ``(seed, i)`` for videos of up to 2 s.

    Ranges: frame 640x480 (40 %), 800x600 or 512x384 (15 % each), 320x240, 720x540 or 768x576 (10 % each);
    0.3-1.2 um/px (log-uniform); chamber 10 um deep (35 %; 20 % of these show a Makler grid) or 20 um; positive
    phase contrast (70 %) or negative (30 %); objects in focus (62 %), slightly (27 %) or moderately (11 %)
    defocused. Heads 3.9-5.2 x 2.5-3.5 um, flagella 40-50 um; round cells 7-15 um, debris, Brownian granules;
    15 % of fields hold 1-3 head-to-head agglutinates of 3-5 sperm (grade c or d). Concentration target
    log-uniform 5-140 x 10^6/mL, dilution 1, 2, 5, 10 or 20; the population is redrawn when the realised value
    falls outside 5-150.

    Grade labels (WHO 6th ed., 2021, 2.5) come from the exact 1-s head displacement
    ``disp_1s_um = |head(1 s) - head(0)|`` of the continuous model (also beyond the video or the frame):
    a >= 25 um/s, b 5 to < 25, c < 5 (tail beating, head wobble or circling), d no movement beyond sub-pixel
    jitter. Guard bands: parameters are redrawn until the displacements of the head and of the average path lie
    in a >= 28, b in [6.5, 22], c < 3.5, d < 0.5 um. Motility mix per field: PR ~ U(0, 0.8) split a:b ~ U(0, 1),
    NP = U(0.02, 0.30) x (1 - PR), IM the rest, each grade an independent Poisson population.

    Truth keys: ``kind`` (wet_prep_video / wet_prep_still), ``width``, ``height``, ``n_frames``, ``um_per_px``,
    ``depth_um``, ``dilution``, ``fps``, ``contrast`` (positive_phase / negative_phase), ``field_area_um2``,
    ``volume_nl``, ``n_heads_frame0`` (heads whose centre is inside frame 0, including defocused, agglutinated
    and border-cut ones), ``n_heads_frame0_not_agglutinated``, ``concentration_e6_per_ml`` = n_heads_frame0 *
    dilution / (width * height * um_per_px^2 * depth_um * 1e-6) (the denominator is the imaged volume in nL;
    also spelled out in ``concentration_formula``), ``concentration_target_e6_per_ml``, ``a_pct``, ``b_pct``,
    ``pr_pct`` (a + b), ``np_pct`` (c), ``im_pct`` (d) in % of the heads in frame 0 (None when there are none),
    ``grade_counts_frame0``, ``n_agglutinates``, ``makler_grid``, ``round_cells`` (kind, x, y, diameter_um),
    ``coordinate_convention`` and ``sperm``: one entry per sperm whose head centre is inside at least one frame,
    with ``grade``, ``positions_px`` ([x, y] per frame, None outside), ``in_frame0``, ``disp_1s_um``, ``alh_um``,
    ``bcf_hz`` (true model values), ``focus_layer`` (0 in focus, 1, 2), ``agglutinated``, ``head_length_um``,
    ``head_width_um`` and the kinematics of the longest contiguous visible run (earliest on ties;
    ``track_first_frame``, ``track_n_frames``) of n positions over T = (n - 1) / fps: ``vcl_um_s`` (sum of
    frame-to-frame distances / T), ``vsl_um_s`` (|last - first| / T) and ``vap_um_s`` (length of the centred
    5-point moving average, window shrunk symmetrically at the ends, / T), all None when n < 2.
    """
    n_frames = int(n_frames)
    if n_frames < 1:
        raise ValueError("n_frames must be >= 1")
    fps = float(fps)
    sc = _video_scene(seed, i, n_frames, fps)
    return _render_video(sc, _rng(seed, i, 4), _rng(seed, i, 5))


# --------------------------------------------------------------------------------------
# stained smear (bright field, 100x oil)
# --------------------------------------------------------------------------------------

SMEAR_SIZES = [(512, 512), (640, 480), (800, 600), (1024, 768), (768, 768)]
SMEAR_SIZE_P = [0.15, 0.2, 0.25, 0.3, 0.1]
OVERLAP_GAP_UM = 0.3  # a head closer than this to another structure counts as overlapping
DEFECTS = [
    "tapered",
    "pyriform",
    "round",
    "amorphous",
    "small",
    "large",
    "vacuolated",
    "acrosome_defect",
    "bent_neck",
    "thick_midpiece",
    "coiled_tail",
    "residual_cytoplasm",
]


def _head_shape_params(rng: np.random.Generator, defect: str) -> dict[str, Any]:
    """Head shape / content parameters (um) for a given defect ('none' = normal)."""
    hp: dict[str, Any] = {"harm": [], "egg": rng.uniform(0.0, 0.08), "cap": rng.uniform(0.15, 0.4)}
    while True:
        L = rng.uniform(3.9, 4.5)
        Wd = rng.uniform(2.65, 3.05)
        if 1.42 <= L / Wd <= 1.68:
            break
    acro = rng.uniform(0.45, 0.65)
    nvac = int(rng.choice([0, 0, 0, 1, 2]))
    if defect == "tapered":
        L = rng.uniform(4.9, 5.8)
        Wd = min(rng.uniform(2.0, 2.45), L / 2.05)
    elif defect == "pyriform":
        L = rng.uniform(4.3, 5.2)
        Wd = rng.uniform(2.8, 3.3)
        hp["egg"] = rng.uniform(0.5, 0.7)
    elif defect == "round":
        L = rng.uniform(3.0, 3.8)
        Wd = L / rng.uniform(1.0, 1.12)
    elif defect == "small":
        L = rng.uniform(2.6, 3.25)
        Wd = L / rng.uniform(1.42, 1.65)
    elif defect == "large":
        L = rng.uniform(5.4, 6.3)
        Wd = L / rng.uniform(1.42, 1.65)
    elif defect == "amorphous":
        L = rng.uniform(3.9, 5.4)
        Wd = rng.uniform(2.4, 3.5)
        ks = rng.choice([2, 3, 4, 5], size=int(rng.integers(2, 4)), replace=False)
        amps = rng.uniform(0.5, 1.0, len(ks))
        amps = amps / amps.sum() * rng.uniform(0.16, 0.26)
        hp["harm"] = [(int(k), float(a), float(rng.uniform(0, TAU))) for k, a in zip(ks, amps, strict=True)]
        hp["egg"] = rng.uniform(-0.2, 0.3)
    elif defect == "vacuolated":
        hp["vac_mode"] = "many" if rng.random() < 0.5 else "large"
        nvac = 0
    elif defect == "acrosome_defect":
        acro = 0.0 if rng.random() < 0.3 else rng.uniform(0.1, 0.27)
    hp.update(L=float(L), W=float(Wd), acro=float(acro), nvac=nvac)
    return hp


def _head_local(hp: dict[str, Any], u: np.ndarray, v: np.ndarray, soft_um: float) -> tuple[np.ndarray, np.ndarray]:
    """Coverage of the head outline at local coordinates (u toward the acrosome, um) and
    the acrosome-cap coordinate.  ``soft_um`` is the edge ramp width."""
    a = hp["L"] / 2.0
    b = hp["W"] / 2.0
    U = u / a
    V = v / b
    egg = hp["egg"]
    V = V / np.clip(1.0 + egg * U, 0.25, None)
    rho = np.sqrt(U * U + V * V)
    if hp["harm"]:
        phi = np.arctan2(V, U)
        R = np.ones_like(rho)
        for k, amp, ph in hp["harm"]:
            R = R + amp * np.cos(k * phi + ph)
        rho = rho / R
    cov = np.clip(0.5 + (1.0 - rho) * b / soft_um, 0.0, 1.0)
    capc = U + hp["cap"] * V * V
    return cov, capc


def _finalise_head(hp: dict[str, Any], rng: np.random.Generator) -> None:
    """Exact geometry on a fine grid: acrosome threshold for the requested area fraction,
    measured length / width / area, vacuole placement."""
    ext = max(hp["L"], hp["W"]) * 0.9
    g = np.linspace(-ext, ext, 241)
    uu, vv = np.meshgrid(g, g, indexing="ij")
    cell = (g[1] - g[0]) ** 2
    cov, capc = _head_local(hp, uu, vv, 1e-3)
    m = cov > 0.5
    area = m.sum() * cell
    hp["area_um2"] = float(area)
    hp["cu"] = float(uu[m].mean())  # area centroid in local coordinates
    hp["cv"] = float(vv[m].mean())
    hp["len_meas"] = float(uu[m].max() - uu[m].min() + (g[1] - g[0]))
    hp["wid_meas"] = float(vv[m].max() - vv[m].min() + (g[1] - g[0]))
    if hp["acro"] > 0:
        hp["cap_t"] = float(np.quantile(capc[m], 1.0 - hp["acro"]))
        am = m & (capc > hp["cap_t"])
        hp["acro_meas"] = float(am.sum() / m.sum())
    else:
        hp["cap_t"] = 1e9
        hp["acro_meas"] = 0.0
    # vacuoles: inside the head, away from the edge; normal ones in the acrosome region
    pts_u, pts_v = uu[m], vv[m]
    capm = capc[m]
    ring = np.linspace(0, TAU, 12, endpoint=False)

    def place(radii: list[float], acrosomal_only: bool) -> list[tuple[float, float, float]]:
        vacs: list[tuple[float, float, float]] = []
        for r in radii:
            for _try in range(120):
                j = int(rng.integers(0, len(pts_u)))
                cu, cv = pts_u[j], pts_v[j]
                c2, _ = _head_local(hp, cu + (r + 0.05) * np.cos(ring), cv + (r + 0.05) * np.sin(ring), 1e-3)
                if (c2 < 0.5).any():
                    continue
                if acrosomal_only and not capm[j] > hp["cap_t"]:
                    continue
                if any(math.hypot(cu - a, cv - b) < r + rb + 0.1 for a, b, rb in vacs):
                    continue
                vacs.append((float(cu), float(cv), float(r)))
                break
        return vacs

    def frac(vacs: list[tuple[float, float, float]]) -> float:
        if not vacs:
            return 0.0
        vm = np.zeros_like(m)
        for a, b, r in vacs:
            vm |= (uu - a) ** 2 + (vv - b) ** 2 < r * r
        return float((vm & m).sum() / m.sum())

    mode = hp.get("vac_mode", "normal")
    vacs: list[tuple[float, float, float]] = []
    for _attempt in range(12):
        if mode == "normal":
            vacs = place([rng.uniform(0.13, 0.22) for _ in range(hp["nvac"])], hp["acro"] > 0)
            break
        if mode == "many":  # >= 3 vacuoles (WHO: more than two is abnormal)
            vacs = place([rng.uniform(0.22, 0.38) for _ in range(int(rng.integers(3, 7)))], False)
            if len(vacs) >= 3:
                break
        else:  # "large": 1-2 vacuoles covering 25-35 % of the head (WHO: > 20 % abnormal)
            nv = int(rng.integers(1, 3))
            f = rng.uniform(0.25, 0.35)
            r = math.sqrt(f * area / (nv * math.pi))
            vacs = place([r] * nv, False)
            if len(vacs) == nv and frac(vacs) >= 0.22:
                break
            mode = "many" if _attempt >= 5 else mode
    hp["vacs"] = vacs
    hp["vac_frac"] = frac(vacs)


def _polyline(
    x0: float, y0: float, ang0: float, length: float, step: float, curv_fn: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate a planar curve from (x0, y0) with initial direction ang0 (rad); curv_fn(s)
    gives the tangent-angle offset at arc length s.  Returns x, y, s (same units)."""
    s = np.arange(0.0, length + step * 0.5, step)
    psi = ang0 + curv_fn(s)
    dx = np.cos(psi) * step
    dy = np.sin(psi) * step
    x = x0 + np.concatenate([[0.0], np.cumsum(dx[:-1])])
    y = y0 + np.concatenate([[0.0], np.cumsum(dy[:-1])])
    return x, y, s


STAINS = {
    # OD per unit concentration for R, G, B
    "diff_quik": {
        "nuc": np.array([0.72, 0.80, 0.32]),
        "eos": np.array([0.06, 0.50, 0.26]),
        "cnt": np.array([0.50, 0.30, 0.08]),
    },
    "papanicolaou": {
        "nuc": np.array([0.70, 0.64, 0.26]),
        "eos": np.array([0.08, 0.50, 0.22]),
        "cnt": np.array([0.50, 0.10, 0.30]),
    },
}


def smear_sample(seed: int, i: int) -> tuple[np.ndarray, dict]:
    """Render a stained semen smear (Diff-Quik 55 % or Papanicolaou 45 %, bright field, 100x oil).

    Returns ``(image, truth)``: ``image`` is uint8 HxWx3, 512x512, 640x480, 800x600, 1024x768 or 768x768 px at
    U(0.05, 0.15) um/px. Poisson(area x U(1/3000, 1/800) per um^2) heads, clipped to 2-24, lie entirely inside the
    image (8 % placed 2.5-5 um from an earlier head); 0-3 more sperm only reach in with their tail (not listed).

    Labels (WHO 6th ed., strict/Tygerberg criteria): per image ``p_normal ~ U(0.15, 0.6)``; an abnormal sperm gets
    one primary defect drawn uniformly from ``DEFECTS``, all else in the normal ranges, except that 12 % of
    abnormal (not coiled-tail) sperm also get a short or broken tail (``tail_length_um`` < 40).
    ``none`` (normal): measured L 3.9-4.5 um, W 2.63-3.06, L/W 1.43-1.65, smooth oval, acrosome 45-65 % of the
    head area, 0-2 vacuoles (r 0.13-0.22 um) in the acrosome only, neck angle ~N(0, 3.4 deg), midpiece 0.6-0.85 um
    wide and 4-5.5 um long, tail 40-50 um, no droplet. Defects: ``tapered`` (L 4.9-5.8, W 2.0-2.45,
    L/W >= 2.05), ``pyriform`` (pear shape, L 4.3-5.2), ``round`` (L 3.0-3.8, L/W 1.0-1.12), ``amorphous``
    (irregular outline, harmonics 2-5 of 16-26 %, L 3.9-5.4), ``small`` (L 2.6-3.25, W 1.6-2.25), ``large``
    (L 5.4-6.3, W 3.3-4.3), ``vacuolated`` (>= 3 vacuoles of r 0.22-0.38 um, or 1-2 covering >= 22 % of the
    head), ``acrosome_defect`` (< 28 % or absent), ``bent_neck`` (50-100 deg), ``thick_midpiece`` (1.4-2.0 um),
    ``coiled_tail`` (growing spiral of radius 1.5-3 um over 60-85 % of the tail), ``residual_cytoplasm``
    (droplet of 45-80 % of the head area).

    Truth keys: ``kind`` (stained_smear), ``stain``, ``width``, ``height``, ``um_per_px``,
    ``coordinate_convention``, ``n_heads``, ``n_normal``, ``cells`` (round cells: kind, x, y, diameter_um) and
    ``heads``, one per listed head: ``x``, ``y`` (area centroid of the outline, px), ``normal``
    (== ``defect == "none"``), ``defect``, ``overlapping`` (the outline grown by ``OVERLAP_GAP_UM`` touches
    another head, another sperm's midpiece, tail or droplet, a round cell, or its own tail folding back over it;
    exact, from the drawn geometry), ``debris_contact`` (touches debris; not counted as overlapping),
    ``angle_deg`` (head axis pointing to the acrosome, image coordinates), ``length_um``, ``width_um``,
    ``length_width_ratio``, ``area_um2``, ``acrosome_frac``, ``n_vacuoles``, ``vacuole_area_frac`` (measured on a
    241x241 grid of the exact outline), ``neck_angle_deg``, ``midpiece_width_um``, ``tail_length_um``,
    ``residual_cytoplasm_frac``.
    """
    rng = _rng(seed, i, 2)
    wi, hi = SMEAR_SIZES[rng.choice(len(SMEAR_SIZES), p=SMEAR_SIZE_P)]
    upp = float(rng.uniform(0.05, 0.15))
    stain = "diff_quik" if rng.random() < 0.55 else "papanicolaou"
    st = {k: v * rng.uniform(0.85, 1.15, 3) for k, v in STAINS[stain].items()}
    fw, fh = wi * upp, hi * upp
    area = fw * fh
    # ---- sperm population ----------------------------------------------------------
    dens = rng.uniform(1.0 / 3000.0, 1.0 / 800.0)
    n_in = max(2, int(rng.poisson(dens * area)))
    n_in = min(n_in, 24)
    p_norm = rng.uniform(0.15, 0.6)
    sperm: list[dict[str, Any]] = []
    margin = 3.5  # um: heads fully inside
    placed: list[tuple[float, float]] = []
    for _ in range(n_in):
        normal = rng.random() < p_norm
        defect = "none" if normal else str(rng.choice(DEFECTS))
        hp = _head_shape_params(rng, defect)
        _finalise_head(hp, rng)
        # position: mostly random, sometimes next to an existing head (overlap cases)
        if placed and rng.random() < 0.08:
            bx, by = placed[int(rng.integers(0, len(placed)))]
            a_ = rng.uniform(0, TAU)
            r_ = rng.uniform(2.5, 5.0)
            cx = bx + r_ * math.cos(a_)
            cy = by + r_ * math.sin(a_)
        else:
            cx = rng.uniform(margin + 1, fw - margin - 1)
            cy = rng.uniform(margin + 1, fh - margin - 1)
        rext = max(hp["len_meas"], hp["wid_meas"]) / 2 + 0.6
        cx = float(np.clip(cx, rext, fw - rext))
        cy = float(np.clip(cy, rext, fh - rext))
        placed.append((cx, cy))
        sperm.append(
            {
                "hp": hp,
                "cx": cx,
                "cy": cy,
                "ang": float(rng.uniform(0, TAU)),
                "defect": defect,
                "normal": normal,
                "inside": True,
            }
        )
    # a few sperm whose heads are outside the image (only tails reach in)
    for _ in range(int(rng.integers(0, 4))):
        hp = _head_shape_params(rng, "none")
        _finalise_head(hp, rng)
        side = int(rng.integers(0, 4))
        off = rng.uniform(4, 20)
        cx = [-off, fw + off, rng.uniform(0, fw), rng.uniform(0, fw)][side]
        cy = [rng.uniform(0, fh), rng.uniform(0, fh), -off, fh + off][side]
        sperm.append(
            {
                "hp": hp,
                "cx": float(cx),
                "cy": float(cy),
                "ang": float(rng.uniform(0, TAU)),
                "defect": "none",
                "normal": True,
                "inside": False,
            }
        )
    # ---- tails / midpieces ------------------------------------------------------------
    step = 0.5 * upp
    for sp in sperm:
        hp = sp["hp"]
        d = sp["defect"]
        ang = sp["ang"]
        neck_angle = rng.normal(0, 0.06)
        if d == "bent_neck":
            neck_angle = math.radians(rng.uniform(50, 100)) * rng.choice([-1, 1])
        mid_w = rng.uniform(0.6, 0.85)
        mid_len = rng.uniform(4.0, 5.5)
        if d == "thick_midpiece":
            mid_w = rng.uniform(1.4, 2.0)
        # posterior end of the head along the axis
        back = hp["len_meas"] / 2 * 0.97
        nx = sp["cx"] - back * math.cos(ang)
        ny = sp["cy"] - back * math.sin(ang)
        mang = ang + math.pi + neck_angle
        mc = rng.normal(0, 0.01)

        def mid_fn(s: np.ndarray, mc: float = mc) -> np.ndarray:
            return mc * s

        mx, my, _ = _polyline(nx, ny, mang, mid_len, step, mid_fn)
        tail_len = rng.uniform(40, 50)
        if rng.random() < 0.12 and d not in ("none", "coiled_tail"):
            tail_len *= rng.uniform(0.3, 0.7)  # broken tail, only on abnormal sperm
        a1, k1, p1 = rng.uniform(0.1, 0.5), rng.uniform(0.05, 0.2), rng.uniform(0, TAU)
        a2, k2, p2 = rng.uniform(0.0, 0.25), rng.uniform(0.2, 0.5), rng.uniform(0, TAU)
        coil = None
        if d == "coiled_tail":
            c_start = rng.uniform(0.5, 5.0)
            c_rad = rng.uniform(1.5, 3.0)
            c_turns = rng.uniform(0.6, 0.85) * (tail_len - c_start) / (TAU * c_rad * 1.25)
            c_sign = rng.choice([-1.0, 1.0])
            coil = (c_start, c_rad, c_turns, c_sign)

        def tail_fn(
            s: np.ndarray,
            a1: float = a1,
            k1: float = k1,
            p1: float = p1,
            a2: float = a2,
            k2: float = k2,
            p2: float = p2,
            coil: tuple[float, float, float, float] | None = coil,
            mc: float = mc,
            ml: float = mid_len,
        ) -> np.ndarray:
            base = mc * ml + a1 * (np.sin(k1 * s + p1) - math.sin(p1)) + a2 * (np.sin(k2 * s + p2) - math.sin(p2))
            if coil is None:
                return base
            c0, cr, ct, cs = coil
            clen = ct * TAU * cr
            g = 0.5  # the coil radius grows by 50 % along the coil (spiral, not a ring)
            sc_ = np.clip(s - c0, 0, clen)
            extra = cs * (clen / (g * cr)) * np.log1p(g * sc_ / clen)
            return base + extra

        tx, ty, ts = _polyline(mx[-1], my[-1], mang, tail_len, step, tail_fn)
        sp.update(
            mid=(mx, my), mid_w=mid_w, mid_len=mid_len, tail=(tx, ty, ts), tail_len=tail_len, neck_angle=neck_angle
        )
        if d == "residual_cytoplasm":
            frac = rng.uniform(0.45, 0.8)
            r = math.sqrt(frac * hp["area_um2"] / math.pi)
            j = int(len(mx) * rng.uniform(0.2, 0.6))
            sp["erc"] = (float(mx[j]), float(my[j]), r, frac)
    # ---- other cells and debris --------------------------------------------------------
    cells: list[dict[str, Any]] = []
    n_leu = int(rng.poisson(area / 6000.0 * rng.uniform(0.0, 1.5)))
    n_germ = int(rng.poisson(area / 12000.0 * rng.uniform(0.0, 1.0)))
    for kind, nc in (("leukocyte", n_leu), ("germ_cell", n_germ)):
        for _ in range(nc):
            dia = rng.uniform(9, 12) if kind == "leukocyte" else rng.uniform(9, 15)
            cells.append(
                {"kind": kind, "x": float(rng.uniform(-3, fw + 3)), "y": float(rng.uniform(-3, fh + 3)), "r": dia / 2}
            )
    debris = []
    for _ in range(int(rng.poisson(area / 400.0 * rng.uniform(0.1, 1.5)))):
        debris.append(
            (
                float(rng.uniform(0, fw)),
                float(rng.uniform(0, fh)),
                float(np.exp(rng.uniform(math.log(0.12), math.log(0.7)))),
                float(rng.uniform(0.2, 0.9)),
            )
        )
    clumps = []
    for _ in range(int(rng.poisson(area / 8000.0 * rng.uniform(0.0, 1.5)))):
        clumps.append((float(rng.uniform(0, fw)), float(rng.uniform(0, fh)), float(rng.uniform(1.5, 5.0))))
    # ---- render dye maps -------------------------------------------------------------
    nuc = np.zeros((hi, wi))
    eos = np.zeros((hi, wi))
    cnt = np.zeros((hi, wi))
    yy, xx = np.mgrid[0:hi, 0:wi].astype(np.float64)
    cell_mask = np.zeros((hi, wi), bool)
    debris_mask = np.zeros((hi, wi), bool)
    # background: stained seminal plasma, mottled at two scales, fine protein speckle
    bgt = _smooth_noise(rng, (hi, wi), rng.uniform(3.0, 8.0) / upp)
    bgt2 = _smooth_noise(rng, (hi, wi), 0.6 / upp)
    plasma = rng.uniform(0.015, 0.09)
    eos += plasma * np.clip(1 + rng.uniform(0.15, 0.45) * bgt + 0.12 * bgt2, 0.1, None)
    nuc += rng.uniform(0.0, 0.03) * np.clip(1 + 0.5 * bgt, 0, None)
    if stain == "papanicolaou":
        cnt += rng.uniform(0.0, 0.06) * np.clip(1 + 0.6 * _smooth_noise(rng, (hi, wi), 6.0 / upp), 0, None)
    speck = _smooth_noise(rng, (hi, wi), 0.12 / upp)
    nuc += rng.uniform(0.0, 0.012) * np.clip(speck, 0, None)
    # cells
    for c in cells:
        cx, cy, r = c["x"] / upp - 0.5, c["y"] / upp - 0.5, c["r"] / upp
        x0, x1 = int(max(0, cx - r - 3)), int(min(wi, cx + r + 4))
        y0, y1 = int(max(0, cy - r - 3)), int(min(hi, cy + r + 4))
        if x1 <= x0 or y1 <= y0:
            continue
        sx, sy = xx[y0:y1, x0:x1], yy[y0:y1, x0:x1]
        d = np.hypot(sx - cx, sy - cy)
        phi = np.arctan2(sy - cy, sx - cx)
        redge = r * (1 + sum(rng.uniform(0, 0.04) * np.cos(k * phi + rng.uniform(0, TAU)) for k in (2, 3, 5, 7)))
        cov = np.clip(redge - d + 0.5, 0, 1)
        cell_mask[y0:y1, x0:x1] |= cov > 0.5
        tex = 1 + 0.25 * _smooth_noise(rng, cov.shape, 0.25 / upp)
        eos[y0:y1, x0:x1] += cov * rng.uniform(0.10, 0.22) * tex
        nuc[y0:y1, x0:x1] += cov * rng.uniform(0.03, 0.08)
        if c["kind"] == "leukocyte":
            nl = int(rng.integers(2, 5))
            a0 = rng.uniform(0, TAU)
            for kk in range(nl):
                aa = a0 + kk * TAU / nl * rng.uniform(0.7, 1.0)
                lx = cx + math.cos(aa) * r * 0.35
                ly = cy + math.sin(aa) * r * 0.35
                lr = r * rng.uniform(0.22, 0.3)
                nuc[y0:y1, x0:x1] += 0.9 * np.clip(lr - np.hypot(sx - lx, sy - ly) + 0.5, 0, 1)
        else:
            nr = r * rng.uniform(0.45, 0.6)
            lx = cx + rng.uniform(-0.15, 0.15) * r
            ly = cy + rng.uniform(-0.15, 0.15) * r
            nuc[y0:y1, x0:x1] += rng.uniform(0.5, 0.8) * np.clip(nr - np.hypot(sx - lx, sy - ly) + 0.5, 0, 1)
    # debris granules and clumps
    for x, y, r, s in debris:
        cx, cy, rp = x / upp - 0.5, y / upp - 0.5, r / upp
        x0, x1 = int(max(0, cx - rp - 2)), int(min(wi, cx + rp + 3))
        y0, y1 = int(max(0, cy - rp - 2)), int(min(hi, cy + rp + 3))
        if x1 <= x0 or y1 <= y0:
            continue
        sx, sy = xx[y0:y1, x0:x1], yy[y0:y1, x0:x1]
        el = rng.uniform(0.6, 1.0)
        an = rng.uniform(0, math.pi)
        uu_ = (sx - cx) * math.cos(an) + (sy - cy) * math.sin(an)
        vv_ = (-(sx - cx) * math.sin(an) + (sy - cy) * math.cos(an)) / el
        cov = np.clip(rp - np.hypot(uu_, vv_) + 0.5, 0, 1)
        debris_mask[y0:y1, x0:x1] |= cov > 0.5
        if rng.random() < 0.5:
            nuc[y0:y1, x0:x1] += cov * s
        else:
            eos[y0:y1, x0:x1] += cov * s
    for x, y, r in clumps:
        cx, cy, rp = x / upp - 0.5, y / upp - 0.5, r / upp
        x0, x1 = int(max(0, cx - rp * 1.5 - 2)), int(min(wi, cx + rp * 1.5 + 3))
        y0, y1 = int(max(0, cy - rp * 1.5 - 2)), int(min(hi, cy + rp * 1.5 + 3))
        if x1 <= x0 or y1 <= y0:
            continue
        sx, sy = xx[y0:y1, x0:x1], yy[y0:y1, x0:x1]
        acc = np.zeros_like(sx)
        for _k in range(int(rng.integers(4, 10))):
            a = cx + rng.normal(0, 0.4) * rp
            b = cy + rng.normal(0, 0.4) * rp
            br = rng.uniform(0.2, 0.5) * rp
            acc = np.maximum(acc, np.clip(br - np.hypot(sx - a, sy - b) + 0.5, 0, 1))
        debris_mask[y0:y1, x0:x1] |= acc > 0.5
        tex = np.clip(1 + 0.3 * rng.standard_normal(acc.shape), 0.3, None)
        nuc[y0:y1, x0:x1] += acc * rng.uniform(0.15, 0.5) * tex
        eos[y0:y1, x0:x1] += acc * rng.uniform(0.1, 0.4) * tex
    # tails: splat the centre lines, blur to the tail width (Gaussian profile, peak 1)
    tail_map = np.zeros(hi * wi)
    for sp in sperm:
        tx, ty, ts = sp["tail"]
        taper = np.clip(1.0 - ts / sp["tail_len"] * 0.5, 0.45, 1.0)
        tail_map += _splat(hi * wi, wi, hi, tx / upp - 0.5, ty / upp - 0.5, (step / upp) * taper)
    tail_w = rng.uniform(0.4, 0.55)
    sig_t = tail_w / upp / 2.5
    tail_peak = _blur(tail_map.reshape(hi, wi), sig_t) * math.sqrt(TAU) * sig_t
    # midpieces: exact tube of width mid_w around the centre line (per-sperm window)
    mid_peak = np.zeros((hi, wi))
    for sp in sperm:
        mx, my = sp["mid"]
        px_x, px_y = mx / upp - 0.5, my / upp - 0.5
        rad = sp["mid_w"] / 2 / upp
        sub = max(1, round(0.7 / (step / upp)))
        qx, qy = px_x[::sub], px_y[::sub]
        x0, x1 = int(max(0, qx.min() - rad - 3)), int(min(wi, qx.max() + rad + 4))
        y0, y1 = int(max(0, qy.min() - rad - 3)), int(min(hi, qy.max() + rad + 4))
        if x1 <= x0 or y1 <= y0:
            continue
        sx, sy = xx[y0:y1, x0:x1].ravel(), yy[y0:y1, x0:x1].ravel()
        dmin = np.full(sx.shape, 1e9)
        for c0 in range(0, len(qx), 64):
            d2 = (sx[:, None] - qx[None, c0 : c0 + 64]) ** 2 + (sy[:, None] - qy[None, c0 : c0 + 64]) ** 2
            dmin = np.minimum(dmin, d2.min(axis=1))
        dmin = np.sqrt(dmin)
        cov = np.clip(0.5 + rad - dmin, 0, 1)
        prof = 0.55 + 0.45 * np.sqrt(np.clip(1 - (dmin / max(rad, 0.5)) ** 2, 0, 1))
        val = (cov * prof).reshape(y1 - y0, x1 - x0)
        mid_peak[y0:y1, x0:x1] = np.maximum(mid_peak[y0:y1, x0:x1], val)
    mid_peak = _blur(mid_peak, 0.6)
    if stain == "diff_quik":
        eos += 0.60 * mid_peak + 0.22 * tail_peak
        nuc += 0.25 * mid_peak + 0.10 * tail_peak
    else:
        eos += 0.60 * mid_peak + 0.12 * tail_peak
        cnt += 0.08 * mid_peak + 0.18 * tail_peak
        nuc += 0.08 * mid_peak + 0.05 * tail_peak
    # residual cytoplasm droplets
    for sp in sperm:
        if "erc" in sp:
            x, y, r, _f = sp["erc"]
            cx, cy, rp = x / upp - 0.5, y / upp - 0.5, r / upp
            x0, x1 = int(max(0, cx - rp - 3)), int(min(wi, cx + rp + 4))
            y0, y1 = int(max(0, cy - rp - 3)), int(min(hi, cy + rp + 4))
            if x1 <= x0 or y1 <= y0:
                continue
            d = np.hypot(xx[y0:y1, x0:x1] - cx, yy[y0:y1, x0:x1] - cy)
            cov = np.clip(rp - d + 0.5, 0, 1)
            eos[y0:y1, x0:x1] += cov * rng.uniform(0.2, 0.35)
            if stain == "papanicolaou":
                cnt[y0:y1, x0:x1] += cov * rng.uniform(0.1, 0.25)
            nuc[y0:y1, x0:x1] += cov * 0.05
    # heads
    nuc_head = rng.uniform(0.6, 0.95)
    acro_level = rng.uniform(0.33, 0.55)
    head_masks: list[tuple[int, int, np.ndarray]] = []
    head_masks_d: list[tuple[int, int, np.ndarray]] = []  # outline grown by OVERLAP_GAP_UM
    for sp in sperm:
        hp = sp["hp"]
        cx, cy = sp["cx"] / upp - 0.5, sp["cy"] / upp - 0.5
        rpx = max(hp["len_meas"], hp["wid_meas"]) / upp * 0.75 + 3
        x0, x1 = int(max(0, cx - rpx)), int(min(wi, cx + rpx + 1))
        y0, y1 = int(max(0, cy - rpx)), int(min(hi, cy + rpx + 1))
        if x1 <= x0 or y1 <= y0:
            head_masks.append((0, 0, np.zeros((0, 0), bool)))
            head_masks_d.append((0, 0, np.zeros((0, 0), bool)))
            continue
        sx = (xx[y0:y1, x0:x1] - cx) * upp
        sy = (yy[y0:y1, x0:x1] - cy) * upp
        ca, sa = math.cos(sp["ang"]), math.sin(sp["ang"])
        u = sx * ca + sy * sa
        v = -sx * sa + sy * ca
        cov, capc = _head_local(hp, u, v, upp)
        acro = np.clip(0.5 + (capc - hp["cap_t"]) / (upp / (hp["L"] / 2)) * 0.5, 0, 1) if hp["acro"] > 0 else 0.0
        # nuclear density: post-acrosomal dark, acrosome pale, slight chromatin texture
        tex = 1 + 0.06 * _smooth_noise(rng, cov.shape, 0.25 / upp)
        dens_n = nuc_head * (1 - acro * (1 - acro_level)) * np.clip(tex, 0.8, 1.2)
        # darker posterior part and rim
        dens_n *= 1 + 0.12 * np.clip(-u / (hp["L"] / 2), 0, 1)
        vac = np.zeros_like(cov)
        for a, b, r in hp["vacs"]:
            dv = np.hypot(u - a, v - b)
            vac = np.maximum(vac, np.clip(0.5 + (r - dv) / upp, 0, 1))
        dens_n = dens_n * (1 - 0.72 * vac)
        nuc[y0:y1, x0:x1] += cov * dens_n
        eos[y0:y1, x0:x1] += cov * (0.12 + 0.1 * acro) * (1 - 0.7 * vac)
        if stain == "papanicolaou":
            cnt[y0:y1, x0:x1] += cov * 0.05 * acro
        head_masks.append((x0, y0, cov > 0.5))
        hp_d = dict(hp, L=hp["L"] + 2 * OVERLAP_GAP_UM, W=hp["W"] + 2 * OVERLAP_GAP_UM)
        head_masks_d.append((x0, y0, _head_local(hp_d, u, v, upp)[0] > 0.5))
    # ---- image formation ---------------------------------------------------------------
    od = nuc[..., None] * st["nuc"] + eos[..., None] * st["eos"] + cnt[..., None] * st["cnt"]
    lamp = np.array([rng.uniform(225, 250), rng.uniform(222, 248), rng.uniform(215, 250)])
    rr = np.hypot((xx - wi / 2) / (wi / 2), (yy - hi / 2) / (hi / 2)) / math.sqrt(2)
    vign = 1 - rng.uniform(0.0, 0.25) * rr**2
    grad = 1 + rng.uniform(-0.06, 0.06) * (xx / wi - 0.5) + rng.uniform(-0.06, 0.06) * (yy / hi - 0.5)
    img = lamp[None, None, :] * (vign * grad)[..., None] * np.power(10.0, -od)
    sig = max(0.5, rng.uniform(0.09, 0.16) / upp) * rng.uniform(1.0, 1.5)
    for ch in range(3):
        img[..., ch] = _blur(img[..., ch], sig * (1 + 0.08 * (ch - 1)))
    img += rng.normal(0, rng.uniform(0.8, 3.0), img.shape)
    img += np.sqrt(np.clip(img, 0, None)) * rng.standard_normal(img.shape) * rng.uniform(0.05, 0.25)
    gamma = rng.uniform(0.9, 1.1)
    img = 255.0 * np.clip(img / 255.0, 0, 1) ** gamma
    image = np.clip(np.round(img), 0, 255).astype(np.uint8)
    # ---- truth: overlap from geometry --------------------------------------------------
    heads = []
    for k, sp in enumerate(sperm):
        if not sp["inside"]:
            continue
        x0, y0, m = head_masks_d[k]
        hy_, hx_ = np.nonzero(m)
        gxp = hx_ + x0
        gyp = hy_ + y0
        overl = False
        # other heads
        for j in range(len(sperm)):
            if j == k or overl:
                continue
            x2, y2, m2 = head_masks[j]
            if m2.size == 0:
                continue
            mlx = gxp - x2
            mly = gyp - y2
            okk = (mlx >= 0) & (mlx < m2.shape[1]) & (mly >= 0) & (mly < m2.shape[0])
            if okk.any() and m2[mly[okk], mlx[okk]].any():
                overl = True
        # other sperm midpieces / tails / droplets (distance to their centre lines)
        pts = np.stack([(gxp + 0.5) * upp, (gyp + 0.5) * upp], axis=1)
        if len(pts):
            bx0, bx1 = pts[:, 0].min() - 1.5, pts[:, 0].max() + 1.5
            by0, by1 = pts[:, 1].min() - 1.5, pts[:, 1].max() + 1.5
        for j, sp2 in enumerate(sperm):
            if overl or len(pts) == 0:
                break
            segs = [(sp2["mid"][0], sp2["mid"][1], sp2["mid_w"] / 2)]
            if j != k:
                segs.append((sp2["tail"][0], sp2["tail"][1], tail_w / 2))
            elif sp2["defect"] == "coiled_tail" or sp2["neck_angle"] != 0:
                # own tail only counts if it folds back over the head (beyond the first 2 um)
                ts = sp2["tail"][2]
                segs = [(sp2["tail"][0][ts > 2.0], sp2["tail"][1][ts > 2.0], tail_w / 2)]
            else:
                segs = []
            if j == k and not segs:
                continue
            for lx, ly, hw in segs:
                sel = (lx > bx0) & (lx < bx1) & (ly > by0) & (ly < by1)
                if not sel.any():
                    continue
                qx, qy = lx[sel], ly[sel]
                d2 = (pts[:, 0:1] - qx[None, :]) ** 2 + (pts[:, 1:2] - qy[None, :]) ** 2
                if d2.min() <= hw**2:
                    overl = True
                    break
            if not overl and j != k and "erc" in sp2:
                x, y, r, _f = sp2["erc"]
                if (np.hypot(pts[:, 0] - x, pts[:, 1] - y) <= r).any():
                    overl = True
        # round cells (exact masks); debris is reported separately
        if not overl and len(gxp):
            overl = bool(cell_mask[gyp, gxp].any())
        dcontact = bool(debris_mask[gyp, gxp].any()) if len(gxp) else False
        hp = sp["hp"]
        ca, sa = math.cos(sp["ang"]), math.sin(sp["ang"])
        gx_c = sp["cx"] + hp["cu"] * ca - hp["cv"] * sa  # area centroid, um
        gy_c = sp["cy"] + hp["cu"] * sa + hp["cv"] * ca
        heads.append(
            {
                "x": _r(gx_c / upp - 0.5, 2),
                "y": _r(gy_c / upp - 0.5, 2),
                "normal": bool(sp["normal"]),
                "defect": sp["defect"],
                "overlapping": bool(overl),
                "debris_contact": dcontact,
                "angle_deg": _r(math.degrees(sp["ang"]) % 360, 2),
                "length_um": _r(hp["len_meas"]),
                "width_um": _r(hp["wid_meas"]),
                "length_width_ratio": _r(hp["len_meas"] / hp["wid_meas"]),
                "area_um2": _r(hp["area_um2"]),
                "acrosome_frac": _r(hp["acro_meas"]),
                "n_vacuoles": len(hp["vacs"]),
                "vacuole_area_frac": _r(hp["vac_frac"]),
                "neck_angle_deg": _r(abs(math.degrees(sp["neck_angle"])), 2),
                "midpiece_width_um": _r(sp["mid_w"]),
                "tail_length_um": _r(sp["tail_len"], 2),
                "residual_cytoplasm_frac": _r(sp["erc"][3]) if "erc" in sp else 0.0,
            }
        )
    truth = {
        "kind": "stained_smear",
        "stain": stain,
        "width": wi,
        "height": hi,
        "um_per_px": _r(upp, 5),
        "coordinate_convention": "x=column, y=row, pixel centres at integers",
        "n_heads": len(heads),
        "n_normal": int(sum(h["normal"] for h in heads)),
        "heads": heads,
        "cells": [
            {
                "kind": c["kind"],
                "x": _r(c["x"] / upp - 0.5, 2),
                "y": _r(c["y"] / upp - 0.5, 2),
                "diameter_um": _r(2 * c["r"], 2),
            }
            for c in cells
        ],
    }
    return image, truth
