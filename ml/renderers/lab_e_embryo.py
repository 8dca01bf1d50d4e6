"""Lab E synthetic IVF embryology image generator (oocytes, day-3 embryos, blastocysts).

One of several independently written generators (``ml.renderers``) used to train the analyzers on
many looks; written on 2026-12-03 without reading the others or ``ml/`` (only the clinical
reference), then given the analyzers' cell-count range (2-10) and formatted to the project's lint.

Rendering model
---------------
Every image is a *thin phase/absorption object* imaged through one of three lab-E rigs.
Objects (zona pellucida, ooplasm, blastomeres, fragments, nuclei, trophectoderm, ICM,
granules, pipettes, cumulus cells, sperm) are 3-D ellipsoids / spherical shells whose
*projected optical thickness* (Delta-n x chord length) is accumulated into a phase map
``phi`` (in um of optical path) and an absorption map ``alpha``.  Granular cytoplasm is a
multiplicative band-limited noise on the chord length.  The trophectoderm is a spherical
shell split into cells by a Voronoi tessellation *on the sphere* (junction ridges, nuclear
bulges, per-cell thickness), so cells are seen face-on across the cavity and edge-on at
the rim, as in real blastocysts.

Image formation (one Fourier pass, anti-aliased by the optical PSF):

* ``timelapse``  - lab E's time-lapse incubator camera: single focal plane, 635 nm red LED
  brightfield, square frames 320-640 px, grey.  Contrast = defocus term (transport of
  intensity, ``-dz * laplacian(phi)``) with signed, random focus offset, plus absorption.
  The micro-well wall (dark ring + outer shadow) is visible and a burned-in
  timestamp / well label is printed (hours post insemination consistent with the day).
* ``hoffman``    - the lab's ICSI / inverted scope with Hoffman modulation contrast: relief
  from the phase gradient along a *random shear direction*, small defocus term, vignetting,
  RGB colour cast (halogen / cool / green filter) in ~2/3 of images, JPEG compression
  (q 55-92) in most, optional scale bar with text.  4:3, 5:4, 1:1 frames 240-640 px.
* ``brightfield`` - plain brightfield on the ICSI scope (oocytes only).

Depth: day-3 blastomeres / fragments far from the random focal plane, and "hidden" polar
bodies, go to a second phase layer blurred by an extra 1-1.8 um, so single-plane images show
soft out-of-focus cells.  Fragment radii 3-14 um (log-uniform); because fragments are small,
fragment_area_pct is typically 2-4 x fragmentation_pct.

Optics: PSF sigma = sqrt(0.45^2 + (0.07 dz)^2) um; dz in [-14, 14] um (timelapse),
[-6, 6] um (Hoffman); shot + read noise; illumination gradients, vignetting, out-of-focus
dust.  um_per_px is chosen so the object fills 45-92 % of the short side:
about 0.22-0.9 um/px overall.  Oocyte / cleavage-embryo zona outer diameter 150-190 um,
zona thickness 12-20 um.

Label choices
-------------
Labels are balanced with shuffled blocks: block b of a kind is a permutation drawn from
``default_rng([seed, b, kind_code, 99])``; the image itself uses
``default_rng([seed, i, kind_code])`` so any index renders alone and deterministically.

``oocyte_sample`` -> {"label", "um_per_px", "rig"}; label in GV / MI / MII / degenerate
(block of 4).  GV: germinal vesicle 22-32 um with membrane and a refractile nucleolus, no
polar body.  MI: neither.  MII: one first polar body 8-18 um in the perivitelline space
(round, flattened when the PVS is narrow, or fragmented in 2 pieces), at any angle and
elevation (partly projected over the ooplasm rim), sometimes defocused/faint, sometimes
next to a PVS granule.  Degenerate: dark, shrunken, fragmented, vacuolated or lysed
ooplasm.  Confounders in every class: PVS granules (<= 5 um, never polar-body sized),
debris, small vacuoles (no nucleolus), refractile bodies, cumulus cells on the zona,
holding pipette on one side, PVS width 2-16 um, central granularity.

``day3_sample`` -> {"um_per_px", "cells", "cell_centers_px", "fragment_area_pct",
"fragmentation_pct", "even", "multinucleation", "istanbul_grade", "rig"}.
The grade is drawn first (block of 3) and the truth is then generated to satisfy it; the
grade is finally recomputed from the truth with the CLINICAL.md rule:
1 = fragmentation < 10 %, even, no multinucleation; 2 = 10-25 %, even, no MN;
3 = > 25 % or not even or MN.  ``fragmentation_pct`` is the fragment share of the total
(cells + fragments) *volume*; the grade uses it.  Sampled bands keep a margin around the
10 / 25 % thresholds (0-9, 11-24, 27-55 %).  ``fragment_area_pct`` is the projected area of
the union of fragments over the projected area of the union of blastomeres and fragments
(the embryo inside the zona, PVS excluded), measured on the rendered pixel grid.
Blastomere volumes follow the stage-specific pattern of synchronous/asynchronous division
(n = 2^k + m: 2^k - m cells of 1/2^k and 2m of 1/2^(k+1) of the zygote volume, e.g. 3
cells = 1/2 + 1/4 + 1/4); ``even`` images keep every diameter within ~4 % of that pattern,
uneven ones deviate by >= 25 % in diameter for at least one cell.  cells: 2-10 (the
analyzers' range; as written the lab drew 1-12, 1 cell only in grade-3 images).
Multinucleation = >= 1 blastomere showing 2-4 clearly visible nuclei;
other images show at most one nucleus per cell (sometimes).
``cell_centers_px`` are the projected 3-D centres of the blastomeres (x, y).

``blastocyst_sample`` -> {"um_per_px", "expansion", "icm", "te", "day", "rig"}; expansion
1-6 uniform and, for expansion >= 3, ICM x TE uniform over the 9 combinations (block of 54).
1: cavity < 1/2 of the volume (radius ratio 0.45-0.74), 2: >= 1/2 but not full (0.82-0.9),
3: full, zona normal, 4: expanded (diameter x1.12-1.35), zona 4-8 um, 5: TE herniating
through a zona breach, 6: hatched, free blastocyst with or without the empty zona nearby.
ICM A: 30-49 small tightly packed cells in a compact mass; B: 7-13 larger, loosely grouped
cells; C: 1-4 cells.  TE A: 130-200 cells (scaled by sphere area), cohesive even epithelium;
B: 28-45 cells, uneven / loose; C: 9-16 very large flat cells with bulging nuclei.
Day 5 or 6 (timestamp 108-122 h or 130-146 h).

Everything an embryologist would ignore (magnification, focus, noise, illumination,
colour, JPEG, well, text, pipettes, debris, sperm, granularity, position) is randomised;
the label-defining structures are not.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

VERSION = "1.0"
KINDS = ("oocyte_sample", "day3_sample", "blastocyst_sample")

_KIND_CODE = {"oocyte_sample": 5101, "day3_sample": 5103, "blastocyst_sample": 5105}

Arr = NDArray[Any]
Truth = dict[str, Any]

# refractive-index contrasts (relative to medium) used as phase weights
_DN_CYTO = 0.022
_DN_ZONA = 0.016
_DN_GLASS = 0.09
_TEX_GAIN = 0.025  # granularity amplitude relative to the chord length


# ----------------------------------------------------------------------------- helpers


def _block_label(seed: int, i: int, code: int, n: int) -> int:
    """Balanced label index from a shuffled block of size n."""
    block, pos = divmod(int(i), n)
    perm = np.random.default_rng([seed, block, code, 99]).permutation(n)
    return int(perm[pos])


def _smoothstep(e0: float, e1: float, x: Arr) -> Arr:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _unit_vectors(rng: np.random.Generator, n: int) -> Arr:
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def _fib_sphere(rng: np.random.Generator, n: int, jitter: float) -> Arr:
    """Roughly even points on the unit sphere (Fibonacci lattice + jitter), random rotation."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    th = math.pi * (1.0 + 5.0**0.5) * k
    r = np.sqrt(1.0 - z * z)
    p = np.stack([r * np.cos(th), r * np.sin(th), z], axis=1)
    p += rng.normal(scale=jitter / math.sqrt(n), size=p.shape)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    p = p @ q
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    return p


class _Canvas:
    """Accumulates projected phase (phi) and absorption (alpha) in pixel units."""

    def __init__(self, h: int, w: int, upp: float, rng: np.random.Generator) -> None:
        self.h, self.w, self.upp = h, w, upp
        self.phi = np.zeros((h, w), np.float32)
        self.alpha = np.zeros((h, w), np.float32)
        self.far = np.zeros((h, w), np.float32)  # phase of objects away from the focal plane
        white = rng.standard_normal((h, w)).astype(np.float32)
        ky = np.fft.fftfreq(h).astype(np.float32)[:, None]
        kx = np.fft.rfftfreq(w).astype(np.float32)[None, :]
        s = max(0.55, 0.4 / upp)
        filt = np.exp(-2.0 * (math.pi * s) ** 2 * (kx * kx + ky * ky))
        fine = np.fft.irfft2(np.fft.rfft2(white) * filt, s=(h, w)).astype(np.float32)
        self.fine = fine / (fine.std() + 1e-6)
        f = max(2.0, 2.6 / upp)
        lh, lw = int(h / f) + 3, int(w / f) + 3
        low = rng.standard_normal((lh, lw)).astype(np.float32)
        img = Image.fromarray(low, "F").resize((int(lw * f), int(lh * f)), Image.Resampling.BICUBIC)
        med = np.asarray(img, np.float32)[:h, :w]
        self.med = med / (med.std() + 1e-6)

    def _box(self, cx: float, cy: float, r: float) -> tuple[slice, slice, Arr, Arr] | None:
        x0, x1 = max(int(cx - r) - 1, 0), min(int(cx + r) + 3, self.w)
        y0, y1 = max(int(cy - r) - 1, 0), min(int(cy + r) + 3, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        dx = (np.arange(x0, x1, dtype=np.float32) - cx)[None, :]
        dy = (np.arange(y0, y1, dtype=np.float32) - cy)[:, None]
        return slice(y0, y1), slice(x0, x1), dx, dy

    def ellipsoid(
        self,
        cx: float,
        cy: float,
        a: float,
        b: float | None = None,
        c: float | None = None,
        ang: float = 0.0,
        dn: float = _DN_CYTO,
        ab: float = 0.0,
        tex: float = 0.0,
        tmed: float = 0.0,
        mask: Arr | None = None,
        far: bool = False,
    ) -> None:
        b = a if b is None else b
        c = min(a, b) if c is None else c
        a, b = max(a, 0.4), max(b, 0.4)
        box = self._box(cx, cy, max(a, b) + 1.0)
        if box is None:
            return
        sy, sx, dx, dy = box
        ca, sa = math.cos(ang), math.sin(ang)
        u = (dx * ca + dy * sa) / a
        v = (dy * ca - dx * sa) / b
        q = 1.0 - u * u - v * v
        qc = np.clip(q, 0.0, None)
        t = (2.0 * c) * np.sqrt(qc)
        if tex or tmed:
            # granularity: flatter profile than the chord so the centre is not over-textured
            t = t + (2.0 * c * _TEX_GAIN) * np.sqrt(np.sqrt(qc)) * (tex * self.fine[sy, sx] + tmed * self.med[sy, sx])
        if dn:
            (self.far if far else self.phi)[sy, sx] += dn * t
        if ab:
            self.alpha[sy, sx] += ab * np.abs(t) * (0.6 if far else 1.0)
        if mask is not None:
            mask[sy, sx] |= q > 0

    def shell(
        self,
        cx: float,
        cy: float,
        ro: float,
        ri: float,
        dn: float = _DN_ZONA,
        ab: float = 0.0,
        tex: float = 0.0,
        tmed: float = 0.0,
        gap: tuple[float, float] | None = None,
        squash: float = 1.0,
        ang: float = 0.0,
    ) -> None:
        box = self._box(cx, cy, ro + 1.0)
        if box is None:
            return
        sy, sx, dx, dy = box
        ca, sa = math.cos(ang), math.sin(ang)
        u = dx * ca + dy * sa
        v = (dy * ca - dx * sa) / squash
        d2 = u * u + v * v
        t = 2.0 * np.sqrt(np.clip(ro * ro - d2, 0.0, None)) - 2.0 * np.sqrt(np.clip(ri * ri - d2, 0.0, None))
        if gap is not None:
            g0, hw = gap
            da = np.abs(np.angle(np.exp(1j * (np.arctan2(dy, dx) - g0))))
            rim = _smoothstep(0.8 * ri, 0.98 * ri, np.sqrt(d2))  # a hole near the rim, not a wedge
            t = t * (1.0 - rim * (1.0 - _smoothstep(hw, hw + 0.12, da)))
        if tex or tmed:
            t = t * (1.0 + 0.1 * (tex * self.fine[sy, sx] + tmed * self.med[sy, sx]))
        self.phi[sy, sx] += dn * t
        if ab:
            self.alpha[sy, sx] += ab * t

    def capsule(self, x0: float, y0: float, x1: float, y1: float, r: float, dn: float, ab: float = 0.0) -> None:
        """Thin cylinder between two points (sperm tails, debris strands)."""
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = math.hypot(x1 - x0, y1 - y0) / 2
        box = self._box(cx, cy, half + r + 1)
        if box is None:
            return
        sy, sx, dx, dy = box
        ex, ey = (x1 - x0) / (2 * half + 1e-6), (y1 - y0) / (2 * half + 1e-6)
        al = np.clip(dx * ex + dy * ey, -half, half)
        px, py = dx - al * ex, dy - al * ey
        d2 = px * px + py * py
        t = 2.0 * np.sqrt(np.clip(r * r - d2, 0.0, None))
        self.phi[sy, sx] += dn * t
        if ab:
            self.alpha[sy, sx] += ab * t

    def pipette(self, tipx: float, tipy: float, ang: float, ro: float, ri: float) -> None:
        """Holding pipette: hollow glass cylinder from the frame edge to a polished tip."""
        ex, ey = math.cos(ang), math.sin(ang)
        yy = np.arange(self.h, dtype=np.float32)[:, None] - tipy
        xx = np.arange(self.w, dtype=np.float32)[None, :] - tipx
        along = xx * ex + yy * ey
        perp = np.abs(yy * ex - xx * ey)
        sel = (along > -ro) & (perp < ro + 2)
        if not sel.any():
            return
        d2 = perp * perp
        t = 2.0 * np.sqrt(np.clip(ro * ro - d2, 0.0, None)) - 2.0 * np.sqrt(np.clip(ri * ri - d2, 0.0, None))
        lip = _smoothstep(-2.0, 2.0, along)
        self.phi += (_DN_GLASS * t * lip).astype(np.float32)
        # fire-polished rim at the tip: a torus seen edge-on
        wall = (ro - ri) / 2
        rim = np.clip(wall * wall - along * along, 0, None)
        ring = np.clip(1.0 - ((perp - (ro + ri) / 2) / wall) ** 2, 0, None)
        self.phi += (_DN_GLASS * 2.0 * np.sqrt(rim * ring)).astype(np.float32)


def _te_shell(
    cv: _Canvas,
    cx: float,
    cy: float,
    R: float,
    th: float,
    seeds: Arr,
    fac: Arr,
    dn: float,
    line_w: float,
    nuc_r: float,
    k_line: float,
    k_bulge: float,
    gap: tuple[float, float] | None = None,
) -> None:
    """Trophectoderm: spherical shell of Voronoi cells (all lengths in px)."""
    box = cv._box(cx, cy, R + 1.0)
    if box is None:
        return
    sy, sx, dx, dy = box
    hh, ww = dy.shape[0], dx.shape[1]
    step = 1 if R <= 60 else (2 if R <= 140 else 3)
    gx = dx[:, ::step] / R
    gy = dy[::step, :] / R
    gX, gY = np.broadcast_arrays(gx, gy)
    r2 = gX * gX + gY * gY
    inside = r2 < 1.0
    xs, ys = gX[inside], gY[inside]
    z = np.sqrt(1.0 - r2[inside])
    sxy = seeds[:, :2].T.astype(np.float32)
    base = np.stack([xs, ys], axis=1).astype(np.float32) @ sxy
    dz = z[:, None].astype(np.float32) * seeds[:, 2][None, :].astype(np.float32)
    fields: list[tuple[Arr, Arr, Arr]] = []
    for sgn in (1.0, -1.0):
        dots = base + sgn * dz
        i1 = np.argmax(dots, axis=1)
        rows = np.arange(dots.shape[0])
        t1 = dots[rows, i1].copy()
        dots[rows, i1] = -3.0
        t2 = dots.max(axis=1)
        a1 = np.arccos(np.clip(t1, -1, 1))
        a2 = np.arccos(np.clip(t2, -1, 1))
        line = np.exp(-(((a2 - a1) * R / 2.0 / line_w) ** 2))
        bulge = np.exp(-((a1 * R / nuc_r) ** 2))
        fields.append((line, bulge, fac[i1]))
    out: list[list[Arr]] = []
    for arr_i in range(3):
        comb = []
        for side in (0, 1):
            g: Arr = np.zeros(gX.shape, np.float32)
            g[inside] = fields[side][arr_i]
            if step > 1:
                size = (int(g.shape[1]) * step, int(g.shape[0]) * step)
                g = np.asarray(Image.fromarray(g, "F").resize(size, Image.Resampling.BILINEAR))
            comb.append(g[:hh, :ww])
        out.append(comb)
    lf, lb = out[0]
    bf, bb = out[1]
    ff, fb = out[2]
    d2 = dx * dx + dy * dy
    ri = R - th
    outer = np.sqrt(np.clip(R * R - d2, 0.0, None))
    inner = np.sqrt(np.clip(ri * ri - d2, 0.0, None))
    t = outer - inner  # one side of the shell
    body = t * (ff * (1 - k_line * lf + k_bulge * bf) + fb * (1 - k_line * lb + k_bulge * bb))
    ridge = th * (k_line * 3.0) * (lf + 0.6 * lb) * (outer > 0)
    tot = (body + ridge) * (1.0 + 0.03 * cv.fine[sy, sx])
    if gap is not None:
        g0, hw = gap
        da = np.abs(np.angle(np.exp(1j * (np.arctan2(dy, dx) - g0))))
        tot = tot * _smoothstep(hw, hw + 0.1, da)
    cv.phi[sy, sx] += dn * tot.astype(np.float32)


# --------------------------------------------------------------------- frames & optics


_TL_SIZES = (320, 360, 400, 448, 480, 500, 512, 560, 600, 640)
_HM_SIZES = (
    (640, 480),
    (576, 432),
    (512, 384),
    (600, 450),
    (480, 360),
    (400, 300),
    (320, 240),
    (640, 512),
    (560, 448),
    (480, 384),
    (448, 448),
    (384, 384),
    (512, 512),
    (640, 640),
)


def _frame(rng: np.random.Generator, rig: str, diam_um: float) -> tuple[int, int, float]:
    """Pick (h, w, um_per_px) so the object (diam_um) fills 45-92 % of the short side."""
    for _ in range(50):
        if rig == "timelapse":
            s = int(rng.choice(_TL_SIZES))
            w = h = s
        else:
            w, h = _HM_SIZES[int(rng.integers(len(_HM_SIZES)))]
            if rng.random() < 0.15:
                w, h = h, w
        m = min(h, w)
        lo = max(0.2, diam_um / (0.92 * m))
        hi = min(0.9, diam_um / (0.45 * m))
        if lo < hi:
            upp = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
            return h, w, upp
    return 480, 480, diam_um / (0.8 * 480)


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ImportError):  # pragma: no cover - bitmap fallback
        return ImageFont.load_default()


def _illumination(rng: np.random.Generator, h: int, w: int, rig: str) -> Arr:
    yy = (np.arange(h, dtype=np.float32)[:, None] - h / 2) / max(h, w)
    xx = (np.arange(w, dtype=np.float32)[None, :] - w / 2) / max(h, w)
    ox, oy = rng.uniform(-0.25, 0.25, 2)
    vig = rng.uniform(0.0, 0.6 if rig != "timelapse" else 0.35)
    L = 1.0 - vig * ((xx - ox) ** 2 + (yy - oy) ** 2) * 2.0
    g = rng.uniform(-0.12, 0.12, 2)
    L = L + g[0] * xx + g[1] * yy
    low = rng.standard_normal((5, 5)).astype(np.float32)
    blot = np.asarray(Image.fromarray(low, "F").resize((w, h), Image.Resampling.BICUBIC))
    L = L + rng.uniform(0.0, 0.04) * blot
    # out-of-focus dust on the optics: faint rings
    for _ in range(int(rng.integers(0, 4))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rr = rng.uniform(6, 40)
        d = np.sqrt((xx * max(h, w) + w / 2 - cx) ** 2 + (yy * max(h, w) + h / 2 - cy) ** 2)
        L = L - rng.uniform(0.01, 0.05) * np.exp(-(((d - rr) / (rr * 0.18)) ** 2))
    return L.astype(np.float32)


def _form(cv: _Canvas, rng: np.random.Generator, rig: str, dz: float, shear: float) -> Arr:
    """Brightfield / Hoffman image formation -> float intensity (about 0-1)."""
    h, w, upp = cv.h, cv.w, cv.upp
    phi = cv.phi * upp
    alpha = cv.alpha * upp
    ky = (2 * math.pi / upp) * np.fft.fftfreq(h).astype(np.float32)[:, None]
    kx = (2 * math.pi / upp) * np.fft.rfftfreq(w).astype(np.float32)[None, :]
    k2 = kx * kx + ky * ky
    sig = math.sqrt(0.45**2 + (0.07 * dz) ** 2)
    G = np.exp(-0.5 * k2 * sig * sig)
    H: Arr
    if rig == "hoffman":
        kh = rng.uniform(2.2, 3.6)
        H = (1j * kh) * (kx * math.cos(shear) + ky * math.sin(shear)) - (0.25 * dz) * k2
    else:
        H = -(dz * rng.uniform(0.55, 0.8)) * k2 + 0j
        if abs(dz) < 2.5:
            H = H + (-1.2 * math.copysign(1.0, dz + 1e-3)) * k2
    spec = np.fft.rfft2(phi) * G
    if cv.far.any():
        sig2 = rng.uniform(1.0, 1.8)
        spec = spec + np.fft.rfft2(cv.far * upp) * np.exp(-0.5 * k2 * sig2 * sig2)
    contrast = np.fft.irfft2(spec * H, s=(h, w))
    ab = np.fft.irfft2(np.fft.rfft2(alpha) * G, s=(h, w))
    L = _illumination(rng, h, w, rig)
    c = np.tanh(contrast)
    img = L * np.exp(-ab) * (1.0 + 0.85 * c)
    return img.astype(np.float32)


def _finish(
    img: Arr,
    rng: np.random.Generator,
    rig: str,
    upp: float,
    hpi: float | None = None,
    well: tuple[float, float, float] | None = None,
) -> Arr:
    """Exposure, rig-specific overlays, noise, colour, JPEG -> uint8 array."""
    h, w = img.shape
    if rig == "timelapse" and well is not None:
        wx, wy, wr = well
        yy = np.arange(h, dtype=np.float32)[:, None] - wy
        xx = np.arange(w, dtype=np.float32)[None, :] - wx
        d = np.sqrt(xx * xx + yy * yy)
        wid = rng.uniform(6, 16) / upp
        ring = np.exp(-(((d - wr) / wid) ** 2))
        out = _smoothstep(wr, wr + wid * 3, d)
        sh = rng.uniform(0, 2 * math.pi)
        ang = np.cos(np.arctan2(yy, xx) - sh)
        img = img * (1 - rng.uniform(0.35, 0.7) * ring * (0.75 + 0.25 * ang))
        img = img * (1 - rng.uniform(-0.1, 0.35) * out) + 0.04 * ring * (ang > 0.6)
    level = rng.uniform(0.5, 0.78) if rig != "timelapse" else rng.uniform(0.4, 0.7)
    gain = level / max(float(np.median(img)), 1e-3)
    img = img * gain
    gamma = rng.uniform(0.85, 1.2)
    img = np.clip(img, 0, 1.2) ** gamma
    shot = rng.uniform(0.004, 0.02)
    read = rng.uniform(0.003, 0.015)
    img = img + rng.standard_normal(img.shape).astype(np.float32) * (read + shot * np.sqrt(np.clip(img, 0, None)))
    colour = rig != "timelapse" and rng.random() < 0.65
    if colour:
        casts = ((1.0, 0.86, 0.64), (1.0, 0.93, 0.8), (0.84, 0.95, 1.0), (0.82, 1.0, 0.78), (1.0, 0.9, 0.95))
        cast = np.array(casts[int(rng.integers(len(casts)))]) * rng.uniform(0.94, 1.06, 3)
        cast = cast / cast.max()
        rgb = img[..., None] * cast[None, None, :].astype(np.float32)
        rgb += rng.uniform(-0.03, 0.05, 3).astype(np.float32)
        if rng.random() < 0.4:  # lateral chromatic aberration
            rgb[..., 0] = np.roll(rgb[..., 0], 1, axis=int(rng.integers(2)))
        arr = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    else:
        arr = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    pil = Image.fromarray(arr)
    draw = ImageDraw.Draw(pil)
    fill: Any
    if rig == "timelapse":
        fs = max(10, int(min(h, w) / rng.uniform(26, 38)))
        font = _font(fs)
        fill = int(rng.choice([235, 250, 20]))
        txt = f"{hpi:.1f}h" if hpi is not None else ""
        if rng.random() < 0.6:
            txt = f"{txt}  WELL {int(rng.integers(1, 17))}"
        corner = int(rng.integers(4))
        x = 6 if corner % 2 == 0 else w - fs * len(txt) * 0.6 - 8
        y = 4 if corner < 2 else h - fs - 8
        draw.text((x, y), txt, fill=fill, font=font)
        if rng.random() < 0.4:
            draw.text(
                (6 if x > w / 2 else w - 5 * fs, 4 if y > h / 2 else h - fs - 8),
                f"E{int(rng.integers(1, 13))}",
                fill=fill,
                font=font,
            )
    elif rng.random() < 0.45:  # scale bar
        um = float(rng.choice([20, 50, 50, 100]))
        px = um / upp
        if px < w * 0.4:
            fs = max(10, int(min(h, w) / 30))
            x0 = w - px - 14 if rng.random() < 0.7 else 14
            y0 = h - 14 - fs
            fill = (255, 255, 255) if colour else 255
            if rng.random() < 0.3:
                fill = (0, 0, 0) if colour else 0
            draw.rectangle((x0, y0 + fs + 3, x0 + px, y0 + fs + 6), fill=fill)
            draw.text((x0, y0), f"{int(um)} um", fill=fill, font=_font(fs))
    if rig != "timelapse" and rng.random() < 0.8:
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=int(rng.integers(55, 93)))
        buf.seek(0)
        pil = Image.open(buf)
        pil.load()
    return np.asarray(pil)


def _place(rng: np.random.Generator, h: int, w: int, rpx: float) -> tuple[float, float]:
    mx, my = w / 2 - rpx - 2, h / 2 - rpx - 2
    cx = w / 2 + (rng.uniform(-mx, mx) * 0.8 if mx > 0 else 0.0)
    cy = h / 2 + (rng.uniform(-my, my) * 0.8 if my > 0 else 0.0)
    return float(cx), float(cy)


def _sperm(cv: _Canvas, rng: np.random.Generator, cx: float, cy: float, rz: float, n: int) -> None:
    s = 1.0 / cv.upp
    for _ in range(n):
        a = rng.uniform(0, 2 * math.pi)
        hx, hy = cx + (rz + 1.5 * s) * math.cos(a), cy + (rz + 1.5 * s) * math.sin(a)
        d = a + rng.normal(0, 0.5)
        cv.ellipsoid(hx, hy, 2.3 * s, 1.5 * s, 1.0 * s, ang=d, dn=0.06)
        px, py = hx + 2.3 * s * math.cos(d), hy + 2.3 * s * math.sin(d)
        for k in range(6):
            d += rng.normal(0, 0.35)
            ln = 7.0 * s
            qx, qy = px + ln * math.cos(d), py + ln * math.sin(d)
            cv.capsule(px, py, qx, qy, (0.55 - 0.05 * k) * s, 0.05)
            px, py = qx, qy


def _debris(cv: _Canvas, rng: np.random.Generator, n: int) -> None:
    s = 1.0 / cv.upp
    for _ in range(n):
        x, y = rng.uniform(0, cv.w), rng.uniform(0, cv.h)
        r = rng.uniform(0.8, 4.0) * s
        cv.ellipsoid(
            x,
            y,
            r,
            r * rng.uniform(0.5, 1),
            ang=rng.uniform(0, 6.3),
            dn=rng.uniform(0.02, 0.07),
            ab=rng.uniform(0, 0.01),
            tex=0.3,
        )


def _choose_rig(rng: np.random.Generator, p_tl: float) -> tuple[str, float, float]:
    rig = "timelapse" if rng.random() < p_tl else "hoffman"
    if rig == "timelapse":
        dz = float(rng.uniform(2.0, 14.0) * (1 if rng.random() < 0.65 else -1))
    else:
        dz = float(rng.uniform(-6.0, 6.0))
    return rig, dz, float(rng.uniform(0, 2 * math.pi))


# ------------------------------------------------------------------------------ oocyte

_OOCYTE_LABELS = ("GV", "MI", "MII", "degenerate")


def oocyte_sample(seed: int, i: int) -> tuple[Arr, Truth]:
    """Denuded human oocyte (ICSI rig): GV / MI / MII / degenerate."""
    code = _KIND_CODE["oocyte_sample"]
    rng = np.random.default_rng([seed, i, code])
    label = _OOCYTE_LABELS[_block_label(seed, i, code, 4)]
    r = rng.random()
    rig = "hoffman" if r < 0.72 else "brightfield"
    dz = float(rng.uniform(-6, 6)) if rig == "hoffman" else float(rng.choice([-1, 1]) * rng.uniform(1.5, 9))
    shear = float(rng.uniform(0, 2 * math.pi))
    # sizes in um
    for _ in range(100):
        r_oo = rng.uniform(52, 60)
        pvs = rng.uniform(2, 16)
        zth = rng.uniform(12, 20)
        r_zo = r_oo + pvs + zth
        if 75 <= r_zo <= 95:
            break
    r_zi = r_zo - zth
    holding = rng.random() < 0.45
    extra = 30.0 if holding else 0.0
    h, w, upp = _frame(rng, rig, 2 * r_zo + 10 + extra)
    s = 1.0 / upp
    cv = _Canvas(h, w, upp, rng)
    cx, cy = _place(rng, h, w, (r_zo + 4) * s)
    deg_kind = (
        str(rng.choice(["dark", "shrunken", "fragmented", "vacuolated", "lysed"])) if label == "degenerate" else ""
    )
    # zona
    cv.shell(
        cx,
        cy,
        r_zo * s,
        r_zi * s,
        dn=_DN_ZONA * rng.uniform(0.8, 1.3),
        ab=0.0006,
        tex=0.1,
        tmed=rng.uniform(0.05, 0.2),
        squash=rng.uniform(0.97, 1.0),
        ang=rng.uniform(0, 3.2),
    )
    cv.shell(cx, cy, (r_zi + 2.0) * s, r_zi * s, dn=_DN_ZONA * rng.uniform(0.3, 0.9))  # inner layer
    # ooplasm
    tex = rng.uniform(0.12, 0.45)
    ab = rng.uniform(0.0015, 0.005)
    ecc = rng.uniform(0.97, 1.0)
    oang = rng.uniform(0, 3.2)
    if label != "degenerate" or deg_kind in ("dark", "vacuolated"):
        dn = _DN_CYTO * rng.uniform(0.8, 1.2)
        if deg_kind == "dark":
            ab *= rng.uniform(2.5, 4.0)
            tex = rng.uniform(0.5, 0.8)
            cv.ellipsoid(cx, cy, r_oo * s, r_oo * s * ecc, ang=oang, dn=dn, ab=ab, tex=tex, tmed=0.4)
        else:
            cv.ellipsoid(cx, cy, r_oo * s, r_oo * s * ecc, ang=oang, dn=dn, ab=ab, tex=tex, tmed=0.1)
        if rng.random() < 0.3 or deg_kind == "dark":  # central granularity
            rc = rng.uniform(0.35, 0.6) * r_oo
            cv.ellipsoid(
                cx + rng.normal(0, 4) * s,
                cy + rng.normal(0, 4) * s,
                rc * s,
                dn=0.01,
                ab=ab * rng.uniform(0.6, 1.5),
                tex=0.9,
                tmed=0.5,
            )
    elif deg_kind == "shrunken":
        rr = r_oo * rng.uniform(0.65, 0.82)
        for _k in range(int(rng.integers(1, 4))):
            ox, oy = rng.normal(0, 0.12 * rr, 2)
            cv.ellipsoid(
                cx + ox * s,
                cy + oy * s,
                rr * s * rng.uniform(0.8, 1.0),
                rr * s * rng.uniform(0.7, 0.95),
                ang=rng.uniform(0, 3.2),
                dn=_DN_CYTO * 0.8,
                ab=ab * 2.5,
                tex=0.6,
                tmed=0.4,
            )
    elif deg_kind == "fragmented":
        n = int(rng.integers(3, 8))
        for _k in range(n):
            rr = r_oo * rng.uniform(0.25, 0.5)
            d = rng.uniform(0, r_oo - rr)
            a = rng.uniform(0, 2 * math.pi)
            cv.ellipsoid(
                cx + d * math.cos(a) * s,
                cy + d * math.sin(a) * s,
                rr * s,
                rr * s * rng.uniform(0.75, 1),
                ang=a,
                dn=_DN_CYTO,
                ab=ab * 2,
                tex=0.55,
                tmed=0.3,
            )
    else:  # lysed: translucent, blotchy, irregular ghost
        for _k in range(int(rng.integers(3, 6))):
            ox, oy = rng.normal(0, 0.15 * r_oo, 2)
            rr = r_oo * rng.uniform(0.55, 0.85)
            cv.ellipsoid(
                cx + ox * s,
                cy + oy * s,
                rr * s,
                rr * s * rng.uniform(0.7, 1),
                ang=rng.uniform(0, 3.2),
                dn=_DN_CYTO * 0.18,
                ab=ab * 0.3,
                tex=0.4,
                tmed=1.2,
            )
        for _k in range(int(rng.integers(5, 15))):
            a, d = rng.uniform(0, 6.3), rng.uniform(0.5, 1.0) * r_oo
            rb = rng.uniform(2, 6)
            cv.ellipsoid(cx + d * math.cos(a) * s, cy + d * math.sin(a) * s, rb * s, dn=0.03, ab=0.004)
    # vacuoles
    nvac = int(rng.integers(5, 18)) if deg_kind == "vacuolated" else int(rng.random() < 0.25) * int(rng.integers(1, 3))
    for _k in range(nvac):
        rv = rng.uniform(3, 11) if deg_kind == "vacuolated" else rng.uniform(2.5, 6)
        d = rng.uniform(0, r_oo - rv - 2)
        a = rng.uniform(0, 2 * math.pi)
        vx, vy = cx + d * math.cos(a) * s, cy + d * math.sin(a) * s
        cv.ellipsoid(vx, vy, rv * s, dn=-_DN_CYTO * 1.1, ab=-ab, tex=tex)
        cv.shell(vx, vy, (rv + 0.6) * s, rv * s, dn=0.02)
    # refractile bodies
    for _k in range(int(rng.integers(0, 3)) if rng.random() < 0.35 else 0):
        rv = rng.uniform(2.5, 5.0)
        d = rng.uniform(0, r_oo - rv - 3)
        a = rng.uniform(0, 2 * math.pi)
        cv.ellipsoid(
            cx + d * math.cos(a) * s,
            cy + d * math.sin(a) * s,
            rv * s,
            rv * s * rng.uniform(0.7, 1),
            ang=a,
            dn=0.05,
            ab=0.03,
            tex=0.3,
        )
    # germinal vesicle
    if label == "GV":
        rg = rng.uniform(11, 16)
        d = rng.uniform(0.1, 0.92) * (r_oo - rg - 3)
        a = rng.uniform(0, 2 * math.pi)
        gx, gy = cx + d * math.cos(a) * s, cy + d * math.sin(a) * s
        cv.ellipsoid(
            gx,
            gy,
            rg * s,
            rg * s * rng.uniform(0.9, 1.0),
            ang=a,
            dn=-_DN_CYTO * rng.uniform(0.6, 0.9),
            ab=-ab * 0.8,
            tex=tex * 0.9,
        )
        cv.shell(gx, gy, (rg + 0.8) * s, rg * s, dn=0.035)
        rn = rng.uniform(3.0, 5.0)
        nd = rng.uniform(0, rg - rn - 1.5)
        na = rng.uniform(0, 2 * math.pi)
        cv.ellipsoid(gx + nd * math.cos(na) * s, gy + nd * math.sin(na) * s, rn * s, dn=0.06, ab=0.012)
    # polar body
    pb_info: dict[str, Any] = {}
    if label == "MII":
        rp = rng.uniform(4.0, 9.0)
        a = rng.uniform(0, 2 * math.pi)
        elev = rng.uniform(0, 0.75) if rng.random() < 0.45 else rng.uniform(0, 0.25)
        shape = str(rng.choice(["round", "round", "flattened", "fragmented"]))
        half_rad = min(rp, (pvs + 3.0) / 2)
        if half_rad < 0.8 * rp and shape == "round":
            shape = "flattened"
        faint = rng.random() < 0.25
        dnp = _DN_CYTO * rng.uniform(2.2, 3.0)
        if shape == "flattened":
            b = min(rp * rng.uniform(0.5, 0.75), (pvs + 3.0) / 2)
            aa = min(rp * rp / b, 1.6 * rp)
            dist = r_oo - 2.0 + b
            px, py = cx + dist * math.cos(elev) * math.cos(a) * s, cy + dist * math.cos(elev) * math.sin(a) * s
            cv.ellipsoid(px, py, b * s, aa * s, c=rp * s, ang=a, dn=dnp, ab=ab * 4.0, tex=0.8, far=faint)
        elif shape == "fragmented":
            for k in (-1, 1):
                rr = rp * rng.uniform(0.6, 0.75)
                rr = min(rr, (pvs + 3.0) / 2)
                dist = r_oo - 2.0 + rr
                ak = a + k * (rr * 0.9) / (r_oo + rr)
                cv.ellipsoid(
                    cx + dist * math.cos(elev) * math.cos(ak) * s,
                    cy + dist * math.cos(elev) * math.sin(ak) * s,
                    rr * s,
                    rr * s * rng.uniform(0.8, 1),
                    ang=ak,
                    dn=dnp,
                    ab=ab * 4.0,
                    tex=0.8,
                    far=faint,
                )
            px, py = cx + r_oo * math.cos(a) * s, cy + r_oo * math.sin(a) * s
        else:
            rr = min(rp, (pvs + 3.0) / 2 / 0.85)
            dist = r_oo - 2.0 + rr
            px, py = cx + dist * math.cos(elev) * math.cos(a) * s, cy + dist * math.cos(elev) * math.sin(a) * s
            cv.ellipsoid(px, py, rr * s, rr * s * rng.uniform(0.85, 1), ang=a, dn=dnp, ab=ab * 4.0, tex=0.8, far=faint)
        pb_info = {"pb_xy": [round(px, 1), round(py, 1)], "pb_shape": shape}
        if rng.random() < 0.3:  # a granule next to the polar body
            gr = rng.uniform(1.0, 2.5)
            ga = a + rng.choice([-1, 1]) * rng.uniform(0.12, 0.25)
            gd = r_oo + rng.uniform(1, max(1.5, pvs - 1))
            cv.ellipsoid(cx + gd * math.cos(ga) * s, cy + gd * math.sin(ga) * s, gr * s, dn=0.06, ab=0.01)
    # PVS granules and debris (all classes), small (< 5 um)
    if rng.random() < 0.6:
        for _k in range(int(rng.integers(2, 25))):
            gr = rng.uniform(0.6, 2.3)
            ga = rng.uniform(0, 2 * math.pi)
            gd = rng.uniform(r_oo + gr, max(r_oo + gr + 0.1, r_zi - gr))
            cv.ellipsoid(cx + gd * math.cos(ga) * s, cy + gd * math.sin(ga) * s, gr * s, dn=0.05, ab=0.006)
    # cumulus cells on the zona
    if rng.random() < 0.4:
        for _c in range(int(rng.integers(1, 4))):
            ca = rng.uniform(0, 2 * math.pi)
            for _k in range(int(rng.integers(2, 12))):
                rc = rng.uniform(3.5, 6.0)
                aa = ca + rng.normal(0, 0.18)
                dd = r_zo + rc * rng.uniform(0.3, 1.8)
                x, y = cx + dd * math.cos(aa) * s, cy + dd * math.sin(aa) * s
                cv.ellipsoid(x, y, rc * s, rc * s * rng.uniform(0.7, 1), ang=aa, dn=0.025, ab=0.004, tex=0.5)
                cv.ellipsoid(x, y, rc * 0.45 * s, dn=0.012)
    _debris(cv, rng, int(rng.integers(0, 12)))
    if holding:
        pa = float(rng.choice([0.0, math.pi]) + rng.normal(0, 0.12))
        ro, ri = rng.uniform(35, 55), rng.uniform(8, 15)
        tipx, tipy = cx + (r_zo + 0.5) * math.cos(pa) * s, cy + (r_zo + 0.5) * math.sin(pa) * s
        cv.pipette(tipx, tipy, pa, ro * s, ri * s)
        cv.ellipsoid(tipx + 2 * math.cos(pa) * s, tipy + 2 * math.sin(pa) * s, ri * 0.9 * s, dn=_DN_ZONA)
        if rng.random() < 0.35:  # injection pipette on the other side
            ia = pa + math.pi + rng.normal(0, 0.05)
            tx, ty = (
                cx + (r_zo + rng.uniform(3, 25)) * math.cos(ia) * s,
                cy + (r_zo + rng.uniform(3, 25)) * math.sin(ia) * s,
            )
            for k in range(12):
                L0, L1 = k * 25.0, (k + 1) * 25.0
                rr = min(3.5 + 0.03 * L1, 5.0)
                cv.capsule(
                    tx + L0 * math.cos(ia) * s,
                    ty + L0 * math.sin(ia) * s,
                    tx + L1 * math.cos(ia) * s,
                    ty + L1 * math.sin(ia) * s,
                    rr * s,
                    _DN_GLASS * 0.6,
                )
    img = _form(cv, rng, rig, dz, shear)
    out = _finish(img, rng, rig, upp)
    truth: Truth = {"label": label, "um_per_px": round(upp, 5), "rig": rig}
    if deg_kind:
        truth["degenerate_kind"] = deg_kind
    truth.update(pb_info)
    return out, truth


# ------------------------------------------------------------------------------- day 3


def _expected_fracs(n: int) -> list[float]:
    """Stage-specific blastomere volume fractions (synchronous / asynchronous cleavage)."""
    if n <= 1:
        return [1.0]
    k = n.bit_length() - 1
    base = 2**k
    m = n - base
    return [1.0 / base] * (base - m) + [0.5 / base] * (2 * m)


def _istanbul_grade(frag: float, even: bool, mn: bool) -> int:
    if frag > 25.0 or not even or mn:
        return 3
    if frag >= 10.0:
        return 2
    return 1


# 2-10 cells, the range the analyzers count (the lab drew 1-12: weights 0.6 for 1, 2 and 1.5 for 11, 12)
_CELL_W = np.array([0, 6, 5, 9, 6, 7, 8, 14, 6, 5, 0, 0])


def day3_sample(seed: int, i: int) -> tuple[Arr, Truth]:
    """Day-3 cleavage-stage embryo with Istanbul-consensus truth."""
    code = _KIND_CODE["day3_sample"]
    rng = np.random.default_rng([seed, i, code])
    grade = _block_label(seed, i, code, 3) + 1
    if grade == 1:
        frag_t = 0.0 if rng.random() < 0.25 else rng.uniform(0.5, 9.0)
        even, mn = True, False
    elif grade == 2:
        frag_t, even, mn = rng.uniform(11.0, 24.0), True, False
    else:
        while True:
            c_frag, c_uneven, c_mn = rng.random() < 0.45, rng.random() < 0.45, rng.random() < 0.35
            if c_frag or c_uneven or c_mn:
                break
        frag_t = rng.uniform(27.0, 55.0) if c_frag else rng.uniform(0.0, 24.0)
        even, mn = not c_uneven, c_mn
    wts = _CELL_W.copy()
    if grade != 3 or not (frag_t > 25 or mn):
        wts[0] = 0.0
    if not even:
        wts[0] = 0.0
    n = int(rng.choice(np.arange(1, 13), p=wts / wts.sum()))
    exp_f = np.array(_expected_fracs(n))
    if even or n == 1:
        fr = exp_f * np.exp(rng.normal(0, 0.04, n))
        fr = fr / fr.sum()
        dev = np.abs((np.sort(fr)[::-1] / np.sort(exp_f)[::-1]) ** (1 / 3) - 1)
        fr = fr if dev.max() < 0.045 else exp_f.copy()
    else:
        for _ in range(200):
            fr = exp_f * np.exp(rng.normal(0, 0.6, n))
            fr = fr / fr.sum()
            dev = np.abs((np.sort(fr)[::-1] / np.sort(exp_f)[::-1]) ** (1 / 3) - 1)
            if dev.max() >= 0.25 and fr.min() > 0.02:
                break
    rig, dz, shear = _choose_rig(rng, 0.6)
    # geometry (um)
    r_zo = rng.uniform(75, 95)
    zth = rng.uniform(12, 20)
    r_zi = r_zo - zth
    R0 = float(np.clip(r_zi * rng.uniform(0.8, 0.9), 46, 62))
    v0 = R0**3
    f_vol = frag_t / 100.0
    radii = R0 * (fr * (1 - f_vol)) ** (1 / 3)
    # 3-D packing by relaxation
    pos = rng.normal(0, 1, (n, 3)) * (r_zi * 0.3)
    pos[:, 2] *= 0.7
    for _ in range(90):
        if n > 1:
            diff = pos[:, None, :] - pos[None, :, :]
            d = np.linalg.norm(diff, axis=2) + np.eye(n)
            tgt = (radii[:, None] + radii[None, :]) * 0.86
            ov = np.clip(tgt - d, 0, None) * (1 - np.eye(n))
            pos += 0.5 * (diff / d[..., None] * ov[..., None]).sum(axis=1)
        dist = np.linalg.norm(pos, axis=1)
        lim = np.maximum(r_zi - radii * 0.9, 0.5)
        over = dist > lim
        pos[over] *= (lim[over] / dist[over])[:, None]
    # fragments
    frag_r: list[float] = []
    frag_p: list[Arr] = []
    if f_vol > 0:
        localised = rng.random() < 0.5
        u = _unit_vectors(rng, 1)[0]
        vol = 0.0
        target = f_vol * v0
        guard = 0
        while vol < target and guard < 600:
            guard += 1
            rf = float(math.exp(rng.uniform(math.log(3.0), math.log(14.0 if localised else 10.0))))
            rf = min(rf, (target - vol + 0.3 * rf**3) ** (1 / 3) + 1.0)
            p = None
            for _t in range(30):
                if localised:
                    cand = u * rng.uniform(0.3, 1.0) * (r_zi - rf) + rng.normal(0, 14, 3)
                else:
                    cand = _unit_vectors(rng, 1)[0] * (r_zi - rf) * rng.uniform(0.2, 1.0) ** 0.5
                if np.linalg.norm(cand) > r_zi - rf * 0.8:
                    continue
                if n and np.any(np.linalg.norm(pos - cand, axis=1) < radii * 0.85 + rf * 0.3):
                    continue
                p = cand
                break
            if p is None:
                p = _unit_vectors(rng, 1)[0] * (r_zi - rf)
            frag_r.append(rf)
            frag_p.append(p)
            vol += rf**3
    vcells = float((radii**3).sum())
    vfrag = float(sum(r**3 for r in frag_r))
    frag_pct = 100.0 * vfrag / (vcells + vfrag)
    grade_t = _istanbul_grade(frag_pct, even, mn)
    obj_d = 2 * r_zo + 8
    h, w, upp = _frame(rng, rig, obj_d)
    s = 1.0 / upp
    cv = _Canvas(h, w, upp, rng)
    cx, cy = _place(rng, h, w, (r_zo + 3) * s)
    cv.shell(
        cx,
        cy,
        r_zo * s,
        r_zi * s,
        dn=_DN_ZONA * rng.uniform(0.8, 1.3),
        ab=0.0005,
        tex=0.08,
        tmed=rng.uniform(0.05, 0.2),
        squash=rng.uniform(0.96, 1.0),
        ang=rng.uniform(0, 3.2),
    )
    cell_mask = np.zeros((h, w), bool)
    frag_mask = np.zeros((h, w), bool)
    tex = rng.uniform(0.08, 0.3)
    ab = rng.uniform(0.001, 0.0035)
    dnc = _DN_CYTO * rng.uniform(0.8, 1.15)
    centers = []
    show_nuc = rng.random() < 0.45
    zf = rng.uniform(-0.3, 0.3) * r_zi  # focal plane height
    far_c = np.abs(pos[:, 2] - zf) > 0.7 * radii
    if mn:
        order = np.argsort(np.abs(pos[:, 2] - zf))
        mn_cells = set(order[: min(n, int(rng.integers(1, 3)))].tolist())
        far_c[list(mn_cells)] = False
    else:
        mn_cells = set()
    for k in range(n):
        fk = bool(far_c[k])
        x, y = cx + pos[k, 0] * s, cy + pos[k, 1] * s
        rk = radii[k]
        sq = rng.uniform(0.9, 1.0)
        ang = rng.uniform(0, 3.2)
        cv.ellipsoid(
            x, y, rk * s, rk * s * sq, c=rk * s, ang=ang, dn=dnc, ab=ab, tex=tex, tmed=0.08, mask=cell_mask, far=fk
        )
        centers.append([round(float(x), 1), round(float(y), 1)])
        if k in mn_cells:
            nn = int(rng.integers(2, 5))
            for _j in range(nn):
                rn = rk * rng.uniform(0.15, 0.2)
                dd = rng.uniform(0.3, 0.55) * rk
                a = 2 * math.pi * _j / nn + rng.normal(0, 0.3)
                nx, ny = x + dd * math.cos(a) * s, y + dd * math.sin(a) * s
                cv.ellipsoid(nx, ny, rn * s, dn=-dnc * 0.9, ab=-ab * 0.8, tex=tex)
                cv.shell(nx, ny, (rn + 0.7) * s, rn * s, dn=0.03)
                cv.ellipsoid(nx + rn * 0.3 * s, ny, rn * 0.28 * s, dn=0.04)
        elif show_nuc and rng.random() < 0.6 and rk > 14 and not fk:
            rn = rk * rng.uniform(0.17, 0.23)
            dd = rng.uniform(0, 0.35) * rk
            a = rng.uniform(0, 2 * math.pi)
            nx, ny = x + dd * math.cos(a) * s, y + dd * math.sin(a) * s
            cv.ellipsoid(nx, ny, rn * s, dn=-dnc * 0.75, ab=-ab * 0.6, tex=tex)
            cv.shell(nx, ny, (rn + 0.6) * s, rn * s, dn=0.02)
            for _j in range(int(rng.integers(1, 3))):
                cv.ellipsoid(nx + rng.normal(0, rn * 0.3) * s, ny + rng.normal(0, rn * 0.3) * s, rn * 0.22 * s, dn=0.04)
        if rng.random() < 0.08:  # small cytoplasmic vacuole
            rv = rng.uniform(2, 4)
            cv.ellipsoid(x + rng.normal(0, rk * 0.3) * s, y + rng.normal(0, rk * 0.3) * s, rv * s, dn=-dnc, tex=tex)
    fdn = _DN_CYTO * rng.uniform(0.9, 1.4)
    for rf, p in zip(frag_r, frag_p, strict=True):
        cv.ellipsoid(
            cx + p[0] * s,
            cy + p[1] * s,
            rf * s,
            rf * s * rng.uniform(0.75, 1.0),
            c=rf * s,
            ang=rng.uniform(0, 3.2),
            dn=fdn,
            ab=ab * 1.3,
            tex=0.15,
            mask=frag_mask,
            far=bool(abs(p[2] - zf) > max(8.0, 1.5 * rf)),
        )
    if rng.random() < 0.35:
        _sperm(cv, rng, cx, cy, r_zo * s, int(rng.integers(1, 12)))
    if rng.random() < 0.15:  # leftover coronal cells
        ca = rng.uniform(0, 2 * math.pi)
        for _k in range(int(rng.integers(2, 7))):
            rc = rng.uniform(3.5, 6.0)
            aa = ca + rng.normal(0, 0.15)
            dd = r_zo + rc * rng.uniform(0.4, 1.6)
            cv.ellipsoid(cx + dd * math.cos(aa) * s, cy + dd * math.sin(aa) * s, rc * s, dn=0.025, ab=0.004, tex=0.5)
    _debris(cv, rng, int(rng.integers(0, 8)))
    img = _form(cv, rng, rig, dz, shear)
    hpi = float(rng.uniform(66.0, 70.0))
    well = (cx + rng.normal(0, 10) * s, cy + rng.normal(0, 10) * s, r_zo * s * rng.uniform(1.25, 1.7))
    out = _finish(img, rng, rig, upp, hpi=hpi, well=well)
    union = cell_mask | frag_mask
    area_pct = 100.0 * float(frag_mask.sum()) / max(float(union.sum()), 1.0)
    truth: Truth = {
        "um_per_px": round(upp, 5),
        "cells": n,
        "cell_centers_px": centers,
        "fragment_area_pct": round(area_pct, 2),
        "fragmentation_pct": round(frag_pct, 2),
        "even": bool(even),
        "multinucleation": bool(mn),
        "istanbul_grade": grade_t,
        "rig": rig,
    }
    return out, truth


# --------------------------------------------------------------------------- blastocyst

_GRADES = ("A", "B", "C")


def _icm(cv: _Canvas, rng: np.random.Generator, x: float, y: float, grade: str, s: float, ang: float) -> None:
    if grade == "A":
        n, rc, spread, dn = int(rng.integers(30, 50)), rng.uniform(5.0, 6.0), rng.uniform(28, 36), 0.03
    elif grade == "B":
        n, rc, spread, dn = int(rng.integers(7, 14)), rng.uniform(7.0, 9.0), rng.uniform(28, 38), 0.026
    else:
        n, rc, spread, dn = int(rng.integers(1, 5)), rng.uniform(6.5, 9.0), rng.uniform(10, 22), 0.022
    ca, sa = math.cos(ang), math.sin(ang)
    if grade == "A":  # compact envelope
        cv.ellipsoid(
            x,
            y,
            spread * 0.8 * s,
            spread * 0.6 * s,
            c=spread * 0.5 * s,
            ang=ang + math.pi / 2,
            dn=0.015,
            ab=0.004,
            tex=0.6,
        )
    for _ in range(n):
        u, v = rng.normal(0, 0.5, 2)
        if grade == "A":
            u, v = np.clip([u, v], -1, 1)
        px = u * spread
        py = abs(v) * spread * 0.7 * (1 if grade != "B" else rng.uniform(0.8, 1.6))
        xx = x + (px * -sa - py * ca) * s
        yy = y + (px * ca - py * sa) * s
        r = rc * rng.uniform(0.8, 1.15)
        cv.ellipsoid(xx, yy, r * s, r * s * rng.uniform(0.8, 1.0), ang=rng.uniform(0, 3.2), dn=dn, ab=0.003, tex=0.3)
        if grade != "A" and rng.random() < 0.5:
            cv.ellipsoid(xx, yy, r * 0.4 * s, dn=-0.008)


def _te_params(rng: np.random.Generator, grade: str, n_seed_scale: float) -> tuple[int, float, float, float, float]:
    if grade == "A":
        return int(rng.integers(130, 201) * n_seed_scale), rng.uniform(0.85, 1.15), 0.06, 0.55, 0.5
    if grade == "B":
        return int(rng.integers(28, 46) * n_seed_scale), rng.uniform(0.5, 1.7), 0.25, 0.45, 0.9
    return max(6, int(rng.integers(9, 17) * n_seed_scale)), rng.uniform(0.4, 1.2), 0.2, 0.35, 1.4


def blastocyst_sample(seed: int, i: int) -> tuple[Arr, Truth]:
    """Day-5/6 human blastocyst with Gardner truth."""
    code = _KIND_CODE["blastocyst_sample"]
    rng = np.random.default_rng([seed, i, code])
    lab = _block_label(seed, i, code, 54)
    expansion = lab // 9 + 1
    icm_g: str | None = _GRADES[(lab % 9) // 3]
    te_g: str | None = _GRADES[lab % 3]
    if expansion < 3:
        icm_g = te_g = None
    day = 5 if rng.random() < 0.55 else 6
    rig, dz, shear = _choose_rig(rng, 0.6)
    r_zo = rng.uniform(76, 95)
    zth = rng.uniform(12, 18)
    if expansion >= 4:
        r_zo = (r_zo - zth) * rng.uniform(1.12, 1.35)
        zth = rng.uniform(4, 8)
        r_zo += zth
    r_zi = r_zo - zth
    herniate = (0.0, 0.0, 0.0)
    obj_r = r_zo
    if expansion == 5:
        rh = r_zi * rng.uniform(0.35, 0.8)
        dh = r_zo + rh * rng.uniform(0.05, 0.6)
        herniate = (float(rng.uniform(0, 2 * math.pi)), rh, dh)
        obj_r = max(r_zo, (dh + rh + r_zo) / 2)
    if expansion == 6:
        r_b = rng.uniform(90, 125)
        obj_r = r_b
    h, w, upp = _frame(rng, rig, 2 * obj_r + 10)
    s = 1.0 / upp
    cv = _Canvas(h, w, upp, rng)
    cx, cy = _place(rng, h, w, (obj_r + 4) * s)
    if expansion == 5:
        ha, rh, dh = herniate
        shift = (dh + rh - r_zo) / 2
        cx -= shift * math.cos(ha) * s
        cy -= shift * math.sin(ha) * s
    dnc = _DN_CYTO * rng.uniform(0.8, 1.15)
    ab = rng.uniform(0.001, 0.003)
    if expansion <= 2:
        cv.shell(
            cx,
            cy,
            r_zo * s,
            r_zi * s,
            dn=_DN_ZONA * rng.uniform(0.8, 1.3),
            ab=0.0005,
            tex=0.08,
            tmed=0.1,
            squash=rng.uniform(0.97, 1.0),
            ang=rng.uniform(0, 3.2),
        )
        R = r_zi - rng.uniform(1, 6)
        ratio = rng.uniform(0.45, 0.74) if expansion == 1 else rng.uniform(0.82, 0.9)
        rc = R * ratio
        off = (R - rc - rng.uniform(3, 6)) * rng.uniform(0.7, 1.0)
        oa = rng.uniform(0, 2 * math.pi)
        cv.ellipsoid(cx, cy, R * s, dn=dnc, ab=ab, tex=0.2, tmed=0.15)
        el = rng.uniform(0, 0.6)
        ox, oy = off * math.cos(el) * math.cos(oa), off * math.cos(el) * math.sin(oa)
        cv.ellipsoid(cx + ox * s, cy + oy * s, rc * s, dn=-dnc, ab=-ab, tex=0.2, tmed=0.15)
        seeds = _fib_sphere(rng, int(rng.integers(30, 60)), 0.8)
        fac = rng.uniform(0.8, 1.2, len(seeds))
        _te_shell(cv, cx, cy, R * s, 10 * s, seeds, fac, 0.01, 1.0 * s, 4 * s, 0.9, 0.3)
    else:
        th = rng.uniform(3.5, 6.5)
        if expansion == 6:
            R = r_b
        else:
            R = r_zi - rng.uniform(0, 1.5)
            gap = None
            if expansion == 5:
                ha, rh, dh = herniate
                gap = (ha, math.asin(min(0.95, rh * 0.75 / r_zo)))
            cv.shell(
                cx,
                cy,
                r_zo * s,
                r_zi * s,
                dn=_DN_ZONA * rng.uniform(0.8, 1.2),
                ab=0.0004,
                tex=0.08,
                tmed=0.1,
                gap=gap,
                squash=rng.uniform(0.98, 1.0),
            )
        assert te_g is not None and icm_g is not None
        nseed, var, jit, lw, kb = _te_params(rng, te_g, (R / 80.0) ** 2)
        seeds = _fib_sphere(rng, max(nseed, 6), 0.6 + jit * 3)
        fac = np.clip(rng.normal(1.0, var * 0.3 if te_g != "A" else 0.06, len(seeds)), 0.3, 2.0)
        thr = th * (1.3 if te_g == "C" else 1.0)
        _te_shell(
            cv,
            cx,
            cy,
            R * s,
            thr * s,
            seeds,
            fac,
            dnc,
            max(lw * s, 0.9),
            (5.5 if te_g == "C" else 3.5) * s,
            0.5,
            kb,
            gap=None,
        )
        if expansion == 5:
            ha, rh, dh = herniate
            hx, hy = cx + dh * math.cos(ha) * s, cy + dh * math.sin(ha) * s
            hseeds = _fib_sphere(rng, max(6, int(nseed * (rh / R) ** 2)), 0.6 + jit * 3)
            hfac = np.clip(rng.normal(1.0, 0.1, len(hseeds)), 0.3, 2.0)
            _te_shell(cv, hx, hy, rh * s, thr * s, hseeds, hfac, dnc, max(lw * s, 0.9), 3.5 * s, 0.5, kb)
        # ICM on the inner wall
        u = _unit_vectors(rng, 1)[0]
        u[2] *= 0.8
        u /= np.linalg.norm(u)
        rr = R - thr - 8
        ix, iy = cx + rr * u[0] * s, cy + rr * u[1] * s
        _icm(cv, rng, ix, iy, icm_g, s, math.atan2(u[1], u[0]) + math.pi / 2)
        if expansion == 6 and rng.random() < 0.6:  # empty zona nearby
            za = rng.uniform(0, 2 * math.pi)
            zr = rng.uniform(70, 90)
            zd = R + zr * rng.uniform(0.7, 1.1)
            zx, zy = cx + zd * math.cos(za) * s, cy + zd * math.sin(za) * s
            cv.shell(
                zx,
                zy,
                zr * s,
                (zr - rng.uniform(4, 8)) * s,
                dn=_DN_ZONA,
                squash=rng.uniform(0.6, 0.9),
                ang=rng.uniform(0, 3.2),
                gap=(za + math.pi + rng.normal(0, 0.5), rng.uniform(0.2, 0.6)),
            )
    if rng.random() < 0.3 and expansion <= 2:  # excluded cells / fragments in the PVS
        for _k in range(int(rng.integers(1, 6))):
            a = rng.uniform(0, 2 * math.pi)
            rf = rng.uniform(3, 7)
            d = r_zi - rf - rng.uniform(0, 3)
            cv.ellipsoid(cx + d * math.cos(a) * s, cy + d * math.sin(a) * s, rf * s, dn=dnc, ab=ab * 2, tex=0.4)
    if rng.random() < 0.3 and expansion < 6:
        _sperm(cv, rng, cx, cy, r_zo * s, int(rng.integers(1, 8)))
    _debris(cv, rng, int(rng.integers(0, 8)))
    img = _form(cv, rng, rig, dz, shear)
    hpi = float(rng.uniform(108, 122) if day == 5 else rng.uniform(130, 146))
    well = (cx + rng.normal(0, 10) * s, cy + rng.normal(0, 10) * s, obj_r * s * rng.uniform(1.2, 1.6))
    out = _finish(img, rng, rig, upp, hpi=hpi, well=well)
    truth: Truth = {
        "um_per_px": round(upp, 5),
        "expansion": expansion,
        "icm": icm_g,
        "te": te_g,
        "day": day,
        "rig": rig,
    }
    return out, truth
