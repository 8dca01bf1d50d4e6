"""Lab B synthetic generator: denuded oocytes, day-3 embryos and blastocysts with exact ground truth.

One of several independently written image generators (see ``ml.renderers``) used to train and test
FertiVision's analyzers on many looks. It needs numpy, Pillow and the standard library only.

Public API: ``oocyte_sample(seed, i)``, ``day3_sample(seed, i)`` and ``blastocyst_sample(seed, i)`` (names in
``KINDS``), each returning ``(uint8 image HxW or HxWx3, truth dict)``; the label rules and truth keys are in their
docstrings. Every random number comes from ``numpy.random.default_rng(SeedSequence([seed, i, kind]))``, so
``(seed, i)`` always yields the same pixels and truth; class labels are drawn from balanced, seed-dependent block
permutations. Ground truth is taken from the drawn geometry, never re-measured from pixels. Conventions:
``center_px = [x, y]`` (x = column, y = row; pixel centres at integer coordinates, origin at the centre of the
top-left pixel); every ``*_radius_px`` is in pixels; ``um_per_px`` is exact (geometry is built in micrometres, then
scaled); ``truth["modality"]`` is ``hmc``, ``bf`` or ``bf-timelapse``.

Rendering model
---------------
Every object is described in 3-D (micrometres): spheres, star-shaped bodies of
revolution, ellipsoids and spherical shells.  For each pixel the *chord* (the
length of the viewing ray inside the object) is computed analytically; for
touching blastomeres the chords are cut by the power (Laguerre) planes between
the cells (0.8 um gap) and clipped by the zona's inner surface, so contacts are
flattened and the volumes are exact.  The chords are turned into two thin-object
maps per focal layer (|z| bin edges 2, 5, 9, 14, 20, 28, 38, 50, 65, 85 um):

* optical path difference  OPD = chord * (n_object - n_medium)  (+ textures)
  (cytoplasm dn 0.018-0.03, zona 0.010-0.018)
* optical density           OD  = chord * absorption            (+ textures)

Each focal layer is blurred by the objective PSF (sigma 0.45-1.5 um) plus a defocus
term that grows with the distance of the layer from the focal plane, the layers are
summed and an image is formed either as

* Hoffman modulation contrast (HMC; 75 % of oocytes, 65 % of embryos):
  I = B * (1 + a*tanh(dOPD/ds / g0)) * exp(-OD), a = 0.35-0.6, g0 = 0.05-0.1
  (intensity follows the phase gradient along a random modulator axis, giving the
  familiar shadow-cast relief), or
* bright field (BF): I = B * exp(-OD) * (1 + c*tanh(lap(OPD)/l0)) (weak defocus
  phase contrast); 45 % of BF images are a grey "time-lapse incubator" flavour
  (500x500 or 600x600, darker, vignetted, mostly with the dark rim of the micro-well).

Then uneven illumination / vignetting, 0-3 out-of-focus dust discs, 0-30 medium debris
particles, Poisson-Gaussian sensor noise (full well 250-2500 e-, read noise 1-5 e-),
gamma 0.9-1.25, an optional colour cast (55 % of non-time-lapse images are RGB) and an
optional JPEG round trip (45 %, quality 72-95) are applied.  Frames are 640x480,
720x540, 720x576, 768x576 or 800x600 (plus the square time-lapse sizes).

Sizes: the zona outer diameter is 110-120 um (oocyte, day 3, blastocyst expansion 1-3),
so every structure is scaled to that zona (ooplasm diameter about 75-90 um; real human
oocytes are larger).  The object spans 60-95 % (oocyte), 60-92 % (day 3) or 55-92 %
(blastocyst) of the short side of the frame.

Label sources: Alpha Scientists in Reproductive Medicine & ESHRE SIG Embryology, *The
Istanbul consensus workshop on embryo assessment*, Hum Reprod 2011;26:1270-1283; Gardner &
Schoolcraft 1999 and Gardner et al., Fertil Steril 2000;73:1155 (blastocyst grading).
"""

from __future__ import annotations

import io
import math
from typing import Any, TypeAlias, TypeVar

import numpy as np
from PIL import Image

__all__ = ["KINDS", "VERSION", "blastocyst_sample", "day3_sample", "oocyte_sample"]

VERSION = "1.0"
KINDS: tuple[str, ...] = ("oocyte_sample", "day3_sample", "blastocyst_sample")

_KIND_ID = {"oocyte": 101, "day3": 203, "blastocyst": 307}
F32 = np.float32

_T = TypeVar("_T")
_Slice2: TypeAlias = tuple[slice, slice]
_Window: TypeAlias = tuple[_Slice2, np.ndarray, np.ndarray]  # (slices, X row vector, Y column vector)
_Harm: TypeAlias = list[tuple[int, float, float]]  # radial harmonics (k, relative amplitude, phase)
_Chord: TypeAlias = tuple[_Slice2, np.ndarray, tuple[np.ndarray, np.ndarray]]  # (slices, chord um, (z_lo, z_hi) px)
_Bodies: TypeAlias = dict[str, np.ndarray]  # arrays x, y, z, r (px)
_Bulb: TypeAlias = tuple[float, float, float, float, float]  # (x um, y um, radius um, angle, neck radius um)


# ----------------------------------------------------------------------------
# random helpers
# ----------------------------------------------------------------------------
def _rng(seed: int, i: int, kind: str, sub: int = 0) -> np.random.Generator:
    ss = np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF, int(i) & 0xFFFFFFFF, _KIND_ID[kind], sub]
    )
    return np.random.default_rng(ss)


def _block_pick(seed: int, i: int, kind: str, items: list[_T]) -> _T:
    """Balanced assignment: each consecutive block of len(items) indices is a
    seed-dependent permutation of items."""
    n = len(items)
    b, k = divmod(int(i), n)
    perm = _rng(seed, b, kind, sub=7777).permutation(n)
    return items[int(perm[k])]


def _u(rng: np.random.Generator, a: float, b: float) -> float:
    return float(rng.uniform(a, b))


# ----------------------------------------------------------------------------
# filtering helpers (numpy only)
# ----------------------------------------------------------------------------
def _gauss_tf(shape: tuple[int, int], sigma: float) -> np.ndarray:
    fy = np.fft.fftfreq(shape[0]).astype(F32)[:, None]
    fx = np.fft.fftfreq(shape[1]).astype(F32)[None, :]
    return np.exp(-2.0 * (math.pi * sigma) ** 2 * (fx * fx + fy * fy)).astype(F32)


def _nice(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (fast FFT length)."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p3 = p5
        while p3 < best:
            p2 = p3
            while p2 < n:
                p2 *= 2
            best = min(best, p2)
            p3 *= 3
        p5 *= 5
    return best


def _blur_core(z: np.ndarray, sigma: float) -> np.ndarray:
    pad = int(min(3 * sigma + 2, 0.5 * min(z.shape)))
    H, W = z.shape
    Hp, Wp = _nice(H + 2 * pad), _nice(W + 2 * pad)
    py0, px0 = (Hp - H) // 2, (Wp - W) // 2
    zp = np.pad(z, ((py0, Hp - H - py0), (px0, Wp - W - px0)), mode="edge")
    Z = np.fft.fft2(zp) * _gauss_tf(zp.shape, sigma)
    return np.fft.ifft2(Z)[py0 : py0 + H, px0 : px0 + W]


def _blur2(a: np.ndarray, b: np.ndarray | None, sigma: float) -> tuple[np.ndarray, np.ndarray | None]:
    """Gaussian blur of one or two real images (packed in one complex FFT); large
    sigmas are done on a block-averaged grid and bilinearly upsampled."""
    if sigma < 0.25:
        return a, b
    z = a.astype(np.complex64) if b is None else (a + 1j * b).astype(np.complex64)
    f = int(min(8, max(1, sigma // 2.5)))
    if f > 1:
        H, W = z.shape
        Hc, Wc = -(-H // f) * f, -(-W // f) * f
        zp = np.pad(z, ((0, Hc - H), (0, Wc - W)), mode="edge")
        zs = zp.reshape(Hc // f, f, Wc // f, f).mean(axis=(1, 3))
        sig_s = math.sqrt(max(sigma**2 - (f * f - 1) / 12.0, 0.04)) / f
        r = _blur_core(zs, sig_s)
        re = _resize_f(r.real, (Hc, Wc))[:H, :W]
        if b is None:
            return re, None
        im = _resize_f(r.imag, (Hc, Wc))[:H, :W]
        # bilinear resize of a coarse grid shifts by (f-1)/2: PIL maps centres correctly
        return re, im
    r = _blur_core(z, sigma)
    return r.real.astype(F32), (None if b is None else r.imag.astype(F32))


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    if 0.25 <= sigma < 3.0:
        return _blur_small(a, sigma)
    return _blur2(a, None, sigma)[0]


def _blur_small(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable direct Gaussian convolution for small sigma (edge padding)."""
    r = math.ceil(3 * sigma)
    x = np.arange(-r, r + 1, dtype=F32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    p = np.pad(a.astype(F32), ((r, r), (r, r)), mode="edge")
    h, w = a.shape
    t = np.zeros((h + 2 * r, w), F32)
    for j in range(2 * r + 1):
        t += k[j] * p[:, j : j + w]
    out = np.zeros((h, w), F32)
    for j in range(2 * r + 1):
        out += k[j] * t[j : j + h, :]
    return out


def _bandnoise(rng: np.random.Generator, shape: tuple[int, int], s_lo: float, s_hi: float) -> np.ndarray:
    """Band-pass white noise (DoG of sigmas s_lo < s_hi, in px), unit std."""
    sh = (_nice(shape[0]), _nice(shape[1]))
    w = rng.standard_normal(sh).astype(F32)
    W = np.fft.rfft2(w)
    fy = np.fft.fftfreq(sh[0]).astype(F32)[:, None]
    fx = np.fft.rfftfreq(sh[1]).astype(F32)[None, :]
    f2 = fx * fx + fy * fy
    tf = np.exp(-2.0 * (math.pi * s_lo) ** 2 * f2)
    if s_hi > 0:
        tf = tf - np.exp(-2.0 * (math.pi * s_hi) ** 2 * f2)
    n = np.fft.irfft2(W * tf, s=sh)[: shape[0], : shape[1]].astype(F32)
    return n / (n.std() + 1e-8)


def _resize_f(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    im = Image.fromarray(a.astype(F32), mode="F")
    return np.asarray(im.resize((shape[1], shape[0]), Image.Resampling.BILINEAR), dtype=F32)


# ----------------------------------------------------------------------------
# canvas: focal layers of optical path difference (um) and optical density
# ----------------------------------------------------------------------------
_ZE = (2.0, 5.0, 9.0, 14.0, 20.0, 28.0, 38.0, 50.0, 65.0, 85.0)  # |z| bin edges (um)


def _zkey(dz: float) -> int:
    a = abs(dz)
    for k, e in enumerate(_ZE):
        if a < e:
            return k if dz >= 0 else -k
    return len(_ZE) if dz >= 0 else -len(_ZE)


def _zmid(k: int) -> float:
    a = abs(k)
    if a == 0:
        return 0.0
    hi = _ZE[a] if a < len(_ZE) else _ZE[-1] * 1.3
    return 0.5 * (_ZE[a - 1] + hi)


class _Canvas:
    """Focal layers of optical path difference (um) and optical density.

    Layer k holds matter at defocus |z| in bin k (edges _ZE, um); each layer is
    blurred by PSF + defocus before image formation (an optical-section model)."""

    def __init__(self, H: int, W: int, upp: float, rng: np.random.Generator) -> None:
        self.H, self.W, self.upp = H, W, upp
        self.layers: dict[int, list[np.ndarray]] = {}
        # shared textures (unit std), scales in micrometres
        u = upp
        self.tex_fine = _bandnoise(rng, (H, W), 0.35 / u, 1.4 / u)
        self.tex_mid = _bandnoise(rng, (H, W), 0.9 / u, 3.0 / u)
        self.tex_coarse = _bandnoise(rng, (H, W), 2.0 / u, 8.0 / u)
        self.tex_low = _bandnoise(rng, (H, W), 6.0 / u, 0)

    def layer_k(self, k: int) -> list[np.ndarray]:
        if k not in self.layers:
            self.layers[k] = [np.zeros((self.H, self.W), F32), np.zeros((self.H, self.W), F32)]
        return self.layers[k]

    def layer(self, dz: float) -> list[np.ndarray]:
        return self.layer_k(_zkey(dz))

    def win(self, cx: float, cy: float, rx: float, ry: float | None = None) -> _Window | None:
        ry = rx if ry is None else ry
        x0 = max(math.floor(cx - rx) - 2, 0)
        x1 = min(math.ceil(cx + rx) + 3, self.W)
        y0 = max(math.floor(cy - ry) - 2, 0)
        y1 = min(math.ceil(cy + ry) + 3, self.H)
        if x1 <= x0 or y1 <= y0:
            return None
        X = np.arange(x0, x1, dtype=F32)[None, :]
        Y = np.arange(y0, y1, dtype=F32)[:, None]
        return (slice(y0, y1), slice(x0, x1)), X, Y

    def add(self, sl: _Slice2, opd: np.ndarray | None = None, od: np.ndarray | None = None, dz: float = 0.0) -> None:
        L = self.layer(dz)
        if opd is not None:
            L[0][sl] += opd
        if od is not None:
            L[1][sl] += od

    def add_seg(
        self, sl: _Slice2, za: np.ndarray, zb: np.ndarray, dn: float | np.ndarray, od_um: float | np.ndarray | None
    ) -> None:
        """Matter between depths za..zb (um, relative to the focal plane) with
        refractive excess dn and optical density od_um per um, split by depth."""
        za = np.asarray(za, F32)
        zb = np.asarray(zb, F32)
        valid = zb > za
        if not np.any(valid):
            return
        lo_all = float(za[valid].min())
        hi_all = float(zb[valid].max())
        # construct intervals for keys in order
        ivs: list[tuple[int, float, float]] = []
        neg = [-e for e in reversed(_ZE)]  # -80 .. -1.5
        ivs.append((-len(_ZE), -1e9, neg[0]))
        for j in range(len(neg) - 1):
            ivs.append((-(len(_ZE) - 1 - j), neg[j], neg[j + 1]))
        ivs.append((0, -_ZE[0], _ZE[0]))
        for j in range(len(_ZE) - 1):
            ivs.append((j + 1, _ZE[j], _ZE[j + 1]))
        ivs.append((len(_ZE), _ZE[-1], 1e9))
        for k, e0, e1 in ivs:
            if e1 <= lo_all or e0 >= hi_all:
                continue
            ov = np.clip(np.minimum(zb, e1) - np.maximum(za, e0), 0, None)
            if not np.any(ov > 0):
                continue
            L = self.layer_k(k)
            L[0][sl] += (dn * ov).astype(F32)
            if od_um is not None:
                L[1][sl] += (od_um * ov).astype(F32)


def _star_r(theta: np.ndarray, r: float, harm: _Harm | None) -> np.ndarray:
    rr = np.full(theta.shape, r, F32)
    for k, a, ph in harm or ():
        rr = rr + F32(r * a) * np.cos(k * theta + ph).astype(F32)
    return rr


def _chord_star(
    X: np.ndarray, Y: np.ndarray, cx: float, cy: float, r: float, harm: _Harm | None = None, zscale: float = 1.0
) -> np.ndarray:
    """Chord length (px) through a star-shaped body of revolution."""
    dx, dy = X - cx, Y - cy
    d2 = dx * dx + dy * dy
    if harm:
        rr = _star_r(np.arctan2(dy, dx), r, harm)
        r2: np.ndarray | np.float32 = rr * rr
    else:
        r2 = F32(r * r)
    return (2.0 * zscale * np.sqrt(np.maximum(r2 - d2, 0.0))).astype(F32)


def _chord_ellipsoid(
    X: np.ndarray, Y: np.ndarray, cx: float, cy: float, a: float, b: float, c: float, ang: float
) -> np.ndarray:
    ca, sa = math.cos(ang), math.sin(ang)
    u = (X - cx) * ca + (Y - cy) * sa
    v = -(X - cx) * sa + (Y - cy) * ca
    q = 1.0 - (u / a) ** 2 - (v / b) ** 2
    return (2.0 * c * np.sqrt(np.maximum(q, 0.0))).astype(F32)


def _harm(rng: np.random.Generator, kmax: int, amp: float, kmin: int = 2) -> _Harm:
    """Random low-order radial harmonics (k, amplitude, phase)."""
    out: _Harm = []
    for k in range(kmin, kmax + 1):
        out.append((k, float(rng.normal(0, amp / k**0.8)), _u(rng, 0, 2 * math.pi)))
    return out


def _harm_max(harm: _Harm | None) -> float:
    return float(sum(abs(a) for _, a, _ in harm)) if harm else 0.0


# ----------------------------------------------------------------------------
# zona pellucida, debris, cumulus remnants, holding pipette
# ----------------------------------------------------------------------------
def _half_chord(X: np.ndarray, Y: np.ndarray, cx: float, cy: float, r: float, harm: _Harm | None = None) -> np.ndarray:
    """Half chord (px) through a star-shaped body of revolution (0 outside)."""
    return 0.5 * _chord_star(X, Y, cx, cy, r, harm)


def _draw_zona(
    cv: _Canvas,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    ro_px: float,
    ri_px: float,
    harm: _Harm | None,
    dn: float,
    hole: tuple[float, float, float] | None = None,
    dz: float = 0.0,
    texture: float = 1.0,
) -> None:
    """Spherical (slightly star-shaped) shell split in depth (optical sections).
    hole=(ax, ay, cut_px) removes the part of the shell with (p-c).a >= cut."""
    w = cv.win(cx, cy, ro_px * (1 + _harm_max(harm)) + 2)
    if w is None:
        return
    sl, X, Y = w
    u = cv.upp
    ho = _half_chord(X, Y, cx, cy, ro_px, harm) * u
    hi = _half_chord(X, Y, cx, cy, ri_px, harm) * u
    hm = _half_chord(X, Y, cx, cy, 0.5 * (ro_px + ri_px), harm) * u
    keep: float | np.ndarray = 1.0
    if hole is not None:
        ax, ay, cut = hole
        proj = (X - cx) * ax + (Y - cy) * ay
        keep = np.clip((cut - proj) / (2.5 / u) + 0.5, 0, 1).astype(F32) ** 1.5
    dnk = dn * keep
    for sg in (1, -1):
        za, zb = (hi, ho) if sg > 0 else (-ho, -hi)
        cv.add_seg(sl, za + dz, zb + dz, dnk, 0.0015 * keep)
        # inner zona layer slightly denser
        za, zb = (hi, np.maximum(hm, hi)) if sg > 0 else (-np.maximum(hm, hi), -hi)
        cv.add_seg(sl, za + dz, zb + dz, 0.3 * dnk, None)
    # faint texture near the rim (in focus)
    rimw = np.clip((ho - hi) / (2.0 + 1e-3), 0, 1) * (hi <= 0)
    tex = cv.tex_mid[sl] * 0.7 + cv.tex_fine[sl] * 0.3
    cv.add(sl, (0.015 * texture * rimw * tex * keep).astype(F32), None, dz)


def _draw_debris(cv: _Canvas, rng: np.random.Generator, n: int, avoid: list[tuple[float, float, float]]) -> None:
    """Small refractile particles and granular debris in the medium."""
    for _ in range(n):
        for _try in range(6):
            x, y = _u(rng, 0, cv.W), _u(rng, 0, cv.H)
            if all((x - ax) ** 2 + (y - ay) ** 2 > (ar + 4) ** 2 for ax, ay, ar in avoid):
                break
        else:
            continue
        r = (0.4 + 2.2 * rng.random() ** 2.5) / cv.upp
        dz = float(rng.normal(0, 12))
        w = cv.win(x, y, r * 1.6)
        if w is None:
            continue
        sl, X, Y = w
        harm = _harm(rng, 4, 0.25)
        t = _chord_star(X, Y, x, y, r, harm) * cv.upp
        cv.add(sl, 0.06 * t, 0.03 * t, dz)


def _draw_cumulus(cv: _Canvas, rng: np.random.Generator, cx: float, cy: float, ro_px: float, dz: float = 0.0) -> None:
    """A few corona/cumulus cells still attached to the zona (denudation remnant)."""
    ncl = int(rng.integers(1, 4))
    for _ in range(ncl):
        ang = _u(rng, 0, 2 * math.pi)
        ncell = int(rng.integers(1, 9))
        for _k in range(ncell):
            rc = _u(rng, 3.5, 6.0) / cv.upp
            a = ang + float(rng.normal(0, 0.12))
            dist = ro_px + rc * _u(rng, 0.6, 1.0) + abs(float(rng.normal(0, 1.0))) * rc * 1.2
            x, y = cx + dist * math.cos(a), cy + dist * math.sin(a)
            w = cv.win(x, y, rc * 1.3)
            if w is None:
                continue
            sl, X, Y = w
            hm = _harm(rng, 4, 0.12)
            t = _chord_star(X, Y, x, y, rc, hm) * cv.upp
            tex = cv.tex_mid[sl]
            opd = 0.03 * t * (1 + 0.3 * tex)
            # nucleus: a darker dense dot
            nx, ny = x + float(rng.normal(0, 0.2)) * rc, y + float(rng.normal(0, 0.2)) * rc
            tn = _chord_star(X, Y, nx, ny, rc * 0.5) * cv.upp
            cv.add(sl, opd + 0.02 * tn, 0.004 * t + 0.012 * tn, dz)


def _draw_pipette(cv: _Canvas, rng: np.random.Generator, cx: float, cy: float, ro_px: float) -> None:
    """Holding pipette (glass capillary) touching the zona from the left or right."""
    side = -1 if rng.random() < 0.75 else 1
    Ro = _u(rng, 28, 45) / cv.upp
    Ri = Ro * _u(rng, 0.22, 0.35)
    tilt = float(rng.normal(0, 0.06))
    tip_x = cx + side * (ro_px - 0.03 * ro_px)
    sl: _Slice2 = (slice(0, cv.H), slice(0, cv.W))
    X = np.arange(cv.W, dtype=F32)[None, :]
    Y = np.arange(cv.H, dtype=F32)[:, None]
    yy = (Y - cy) - (X - tip_x) * math.tan(tilt)
    along = (X - tip_x) * side
    inside = np.clip(along / 1.5 + 0.5, 0, 1)
    t = 2 * (np.sqrt(np.maximum(Ro * Ro - yy * yy, 0)) - np.sqrt(np.maximum(Ri * Ri - yy * yy, 0)))
    t = (t * inside * cv.upp).astype(F32)
    # polished tip: blunt rounded end
    cv.add(sl, 0.05 * t, 0.0006 * t, 0.0)


def _draw_sperm(cv: _Canvas, rng: np.random.Generator, x: float, y: float, ang: float, dz: float = 0.0) -> None:
    """A spermatozoon (stuck to the zona of an IVF embryo)."""
    L = 4.5 / cv.upp
    wdt = 2.8 / cv.upp
    w = cv.win(x, y, L * 1.5)
    if w is not None:
        sl, X, Y = w
        t = _chord_ellipsoid(X, Y, x, y, L / 2, wdt / 2, wdt / 2, ang) * cv.upp
        cv.add(sl, 0.05 * t, 0.01 * t, dz)
    # tail: a thin wavy line
    tail_len = _u(rng, 35, 50) / cv.upp
    n = int(tail_len / 0.7) + 2
    s = np.linspace(0, tail_len, n)
    amp = _u(rng, 0.5, 2.5) / cv.upp
    wl = _u(rng, 15, 25) / cv.upp
    ph = _u(rng, 0, 6.28)
    px = x - (L / 2 + s) * math.cos(ang) - amp * np.sin(2 * math.pi * s / wl + ph) * math.sin(ang)
    py = y - (L / 2 + s) * math.sin(ang) + amp * np.sin(2 * math.pi * s / wl + ph) * math.cos(ang)
    L0 = cv.layer(dz)
    ix = np.round(px).astype(int)
    iy = np.round(py).astype(int)
    ok = (ix >= 0) & (ix < cv.W) & (iy >= 0) & (iy < cv.H)
    thick = 0.7 * np.linspace(1.0, 0.4, n)
    np.add.at(L0[0], (iy[ok], ix[ok]), (0.05 * thick[ok] * 1.0).astype(F32))


# ----------------------------------------------------------------------------
# image formation
# ----------------------------------------------------------------------------
def _form_image(cv: _Canvas, rng: np.random.Generator, style: dict[str, Any]) -> np.ndarray:
    """Blur focal layers, form the HMC / BF image, illumination, noise -> uint8."""
    H, W, upp = cv.H, cv.W, cv.upp
    OPD = np.zeros((H, W), F32)
    OD = np.zeros((H, W), F32)
    # full-resolution layers share one padded spectrum (sum of H_k * F(L_k), one inverse FFT);
    # strongly defocused layers do the same on a 4x block-averaged grid
    pad = 16
    Hp, Wp = _nice(H + 2 * pad), _nice(W + 2 * pad)
    py0, px0 = (Hp - H) // 2, (Wp - W) // 2
    f = 4
    Hc, Wc = -(-H // f) * f, -(-W // f) * f
    hs, ws = Hc // f, Wc // f
    Hq, Wq = _nice(hs + 2 * pad), _nice(ws + 2 * pad)
    qy0, qx0 = (Hq - hs) // 2, (Wq - ws) // 2
    acc: np.ndarray | None = None
    accq: np.ndarray | None = None
    for k, (o, a) in cv.layers.items():
        dz = abs(_zmid(k))
        s_um = math.sqrt(style["psf"] ** 2 + (style["dof"] * dz) ** 2)
        sig = s_um / upp
        z: np.ndarray = (o + 1j * a).astype(np.complex64)
        if sig >= 6.0:
            zp = np.pad(z, ((0, Hc - H), (0, Wc - W)), mode="edge")
            zs = zp.reshape(hs, f, ws, f).mean(axis=(1, 3))
            zs = np.pad(zs, ((qy0, Hq - hs - qy0), (qx0, Wq - ws - qx0)), mode="edge")
            sig_s = math.sqrt(max(sig**2 - (f * f - 1) / 12.0, 0.04)) / f
            Z = np.fft.fft2(zs) * _gauss_tf((Hq, Wq), sig_s)
            accq = Z if accq is None else accq + Z
            continue
        z = np.pad(z, ((py0, Hp - H - py0), (px0, Wp - W - px0)), mode="edge")
        Z = np.fft.fft2(z) * _gauss_tf((Hp, Wp), sig)
        acc = Z if acc is None else acc + Z
    if acc is not None:
        z = np.fft.ifft2(acc)[py0 : py0 + H, px0 : px0 + W]
        OPD += z.real.astype(F32)
        OD += z.imag.astype(F32)
    if accq is not None:
        z = np.fft.ifft2(accq)[qy0 : qy0 + hs, qx0 : qx0 + ws]
        OPD += _resize_f(z.real.astype(F32), (Hc, Wc))[:H, :W]
        OD += _resize_f(z.imag.astype(F32), (Hc, Wc))[:H, :W]
    mode = style["mode"]
    if mode == "hmc":
        gy, gx = np.gradient(OPD)
        g = (gx * math.cos(style["theta"]) + gy * math.sin(style["theta"])) / upp
        rel = np.tanh(g / style["g0"])
        img = style["bg"] * (1 + style["amp"] * rel) * np.exp(-OD)
        # a weak bright-field component (residual phase halo)
        lap = _laplace(OPD) / (upp * upp)
        img *= 1 + 0.05 * np.tanh(lap / 0.05)
    else:
        lap = _laplace(_blur(OPD, 0.6 / upp)) / (upp * upp)
        img = style["bg"] * np.exp(-OD * style["od_gain"]) * (1 + style["bf_c"] * np.tanh(lap / style["l0"]))
        img *= 1 - style["bf_phase"] * np.tanh(OPD / 1.5)
    # illumination: gradient + vignette + low-frequency unevenness
    X = (np.arange(W, dtype=F32)[None, :] - W / 2) / (0.5 * max(H, W))
    Y = (np.arange(H, dtype=F32)[:, None] - H / 2) / (0.5 * max(H, W))
    ga = style["grad_ang"]
    illum = 1 + style["grad"] * (X * math.cos(ga) + Y * math.sin(ga))
    illum = illum * (1 - style["vig"] * (X * X + Y * Y))
    illum = illum * (1 + style["uneven"] * _blur(cv.tex_low, 12.0 / upp) / 0.3)
    img = img * illum
    # out-of-focus dust on optics: soft dark discs / rings
    for _ in range(style["n_dust"]):
        x, y = _u(rng, 0, W), _u(rng, 0, H)
        r = _u(rng, 4, 25) * (max(H, W) / 640)
        d = np.hypot(np.arange(W, dtype=F32)[None, :] - x, np.arange(H, dtype=F32)[:, None] - y)
        ring = np.exp(-(((d - r) / (0.25 * r + 1)) ** 2)) * 0.6 + (d < r) * 0.4
        img = img * (1 - _u(rng, 0.01, 0.05) * ring)
    # well wall (time-lapse microwell) as a dark circle around the field
    if style.get("well"):
        cxw, cyw, rw = style["well"]
        d = np.hypot(np.arange(W, dtype=F32)[None, :] - cxw, np.arange(H, dtype=F32)[:, None] - cyw)
        edge = 1 / (1 + np.exp(-np.clip((d - rw) / 3.0, -50, 50)))
        img = (
            img * (1 - 0.55 * edge)
            - 0.1 * np.exp(-(((d - rw) / 4.0) ** 2))
            + 0.08 * np.exp(-(((d - rw - 8) / 5.0) ** 2))
        )
    img = np.clip(img, 0, 1.2)
    # sensor noise (Poisson-Gaussian) in electrons
    full = style["full_well"]
    lam = np.clip(img, 0, None) * full
    img = (rng.poisson(lam).astype(F32) + rng.normal(0, style["read"], img.shape).astype(F32)) / full
    img = np.clip(img, 0, 1) ** (1 / style["gamma"])
    return img


def _laplace(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="edge")
    return (p[1:-1, :-2] + p[1:-1, 2:] + p[:-2, 1:-1] + p[2:, 1:-1] - 4 * a).astype(F32)


def _finish(img: np.ndarray, rng: np.random.Generator, style: dict[str, Any]) -> np.ndarray:
    """Colour cast, quantisation and optional JPEG round trip."""
    if style["rgb"]:
        tint = np.asarray(style["tint"], F32)
        out = img[..., None] * tint[None, None, :]
        out = out + rng.normal(0, 0.006, out.shape).astype(F32)
        arr = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
    else:
        arr = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    if style["jpeg"]:
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="JPEG", quality=int(style["jpeg"]))
        buf.seek(0)
        arr = np.asarray(Image.open(buf).convert("RGB" if style["rgb"] else "L"))
    return arr


def _style(rng: np.random.Generator, kind: str) -> dict[str, Any]:
    """Microscope / camera settings of one capture."""

    def u(a: float, b: float) -> float:
        return _u(rng, a, b)

    r = rng.random()
    mode = "hmc" if r < (0.75 if kind == "oocyte" else 0.65) else "bf"
    timelapse = mode == "bf" and rng.random() < 0.45
    if timelapse:
        size = (500, 500) if rng.random() < 0.7 else (600, 600)
    else:
        opts = [(640, 480), (640, 480), (768, 576), (800, 600), (720, 540), (720, 576)]
        size = opts[int(rng.integers(len(opts)))]
    st: dict[str, Any] = dict(
        mode=mode,
        timelapse=timelapse,
        W=size[0],
        H=size[1],
        psf=u(0.45, 1.0) + (u(0, 0.5) if rng.random() < 0.25 else 0.0),
        dof=u(0.12, 0.3) if kind == "oocyte" else u(0.05, 0.12),
        theta=u(0, 2 * math.pi),
        g0=u(0.05, 0.1),
        amp=u(0.35, 0.6),
        bg=u(0.42, 0.68),
        od_gain=u(0.8, 1.4),
        bf_c=u(0.12, 0.3),
        l0=u(0.02, 0.05),
        bf_phase=u(0.0, 0.12),
        grad=u(0, 0.18),
        grad_ang=u(0, 2 * math.pi),
        vig=u(0.0, 0.25),
        uneven=u(0, 0.05),
        n_dust=int(rng.integers(0, 4)),
        full_well=u(250, 2500),
        read=u(1.0, 5.0),
        gamma=u(0.9, 1.25),
        rgb=(not timelapse) and rng.random() < 0.55,
        jpeg=int(rng.integers(72, 96)) if rng.random() < 0.45 else 0,
    )
    if timelapse:
        st["bg"] = u(0.3, 0.5)
        st["vig"] = u(0.1, 0.35)
    if st["rgb"]:
        kind_t = rng.random()
        if kind_t < 0.5:  # warm halogen
            st["tint"] = (1.0, u(0.9, 0.98), u(0.72, 0.88))
        elif kind_t < 0.8:  # green interference filter / LED
            st["tint"] = (u(0.85, 0.95), 1.0, u(0.8, 0.92))
        else:  # nearly neutral
            st["tint"] = (u(0.96, 1.0), 1.0, u(0.95, 1.02))
    return st


def _frame(
    rng: np.random.Generator, st: dict[str, Any], extent_um: float, frac: tuple[float, float], cx_off_um: float = 0.0
) -> tuple[int, int, float]:
    """Choose um_per_px so that an object of extent_um spans frac of the short side."""
    H, W = st["H"], st["W"]
    f = _u(rng, *frac)
    upp = extent_um / (f * min(H, W))
    return H, W, upp


def _place(
    rng: np.random.Generator, H: int, W: int, half_w_px: float, half_h_px: float, margin: float = 4
) -> tuple[float, float]:
    """Random object centre keeping a box of half sizes inside the frame."""
    lo_x, hi_x = half_w_px + margin, W - half_w_px - margin
    lo_y, hi_y = half_h_px + margin, H - half_h_px - margin
    x = _u(rng, lo_x, hi_x) if hi_x > lo_x else W / 2
    y = _u(rng, lo_y, hi_y) if hi_y > lo_y else H / 2
    # mild preference for the centre (clinicians centre the object)
    x = 0.5 * x + 0.5 * (W / 2 + (x - W / 2) * 0.6) if rng.random() < 0.5 else x
    y = 0.5 * y + 0.5 * (H / 2 + (y - H / 2) * 0.6) if rng.random() < 0.5 else y
    return float(x), float(y)


def _well(
    rng: np.random.Generator, st: dict[str, Any], cx: float, cy: float, extent_px: float
) -> tuple[float, float, float] | None:
    if st["timelapse"] and rng.random() < 0.8:
        rw = max(extent_px * _u(rng, 0.62, 0.8), 0.42 * min(st["H"], st["W"]))
        return (cx + float(rng.normal(0, 5)), cy + float(rng.normal(0, 5)), rw)
    return None


# ----------------------------------------------------------------------------
# cytoplasm painter
# ----------------------------------------------------------------------------
def _paint_cytoplasm(
    cv: _Canvas,
    sl: _Slice2,
    t_um: np.ndarray,
    r_um: float,
    dn: float,
    gran: float,
    od: float,
    coarse: float = 0.0,
    dz: float = 0.0,
    extra_opd: np.ndarray | None = None,
    extra_od: np.ndarray | None = None,
    seg: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Granular cytoplasm.  Bulk OPD = chord*dn, split over depth when seg=(za, zb)
    (um, relative to the focal plane) is given, else put in the layer at dz;
    granule texture (weighted by the chord) and extras go to the layer at dz."""
    w = np.clip(t_um / (2 * r_um + 1e-6), 0, 1)
    tex = cv.tex_fine[sl] * (1 - coarse) + cv.tex_mid[sl] * coarse
    opd = gran * np.sqrt(w) * tex
    odm = od * t_um / 40.0 * (0.3 * cv.tex_mid[sl] * (0.3 + coarse))
    if seg is None:
        opd = opd + dn * t_um
        odm = odm + od * t_um / 40.0
    else:
        cv.add_seg(sl, seg[0], seg[1], dn, od / 40.0)
    if extra_opd is not None:
        opd = opd + extra_opd
    if extra_od is not None:
        odm = odm + extra_od
    cv.add(sl, opd.astype(F32), odm.astype(F32), dz)


def _sphere_seg(
    X: np.ndarray, Y: np.ndarray, cx: float, cy: float, r_px: float, harm: _Harm | None, upp: float, zc_um: float = 0.0
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    h = _half_chord(X, Y, cx, cy, r_px, harm) * upp
    return 2 * h, (zc_um - h, zc_um + h)


# ----------------------------------------------------------------------------
# OOCYTE
# ----------------------------------------------------------------------------
OOCYTE_LABELS = ["GV", "MI", "MII", "degenerate"]


def oocyte_sample(seed: int, i: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One denuded oocyte (GV / MI / MII / degenerate) inside its zona pellucida.

    Returns (image uint8 HxW or HxWx3, truth dict).  truth keys: label, um_per_px,
    center_px [x, y] (zona centre), zona_outer_radius_px, modality, plus descriptive extras
    (zona_inner_radius_px, ooplasm_radius_px, ooplasm_center_px, pb_center_px, pb_radius_px,
    pb_fragmented, gv_center_px, gv_radius_px, nucleolus_center_px, degeneration).

    Labels are exactly balanced in every block of 4 consecutive i (seed-dependent permutation):

    * GV: a smooth round nucleus (radius 8-11 um, eccentric, in the focal plane) with a denser
      envelope and one refractile nucleolus (radius 2.3-3.5 um); no polar body.
    * MI: normal ooplasm, no GV, no polar body; narrow perivitelline space (PVS, 0.4-3 um).
    * MII: a first polar body (ellipsoid, radial semi-axis 3.4-5.0 um, tangential 1.0-1.35x that)
      in the PVS, in the equatorial section and touching the zona; fragmented in 15 % (still MII).
    * degenerate (``degeneration``): ``dark`` (45 %: ooplasm shrunk to 0.62-0.85x, misshapen, OD
      0.35-0.9, coarsely granular), ``fragmented`` (30 %: 3-7 dark irregular pieces) or ``lysed``
      (25 %: blotchy, vacuolated, partly clear); never a GV or polar body.

    Confounders that do not change the label: faint PVS granularity (30 % of non-degenerate),
    small vacuoles (radius 2-4.5 um, no nucleolus; 8 % of MI/MII), a mild central granular zone
    (15 %), cumulus/corona cells on the zona (30 %), an ICSI holding pipette (15 %).
    Zona thickness 13-18 um.
    """
    label = _block_pick(seed, i, "oocyte", OOCYTE_LABELS)
    rng = _rng(seed, i, "oocyte")
    st = _style(rng, "oocyte")
    D_um = _u(rng, 110, 120)
    tz_um = _u(rng, 13, 18)
    H, W, upp = _frame(rng, st, D_um, (0.60, 0.95))
    cv = _Canvas(H, W, upp, rng)
    ro = D_um / 2 / upp
    ri = (D_um / 2 - tz_um) / upp
    ell = _u(rng, 0, 0.03)
    zharm = [(2, ell, _u(rng, 0, math.pi))] + [(k, float(rng.normal(0, 0.004)), _u(rng, 0, 6.28)) for k in (3, 4, 5)]
    hz = ro * (1 + _harm_max(zharm))
    cx, cy = _place(rng, H, W, hz, hz, margin=2)
    truth: dict[str, Any] = {
        "label": label,
        "um_per_px": float(upp),
        "center_px": [cx, cy],
        "zona_outer_radius_px": float(ro),
    }
    zdn = _u(rng, 0.010, 0.018)
    _draw_zona(cv, rng, cx, cy, ro, ri, zharm, zdn)
    Ri_um = D_um / 2 - tz_um

    dn = _u(rng, 0.018, 0.03)
    gran = _u(rng, 0.012, 0.035)
    od = _u(rng, 0.02, 0.08)
    if label in ("GV", "MI", "MII"):
        if label == "MII":
            pb_b = _u(rng, 3.4, 5.0)  # radial semi-axis
            pb_a = pb_b * _u(rng, 1.0, 1.35)  # tangential semi-axis
            gap_pb = 2 * pb_b + _u(rng, 0.3, 2.0)
            gap_opp = _u(rng, 0.5, 4.0)
        else:
            gap_pb = gap_opp = _u(rng, 0.4, 3.0)
        roo_um = Ri_um - 0.5 * (gap_pb + gap_opp)
        off_um = 0.5 * (gap_pb - gap_opp)
        phi = _u(rng, 0, 2 * math.pi)  # direction of PB side
        ox = cx - off_um / upp * math.cos(phi)
        oy = cy - off_um / upp * math.sin(phi)
        roo = roo_um / upp
        oharm = _harm(rng, 5, 0.006)
        w = cv.win(ox, oy, roo * 1.05)
        assert w is not None
        sl, X, Y = w
        t, seg = _sphere_seg(X, Y, ox, oy, roo, oharm, upp)
        extra_opd = np.zeros_like(t)
        extra_od = np.zeros_like(t)
        # mild cytoplasmic variation: central granular zone (rare, mild)
        if rng.random() < 0.15:
            rcg = roo * _u(rng, 0.3, 0.55)
            tc = _chord_star(X, Y, ox, oy, rcg) * upp
            extra_od += 0.004 * tc
            extra_opd += 0.02 * np.sqrt(np.clip(tc / (2 * rcg * upp), 0, 1)) * cv.tex_mid[sl]
        gvmask = None
        if label == "GV":
            rgv_um = _u(rng, 8.0, 11.0)
            rgv = rgv_um / upp
            dmax = roo - rgv - 3 / upp
            dd = _u(rng, 0.3, 0.95) * dmax
            a = _u(rng, 0, 2 * math.pi)
            gx, gy = ox + dd * math.cos(a), oy + dd * math.sin(a)
            tg = _chord_star(X, Y, gx, gy, rgv) * upp
            gvmask = np.clip(tg / (0.6 * rgv_um), 0, 1)
            dn_gv = _u(rng, 0.018, 0.028)
            extra_opd -= dn_gv * tg
            # nuclear envelope: thin dense shell
            te = (_chord_star(X, Y, gx, gy, rgv + 0.6 / upp) - _chord_star(X, Y, gx, gy, rgv)) * upp
            extra_opd += _u(rng, 0.025, 0.04) * te
            # nucleolus
            rn = _u(rng, 2.3, 3.5) / upp
            dn_off = _u(rng, 0, 0.45) * rgv
            an = _u(rng, 0, 2 * math.pi)
            nx, ny = gx + dn_off * math.cos(an), gy + dn_off * math.sin(an)
            tn = _chord_star(X, Y, nx, ny, rn) * upp
            extra_opd += _u(rng, 0.05, 0.08) * tn
            extra_od += _u(rng, 0.01, 0.025) * tn
            truth.update(
                gv_center_px=[float(gx), float(gy)], gv_radius_px=float(rgv), nucleolus_center_px=[float(nx), float(ny)]
            )
        # vacuoles (small, fluid-filled, no nucleolus) - occasional, all classes
        if label != "GV" and rng.random() < 0.08:
            for _ in range(int(rng.integers(1, 3))):
                rv = _u(rng, 2.0, 4.5) / upp
                dd = _u(rng, 0, roo - rv - 2 / upp)
                a = _u(rng, 0, 6.28)
                vx, vy = ox + dd * math.cos(a), oy + dd * math.sin(a)
                tv = _chord_star(X, Y, vx, vy, rv) * upp
                extra_opd -= 0.025 * tv
                if gvmask is None:
                    gvmask = np.zeros_like(tv)
                gvmask = np.maximum(gvmask, np.clip(tv / (0.5 * rv * upp), 0, 1))
        if gvmask is not None:
            # nucleoplasm / vacuole content is smooth: remove granules there
            tex = cv.tex_fine[sl] * 0.85 + cv.tex_mid[sl] * 0.15
            extra_opd -= gran * np.sqrt(np.clip(t / (2 * roo_um), 0, 1)) * tex * gvmask
        _paint_cytoplasm(
            cv, sl, t, roo_um, dn, gran, od, coarse=_u(rng, 0.0, 0.25), extra_opd=extra_opd, extra_od=extra_od, seg=seg
        )
        truth["ooplasm_radius_px"] = float(roo)
        truth["ooplasm_center_px"] = [float(ox), float(oy)]
        if label == "MII":
            # polar body in the PVS, tangent to the zona inner surface
            rr = (Ri_um - pb_b - _u(rng, 0.05, 0.4)) / upp
            px_, py_ = cx + rr * math.cos(phi), cy + rr * math.sin(phi)
            pieces = [(px_, py_, pb_a, pb_b)]
            if rng.random() < 0.15:  # fragmented first polar body
                s = pb_a * 0.55
                tx, ty = -math.sin(phi), math.cos(phi)
                pieces = [
                    (px_ + tx * s / upp, py_ + ty * s / upp, pb_a * 0.6, pb_b * 0.85),
                    (px_ - tx * s / upp, py_ - ty * s / upp, pb_a * 0.5, pb_b * 0.75),
                ]
            for bx, by, a_um, b_um in pieces:
                w2 = cv.win(bx, by, a_um / upp * 1.3)
                assert w2 is not None
                sl2, X2, Y2 = w2
                t2 = _chord_ellipsoid(X2, Y2, bx, by, b_um / upp, a_um / upp, a_um / upp, phi) * upp
                _paint_cytoplasm(cv, sl2, t2, a_um, dn * _u(rng, 1.2, 1.6), gran * 0.8, od * 1.5, coarse=0.3)
            truth["pb_center_px"] = [float(px_), float(py_)]
            truth["pb_radius_px"] = float(pb_a / upp)
            truth["pb_fragmented"] = len(pieces) > 1
        # PVS granularity (fine debris in the perivitelline space) - mild
        if rng.random() < 0.3:
            wz = cv.win(cx, cy, ri)
            assert wz is not None
            slz, Xz, Yz = wz
            tpv = np.maximum(_chord_star(Xz, Yz, cx, cy, ri * 0.995) - _chord_star(Xz, Yz, ox, oy, roo * 1.01), 0) * upp
            ring = np.clip(tpv / 8, 0, 1) * (np.hypot(Xz - cx, Yz - cy) > roo)
            cv.add(slz, (0.012 * ring * np.maximum(cv.tex_fine[slz], 0)).astype(F32), None)
    else:
        _draw_degenerate(cv, rng, cx, cy, Ri_um, dn, gran, truth)

    # surroundings
    if rng.random() < 0.3:
        _draw_cumulus(cv, rng, cx, cy, ro)
    if rng.random() < 0.15:
        _draw_pipette(cv, rng, cx, cy, ro)
    _draw_debris(cv, rng, int(rng.integers(0, 30)), [(cx, cy, ro)])
    st["well"] = _well(rng, st, cx, cy, 2 * ro)
    img = _form_image(cv, rng, st)
    arr = _finish(img, rng, st)
    truth.update(zona_inner_radius_px=float(ri), modality=st["mode"] + ("-timelapse" if st["timelapse"] else ""))
    return arr, truth


def _draw_degenerate(
    cv: _Canvas,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    Ri_um: float,
    dn: float,
    gran: float,
    truth: dict[str, Any],
) -> None:
    upp = cv.upp
    sub = rng.choice(["dark", "fragmented", "lysed"], p=[0.45, 0.3, 0.25])
    truth["degeneration"] = str(sub)
    if sub == "fragmented":
        n = int(rng.integers(3, 8))
        vols = rng.dirichlet(np.full(n, 1.5)) * (4 / 3 * math.pi * (Ri_um * _u(rng, 0.8, 0.92)) ** 3) * 0.7
        rs = (vols * 3 / (4 * math.pi)) ** (1 / 3)
        pos: list[tuple[tuple[float, float], float]] = []
        for r in sorted(rs, reverse=True):
            best: tuple[float, tuple[float, float]] | None = None
            for _t in range(40):
                dd = _u(rng, 0, max(Ri_um - r * 0.95, 0.1))
                a = _u(rng, 0, 6.28)
                p = (dd * math.cos(a), dd * math.sin(a))
                ov = max([0.0] + [(rr + r) * 0.9 - math.hypot(p[0] - q[0], p[1] - q[1]) for q, rr in pos])
                if best is None or ov < best[0]:
                    best = (ov, p)
                if ov <= 0:
                    break
            assert best is not None
            pos.append((best[1], r))
        for (px, py), r in pos:
            x, y = cx + px / upp, cy + py / upp
            hm = _harm(rng, 6, 0.08)
            w = cv.win(x, y, r / upp * 1.4)
            assert w is not None
            sl, X, Y = w
            t, seg = _sphere_seg(X, Y, x, y, r / upp, hm, upp, zc_um=float(rng.normal(0, 3)))
            _paint_cytoplasm(
                cv,
                sl,
                t,
                r,
                dn * _u(rng, 1.1, 1.5),
                gran * _u(rng, 1.5, 2.5),
                _u(rng, 0.25, 0.6),
                coarse=_u(rng, 0.5, 0.9),
                seg=seg,
            )
        truth["ooplasm_radius_px"] = float(max(rs) / upp)
        return
    shrink = _u(rng, 0.62, 0.85) if sub == "dark" else _u(rng, 0.8, 0.97)
    r_um = Ri_um * shrink
    hm = _harm(rng, 6, 0.07 if sub == "dark" else 0.1)
    off = (Ri_um - r_um * (1 + _harm_max(hm))) * _u(rng, 0, 0.8)
    a = _u(rng, 0, 6.28)
    ox, oy = cx + off / upp * math.cos(a), cy + off / upp * math.sin(a)
    w = cv.win(ox, oy, r_um / upp * (1 + _harm_max(hm)) + 2)
    assert w is not None
    sl, X, Y = w
    t, seg = _sphere_seg(X, Y, ox, oy, r_um / upp, hm, upp)
    extra_od: np.ndarray | None = None
    extra_opd: np.ndarray | None = None
    if sub == "dark":
        od = _u(rng, 0.35, 0.9)
        coarse = _u(rng, 0.6, 1.0)
        g = gran * _u(rng, 1.8, 3.0)
        dnn = dn * _u(rng, 1.2, 1.6)
    else:  # lysed / atretic: blotchy, partly clear, vacuolated, ill-defined
        od = _u(rng, 0.15, 0.4)
        coarse = 1.0
        g = gran * _u(rng, 1.2, 2.0)
        dnn = dn * _u(rng, 0.6, 0.9)
        blot = _blur(cv.tex_coarse, 1.0)[sl]
        extra_od = (0.12 * np.clip(blot, -1, 2) * t / 40 + 0.1 * np.clip(blot, 0, None) * (t > 0)).astype(F32)
        extra_opd = np.zeros_like(t)
        for _ in range(int(rng.integers(2, 7))):
            rv = _u(rng, 2.0, 6.0) / upp
            dd = _u(rng, 0, max(r_um / upp - rv, 1))
            aa = _u(rng, 0, 6.28)
            tv = _chord_star(X, Y, ox + dd * math.cos(aa), oy + dd * math.sin(aa), rv) * upp
            extra_opd -= 0.03 * tv
    _paint_cytoplasm(cv, sl, t, r_um, dnn, g, od, coarse=coarse, extra_opd=extra_opd, extra_od=extra_od, seg=seg)
    truth["ooplasm_radius_px"] = float(r_um / upp)
    truth["ooplasm_center_px"] = [float(ox), float(oy)]


# ----------------------------------------------------------------------------
# DAY-3 EMBRYO
# ----------------------------------------------------------------------------
_D3_COUNTS = [2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10]
_D3_COMBOS = [(c, g) for c in _D3_COUNTS for g in (1, 2, 3)]


def _stage_volumes(n: int) -> list[float]:
    """Stage-specific volume fractions: synchronous cleavage from 1 cell, i.e. a
    mixture of two successive generations (1/2^g and 1/2^(g+1))."""
    g = math.floor(math.log2(n))
    lo = 2**g
    if n == lo:
        return [1.0 / n] * n
    n_small = 2 * (n - lo)
    n_big = n - n_small
    return [1.0 / lo] * n_big + [1.0 / (2 * lo)] * n_small


def _size_dev(vols: np.ndarray, n: int) -> float:
    """max |d_i/d_expected_i - 1| after sorting (diameters ~ V^(1/3))."""
    e = np.sort(np.asarray(_stage_volumes(n))) ** (1 / 3)
    d = np.sort(vols / vols.sum()) ** (1 / 3)
    return float(np.max(np.abs(d / e - 1)))


def _body_chords(
    cv: _Canvas, bodies: _Bodies, zc: tuple[float, float, float], gap_px: float, excl: int = -1
) -> tuple[list[_Chord | None], np.ndarray]:
    """Chord (um) of every body = sphere  cut by power planes  clipped by zona sphere.
    bodies: arrays x,y,z,r (px).  Returns a list of (sl, t_um, (z_lo_px, z_hi_px)) or None (body outside the
    frame) and the volumes (um^3)."""
    x, y, z, r = bodies["x"], bodies["y"], bodies["z"], bodies["r"]
    n = len(r)
    zx, zy, zr = zc
    P = np.stack([x, y, z], 1)
    D = np.linalg.norm(P[:, None, :] - P[None, :, :], axis=2)
    out: list[_Chord | None] = []
    vols = np.zeros(n)
    upp = cv.upp
    for i in range(n):
        w = cv.win(x[i], y[i], r[i] + 1)
        if w is None:
            out.append(None)
            continue
        sl, X, Y = w
        dx, dy = X - x[i], Y - y[i]
        h = np.sqrt(np.maximum(r[i] ** 2 - dx * dx - dy * dy, 0.0))
        lo = z[i] - h
        hi = z[i] + h
        mask = h > 0
        for j in np.nonzero((D[i] < r + r[i]) & (np.arange(n) != i))[0]:
            if i == excl:
                continue
            if j == excl:
                hc = np.sqrt(np.maximum(r[j] ** 2 - (X - x[j]) ** 2 - (Y - y[j]) ** 2, 0.0))
                has = hc > 0
                if z[i] >= z[j]:
                    lo = np.where(has, np.maximum(lo, z[j] + hc + gap_px / 2), lo)
                else:
                    hi = np.where(has, np.minimum(hi, z[j] - hc - gap_px / 2), hi)
                continue
            dv = P[j] - P[i]
            L = D[i, j]
            if L < 1e-6:
                continue
            nx, ny, nz = dv / L
            s = (L * L + r[i] ** 2 - r[j] ** 2) / (2 * L) - gap_px / 2
            q = s - dx * nx - dy * ny
            if nz > 1e-4:
                hi = np.minimum(hi, z[i] + q / nz)
            elif nz < -1e-4:
                lo = np.maximum(lo, z[i] + q / nz)
            else:
                mask = mask & (q >= 0)
        hz = np.sqrt(np.maximum(zr**2 - (X - zx) ** 2 - (Y - zy) ** 2, 0.0))
        lo = np.maximum(lo, -hz)
        hi = np.minimum(hi, hz)
        ok = mask & (hi > lo)
        t = (np.where(ok, hi - lo, 0.0)).astype(F32) * upp
        vols[i] = float(t.sum()) * upp * upp
        out.append((sl, t, (np.where(ok, lo, 0.0).astype(F32), np.where(ok, hi, 0.0).astype(F32))))
    return out, vols


def _relax(
    r: np.ndarray,
    is_cell: np.ndarray,
    Rc: float,
    zlim: np.ndarray,
    init: np.ndarray,
    movable: np.ndarray | None = None,
    iters: int = 120,
    kappa: float = 0.93,
    proj: float = 0.6,
    protrude: float = 0.9,
) -> np.ndarray:
    """Push overlapping spheres apart inside a containing sphere (um units).
    Cells may interpenetrate a little (they are cut by power planes when drawn);
    cells are also kept apart in projection so that each stays countable."""
    P = init.copy()
    n = len(r)
    mv = np.ones(n, bool) if movable is None else movable
    cc = is_cell[:, None] & is_cell[None, :]
    S = (r[:, None] + r[None, :]) * np.where(cc, kappa, 0.97)
    S2 = np.where(cc, proj * (r[:, None] + r[None, :]), 0.0)
    np.fill_diagonal(S, 0)
    np.fill_diagonal(S2, 0)
    idx = np.nonzero(mv)[0]
    Pm = P[idx]
    for it in range(iters):
        dv = Pm[:, None, :] - P[None, :, :]
        d = np.sqrt((dv * dv).sum(2)) + 1e-9
        Si = S[idx]
        ov = np.maximum(Si - d, 0)
        # a fixed partner takes none of the push
        share = np.where(mv[None, :], 0.5, 1.0)
        push = (dv / d[..., None] * (ov * share)[..., None]).sum(1)
        S2i = S2[idx]
        if S2i.any():
            d2 = np.sqrt((dv[..., :2] ** 2).sum(2)) + 1e-9
            ov2 = np.maximum(S2i - d2, 0)
            push[:, :2] += (dv[..., :2] / d2[..., None] * (ov2 * 0.25)[..., None]).sum(1)
        Pm = Pm + push * (0.9 if it < iters - 20 else 0.5)
        rad = np.sqrt((Pm * Pm).sum(1)) + 1e-9
        lim = np.maximum(Rc - protrude * r[idx], 0.5)
        Pm *= np.minimum(1.0, lim / rad)[:, None]
        Pm[:, 2] = np.clip(Pm[:, 2], -zlim[idx], zlim[idx])
        P[idx] = Pm
    return P


def day3_sample(seed: int, i: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One day-3 cleavage-stage embryo.

    truth keys: cells (2..10), fragmentation_pct (volume %, from geometry),
    even (blastomere sizes stage-specific), multinucleation, istanbul_grade,
    um_per_px, center_px, modality, plus extras (fragment_area_pct, size_deviation,
    cell_volume_fractions, cell_centers_px, cell_radii_px, multinucleated_cells, n_fragments,
    count_visibility, count_min_separation, zona_outer_radius_px).

    Labels come in blocks of 60 (cells x target grade): 2, 3, 5, 6, 7, 9, 10 cells have weight 2,
    4 and 8 weight 3; target grades 1, 2, 3 one third each (grade 3: > 25 % fragmentation p 0.5,
    uneven p 0.5, multinucleation p 0.45, at least one forced).

    * cells: blastomeres drawn; 2-4 in one layer, 5-10 as a crown against the zona alternately above
      and below the mid-plane (a central cell from 8 on); focal plane within +-35 % of the crown
      height.  Best of up to 8 layouts: min projected d / (r_i + r_j) >= 0.4 if possible
      (``count_min_separation``), then the largest ``count_visibility`` (best effort).
    * fragmentation_pct: fragment volume / (fragment + blastomere volume) x 100, exact from the
      rendered chords; drawn only in [0, 6], [12.5, 21.5] or [30, 48] (guard bands around 10 and 25).
      Fragment radius 1.5 um to min(6 / 8.5 / 10 um by band, 0.5 x the smallest blastomere).
      ``fragment_area_pct`` (projected area) runs about 2-4x the volume figure: score area-based
      analyzers against it (roughly area < 30 <-> vol < 10, area > 55 <-> vol > 25).
    * even: sizes are stage-specific, i.e. synchronous cleavage (2, 4, 8 cells equal; 3 = 1/2 + 2x1/4,
      5 = 3x1/4 + 2x1/8, 6 = 2x1/4 + 4x1/8, 7 = 1/4 + 6x1/8, 9 = 7x1/8 + 2x1/16, 10 = 6x1/8 + 4x1/16
      of the volume).  ``size_deviation`` = max |d_i / d_expected,i - 1| over sorted diameters
      (d ~ V^(1/3)): even <= 0.08; uneven >= 0.30 (no cell below about 4-5 % or above 62 % of the
      volume).  An "all cells equal" test calls correct 3/5/6/7/9/10-cell embryos uneven.
      Caveat: an uneven 2-cell embryo cannot meet these limits (the 62 % cap allows a deviation of
      at most about 0.074), so after 200 tries the last unconstrained split is kept and labelled
      uneven; its size_deviation can fall in the 0.08-0.30 band or even below 0.08.
    * multinucleation: one (sometimes two) well-visible, in-focus blastomere with 2-3 nuclei (radius
      0.14-0.19 x the cell); otherwise each cell shows one nucleus (0.20-0.26 x) with probability
      0.3-0.9 per embryo.  Nuclei are drawn only where their cell is front-most.
    * istanbul_grade (Istanbul consensus): 3 if fragmentation > 25 % or not even or multinucleation;
      else 2 if fragmentation >= 10 %; else 1 ("mostly stage-specific" in grade 2 is treated as even).

    Zona thickness 11-17 um; the blastomere material's equivalent sphere radius is 0.78-0.86 x the
    zona inner radius; spermatozoa stuck to the zona in 25 %.
    """
    ncell, grade_t = _block_pick(seed, i, "day3", _D3_COMBOS)
    rng = _rng(seed, i, "day3")
    st = _style(rng, "day3")
    # ---- decide the label-defining attributes (with guard bands) ----
    even, mn = True, False
    if grade_t == 1:
        fband = (0.0, 6.0) if rng.random() < 0.7 else (0.0, 1.5)
    elif grade_t == 2:
        fband = (12.5, 21.5)
    else:
        causes = [rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.45]
        if not any(causes):
            causes[int(rng.integers(3))] = True
        hf, uneven, mn = causes
        even = not uneven
        fband = (30.0, 48.0) if hf else ((0.0, 6.0) if rng.random() < 0.5 else (12.5, 21.5))
    f_target = _u(rng, *fband)
    if fband[1] <= 1.5 and rng.random() < 0.6:
        f_target = 0.0

    D_um = _u(rng, 110, 120)
    tz_um = _u(rng, 11, 17)
    H, W, upp = _frame(rng, st, D_um, (0.6, 0.92))
    ro, Ri_um = D_um / 2 / upp, D_um / 2 - tz_um
    ri = Ri_um / upp
    R0 = Ri_um * _u(rng, 0.78, 0.86)  # equivalent radius of all blastomere material (um)
    cx, cy = _place(rng, H, W, ro * 1.02, ro * 1.02, margin=2)
    cv = _Canvas(H, W, upp, rng)
    zharm = [(2, _u(rng, 0, 0.025), _u(rng, 0, 3.14))]
    _draw_zona(cv, rng, cx, cy, ro, ri, zharm, _u(rng, 0.010, 0.018))

    # ---- blastomere volumes ----
    base = np.array(_stage_volumes(ncell))
    for _t in range(200):
        if even:
            v = base * np.exp(rng.normal(0, 0.07, ncell))
            ok = _size_dev(v, ncell) <= 0.08
        else:
            v = rng.dirichlet(np.full(ncell, 2.0)) if rng.random() < 0.6 else base * np.exp(rng.normal(0, 0.6, ncell))
            v = v / v.sum()
            ok = _size_dev(v, ncell) >= 0.30 and v.min() >= 0.05 * (1.0 if ncell <= 6 else 0.8) and v.max() <= 0.62
        if ok:
            break
    v = v / v.sum()
    res = _build_day3(_rng(seed, i, "day3", sub=10), cv, ncell, v, f_target, R0, Ri_um, cx, cy, fband)
    bodies, chords = res["bodies"], res["chords"]
    upp = cv.upp
    z_f = res["z_f"]
    cell_dn = _u(rng, 0.02, 0.03)
    mem_a = _u(rng, 0.03, 0.07)
    gran = _u(rng, 0.008, 0.022)
    cod = _u(rng, 0.02, 0.06)
    # dominance map (which body owns the largest chord at each pixel)
    own = np.full((H, W), -1, np.int32)
    best_t = np.zeros((H, W), F32)
    for k, c in enumerate(chords):
        if c is None:
            continue
        sl, t, _zm = c
        m = t > best_t[sl]
        best_t[sl] = np.where(m, t, best_t[sl])
        own[sl] = np.where(m, k, own[sl])
    # nuclei
    n_show_p = _u(rng, 0.3, 0.9)
    visible_frac = res["vis_frac"]
    mn_cells: list[int] = []
    if mn:
        order = np.argsort(-(visible_frac[:ncell] - 0.5 * np.abs(bodies["z"][:ncell] - z_f) / bodies["r"][:ncell]))
        mn_cells = [int(order[0])] + ([int(order[1])] if (ncell > 3 and rng.random() < 0.35) else [])
    nuclei_info: list[int] = []
    for k in range(ncell):
        c = chords[k]
        if c is None:
            continue
        sl, t, zm = c
        rk = bodies["r"][k]
        n_nuc = 0
        if k in mn_cells:
            n_nuc = int(rng.integers(2, 4))
        elif rng.random() < n_show_p:
            n_nuc = 1
        extra = np.zeros_like(t)
        placed: list[tuple[float, float]] = []
        rn = (rk * upp) * _u(rng, 0.2, 0.26) / upp if n_nuc == 1 else (rk * upp) * _u(rng, 0.14, 0.19) / upp
        rn = max(rn, 3.0 / upp)
        for _n in range(n_nuc):
            for _try in range(60):
                a = _u(rng, 0, 6.28)
                dd = _u(rng, 0, 0.55) * rk if n_nuc == 1 else _u(rng, 0.15, 0.6) * rk
                nx, ny = bodies["x"][k] + dd * math.cos(a), bodies["y"][k] + dd * math.sin(a)
                ang = np.linspace(0, 2 * math.pi, 12, endpoint=False)
                px = np.clip(np.round(nx + 1.5 * rn * np.cos(ang)).astype(int), 0, W - 1)
                py = np.clip(np.round(ny + 1.5 * rn * np.sin(ang)).astype(int), 0, H - 1)
                iy0, ix0 = round(np.clip(ny, 0, H - 1)), round(np.clip(nx, 0, W - 1))
                inside = np.all(own[py, px] == k) and own[iy0, ix0] == k
                apart = all(math.hypot(nx - q[0], ny - q[1]) > 2.3 * rn for q in placed)
                if inside and apart:
                    placed.append((nx, ny))
                    break
        if k in mn_cells and len(placed) < 2:
            # guarantee the multinucleation is visible: force two nuclei
            placed = [(bodies["x"][k] - 0.35 * rk, bodies["y"][k]), (bodies["x"][k] + 0.35 * rk, bodies["y"][k])]
        X = np.arange(sl[1].start, sl[1].stop, dtype=F32)[None, :]
        Y = np.arange(sl[0].start, sl[0].stop, dtype=F32)[:, None]
        for nx, ny in placed:
            tn = _chord_star(X, Y, nx, ny, rn) * upp
            extra -= 0.014 * tn
            te = (_chord_star(X, Y, nx, ny, rn + 0.45 / upp) - _chord_star(X, Y, nx, ny, rn)) * upp
            extra += 0.02 * te
            for _q in range(int(rng.integers(1, 3))):
                aq = _u(rng, 0, 6.28)
                dq = _u(rng, 0, 0.5) * rn
                tq = _chord_star(X, Y, nx + dq * math.cos(aq), ny + dq * math.sin(aq), _u(rng, 0.8, 1.3) / upp) * upp
                extra += 0.06 * tq
        nuclei_info.append(len(placed))
        dz = (float(bodies["z"][k]) - z_f) * upp
        r_um = rk * upp
        seg = ((zm[0] - z_f) * upp, (zm[1] - z_f) * upp)
        # membrane outline in the optical section (where the cell crosses the focal plane)
        sec = ((zm[0] <= z_f) & (zm[1] >= z_f) & (t > 0)).astype(F32)
        if sec.any():
            bsec = _blur(sec, 0.35 / upp)
            extra = extra + mem_a * 4 * bsec * (1 - bsec)
        # silhouette (footprint outline) of the cell at its own depth
        foot = _blur((t > 0).astype(F32), 0.4 / upp)
        cv.add(sl, (1.2 * mem_a * 4 * foot * (1 - foot)).astype(F32), None, dz)
        _paint_cytoplasm(cv, sl, t, r_um, cell_dn, gran, cod, coarse=_u(rng, 0, 0.3), dz=0.0, extra_opd=extra, seg=seg)
    # fragments: denser, more refractile, irregular
    for k in range(ncell, len(bodies["r"])):
        c = chords[k]
        if c is None:
            continue
        sl, t, zm = c
        dz = (float(bodies["z"][k]) - z_f) * upp
        r_um = bodies["r"][k] * upp
        seg = ((zm[0] - z_f) * upp, (zm[1] - z_f) * upp)
        _paint_cytoplasm(cv, sl, t, r_um, cell_dn * 1.35, gran * 0.6, cod * 2.5, coarse=0.5, dz=dz, seg=seg)
    # occasional sperm stuck to the zona (IVF)
    if rng.random() < 0.25:
        for _ in range(int(rng.integers(1, 5))):
            a = _u(rng, 0, 6.28)
            rr = ro + _u(rng, -1, 2) / upp
            _draw_sperm(
                cv,
                rng,
                cx + rr * math.cos(a),
                cy + rr * math.sin(a),
                a + float(rng.normal(0, 0.4)),
                dz=float(rng.normal(0, 3)),
            )
    _draw_debris(cv, rng, int(rng.integers(0, 25)), [(cx, cy, ro)])
    st["well"] = _well(rng, st, cx, cy, 2 * ro)
    img = _form_image(cv, rng, st)
    arr = _finish(img, rng, st)

    f_act = res["f_act"]
    grade = 3 if (f_act > 25 or not even or mn) else (2 if f_act >= 10 else 1)
    truth = {
        "cells": int(ncell),
        "fragmentation_pct": float(round(f_act, 3)),
        "even": bool(even),
        "multinucleation": bool(mn),
        "istanbul_grade": int(grade),
        "um_per_px": float(upp),
        "center_px": [float(cx), float(cy)],
        "zona_outer_radius_px": float(ro),
        "fragment_area_pct": float(round(res["f_area"], 3)),
        "size_deviation": float(round(_size_dev(v, ncell), 4)),
        "cell_volume_fractions": [float(round(a, 4)) for a in v],
        "cell_centers_px": [[float(bodies["x"][k]), float(bodies["y"][k])] for k in range(ncell)],
        "cell_radii_px": [float(bodies["r"][k]) for k in range(ncell)],
        "multinucleated_cells": mn_cells,
        "n_fragments": int(len(bodies["r"]) - ncell),
        "count_visibility": float(round(res["count_vis"], 3)),
        "count_min_separation": float(round(res["min_sep"], 3)),
        "modality": st["mode"] + ("-timelapse" if st["timelapse"] else ""),
    }
    return arr, truth


def _frag_radii(rng: np.random.Generator, Vf_t: float, rmax: float) -> list[float]:
    rf: list[float] = []
    acc = 0.0
    while acc < Vf_t and len(rf) < 220:
        r = 1.5 + max(rmax - 1.5, 0.5) * rng.random() ** 0.9
        if acc + 4 / 3 * math.pi * r**3 > Vf_t * 1.1 and r > 2:
            r = max(1.5, min(r, ((Vf_t - acc) * 3 / (4 * math.pi)) ** (1 / 3)))
        rf.append(r)
        acc += 4 / 3 * math.pi * r**3
    return rf


def _countability(P: np.ndarray, r: np.ndarray, Ri: float) -> tuple[float, float]:
    """(min over cells of the fraction of its projected disc, clipped to the zona
    interior, not covered by any other cell's disc; min over pairs of projected
    centre distance / (r_i + r_j))."""
    n = len(r)
    if n < 2:
        return 1.0, 1.0
    g = np.linspace(-1, 1, 15)
    gx, gy = np.meshgrid(g, g)
    m = gx * gx + gy * gy <= 1
    gx, gy = gx[m], gy[m]
    fr = []
    for i in range(n):
        px = P[i, 0] + gx * r[i]
        py = P[i, 1] + gy * r[i]
        inz = px * px + py * py <= Ri * Ri
        cov = np.zeros(px.shape, bool)
        for j in range(n):
            if j != i:
                cov |= (px - P[j, 0]) ** 2 + (py - P[j, 1]) ** 2 < r[j] ** 2
        fr.append(float((inz & ~cov).sum()) / max(float(inz.sum()), 1.0))
    d = np.hypot(P[:, None, 0] - P[None, :, 0], P[:, None, 1] - P[None, :, 1]) / (r[:, None] + r[None, :])
    np.fill_diagonal(d, 9)
    return min(fr), float(d.min())


def _arrange_cells(
    rng: np.random.Generator, rc: np.ndarray, Ri: float, gap: float = 0.0, th0: float | None = None
) -> tuple[np.ndarray, float]:
    """Initial 3-D blastomere positions (um).  <= 4 cells: one layer; more cells:
    a 'crown' (ring of cells alternately above/below the mid-plane, as cells pack
    against the zona) with one central cell for >= 8 cells.  Returns positions and
    the typical |z| of the ring cells."""
    n = len(rc)
    order = list(np.argsort(-rc))
    P = np.zeros((n, 3))
    if th0 is None:
        th0 = _u(rng, 0, 2 * math.pi)
    if n <= 4:
        rm = float(np.mean(rc))
        rho = 0.0 if n == 1 else (rm * 0.95 if n == 2 else rm * 0.95 / math.sin(math.pi / n))
        rho = min(rho, max(Ri - 0.85 * rm, 0.0))
        if n == 4 and rng.random() < 0.5:
            # slightly tetrahedral 4-cell
            zs = [1, -1, 1, -1]
            hz = rm * _u(rng, 0.2, 0.45)
        else:
            zs, hz = [0] * n, 0.0
        perm = order if rng.random() < 0.5 else list(rng.permutation(n))
        # leave room for a fragment cluster on the side th0
        sh = gap / (2 * math.pi) * 0.6 * Ri
        for k, c in enumerate(perm):
            a = th0 + math.pi / n + 2 * math.pi * k / n + float(rng.normal(0, 0.08))
            P[c] = [
                rho * math.cos(a) - sh * math.cos(th0),
                rho * math.sin(a) - sh * math.sin(th0),
                zs[k] * hz + float(rng.normal(0, 1.0)),
            ]
        return P, hz
    n_c = 1 if n >= 8 else 0
    centre = order[-1] if rng.random() < 0.5 else order[len(order) // 2]
    ring = [c for c in order if not (n_c and c == centre)]
    ring = list(rng.permutation(ring))
    m = len(ring)
    rm = float(np.mean(rc[ring]))
    rho = max(Ri - 0.88 * rm, 0.0)
    s = (2 * math.pi - gap) * rho / m
    need = 0.95 * 2 * rm
    h = 0.5 * math.sqrt(max(need * need - s * s, 0.0)) * _u(rng, 1.0, 1.15)
    span = 2 * math.pi - gap
    for k, c in enumerate(ring):
        a = th0 + gap / 2 + span * (k + 0.5) / m + float(rng.normal(0, 0.05))
        zz = h if k % 2 == 0 else -h
        P[c] = [rho * math.cos(a), rho * math.sin(a), zz + float(rng.normal(0, 1.0))]
    if n_c:
        sh = gap / (2 * math.pi) * 0.5 * Ri
        P[centre] = [
            float(rng.normal(0, 1.0)) - sh * math.cos(th0),
            float(rng.normal(0, 1.0)) - sh * math.sin(th0),
            float(rng.normal(0, 1.5)),
        ]
    return P, h


def _build_day3(
    rng: np.random.Generator,
    cv: _Canvas,
    ncell: int,
    v: np.ndarray,
    f_goal: float,
    R0: float,
    Ri_um: float,
    cx: float,
    cy: float,
    fband: tuple[float, float],
) -> dict[str, Any]:
    upp = cv.upp
    V0 = 4 / 3 * math.pi * R0**3
    rc = (v * V0 * (1 - f_goal / 100) * 3 / (4 * math.pi)) ** (1 / 3)
    flat = _u(rng, 0.2, 0.5)
    zc = flat * np.maximum(Ri_um - rc, 0)
    isc = np.ones(ncell, bool)
    # ---- cells: layered arrangement (1 layer up to 4 cells, 2 staggered layers above) ----
    best: tuple[tuple[bool, float], np.ndarray, float, float] | None = None
    th_fr = _u(rng, 0, 2 * math.pi)
    gap = 2 * math.pi * min(0.45, 1.3 * f_goal / 100) if f_goal > 3 else 0.0
    for _attempt in range(8):
        Pc, zlayer = _arrange_cells(rng, rc, Ri_um, gap, th_fr)
        P = _relax(rc, isc, Ri_um, np.full(ncell, Ri_um * 0.6), Pc, iters=80)
        sc, sep = _countability(P, rc, Ri_um)
        key = (sep >= 0.4, sc)
        if best is None or key > best[0]:
            best = (key, P, zlayer, sep)
        if sep >= 0.4 and sc >= 0.25:
            break
    assert best is not None
    (_, Pc, zlayer, min_sep) = best
    count_vis = best[0][1]
    # ---- fragments: placed in 1-3 clusters (periphery / between cells), relaxed around fixed cells ----
    rmax = 10.0 if f_goal > 25 else (8.5 if f_goal > 9 else 6.0)
    rmax = min(rmax, 0.5 * float(rc.min()))  # fragments stay clearly smaller than any blastomere
    rf = np.array(_frag_radii(rng, V0 * f_goal / 100, rmax)) if f_goal > 0 else np.zeros(0)
    nf = len(rf)
    if nf:
        Pf = np.zeros((nf, 3))
        scatter = _u(rng, 0.1, 0.35)
        for k in range(nf):
            if rng.random() < scatter or gap == 0:
                aa, rr = _u(rng, 0, 6.28), (Ri_um - rf[k]) * math.sqrt(_u(rng, 0.2, 1))
                Pf[k] = [rr * math.cos(aa), rr * math.sin(aa), float(rng.normal(0, 0.3)) * Ri_um]
            else:
                rr = (Ri_um - rf[k]) * math.sqrt(_u(rng, 0.15, 1.0))
                aa = th_fr + float(rng.normal(0, gap / 4))
                Pf[k] = [rr * math.cos(aa), rr * math.sin(aa), float(rng.normal(0, 0.2)) * Ri_um]
        r_all = np.concatenate([rc, rf])
        is_cell = np.arange(ncell + nf) < ncell
        zlim = np.concatenate([zc, np.full(nf, 0.55 * Ri_um)])
        P = _relax(r_all, is_cell, Ri_um, zlim, np.concatenate([Pc, Pf]), movable=~is_cell, iters=90)
    else:
        r_all, P = rc, Pc
    # ---- exact rendered volumes; rescale fragments until the fraction is in its band ----
    scale = 1.0
    for _it in range(4):
        rr = r_all.copy()
        rr[ncell:] *= scale
        bodies = {"x": cx + P[:, 0] / upp, "y": cy + P[:, 1] / upp, "z": P[:, 2] / upp, "r": rr / upp}
        chords, vols = _body_chords(cv, bodies, (cx, cy, Ri_um / upp), gap_px=0.8 / upp)
        f_act = 100.0 * vols[ncell:].sum() / max(vols.sum(), 1e-9)
        if nf == 0 or fband[0] <= f_act <= fband[1]:
            break
        tgt = min(max(f_goal, fband[0] + 0.5), fband[1] - 0.5)
        q = (tgt / (100 - tgt)) / max(f_act / (100 - f_act), 1e-6)
        scale *= float(np.clip(q, 0.3, 3.0)) ** (1 / 3)
    # fragment projected area fraction within the embryo's projected area
    H, W = cv.H, cv.W
    any_m = np.zeros((H, W), bool)
    fr_m = np.zeros((H, W), bool)
    for k, c in enumerate(chords):
        if c is None:
            continue
        sl, t, _ = c
        any_m[sl] |= t > 0
        if k >= ncell:
            fr_m[sl] |= t > 0
    f_area = 100.0 * fr_m.sum() / max(any_m.sum(), 1)
    vis = _visibility(cv, chords, bodies, ncell)
    z_f = (zlayer * float(rng.uniform(-0.35, 0.35)) + float(rng.normal(0, 1.0))) / upp
    return dict(
        bodies=bodies,
        chords=chords,
        vols=vols,
        vis_frac=vis,
        count_vis=count_vis,
        min_sep=min_sep,
        f_act=f_act,
        f_area=f_area,
        z_f=z_f,
    )


def _visibility(cv: _Canvas, chords: list[_Chord | None], bodies: _Bodies, ncell: int) -> np.ndarray:
    H, W = cv.H, cv.W
    best_t = np.zeros((H, W), F32)
    own = np.full((H, W), -1, np.int32)
    for k, c in enumerate(chords[:ncell]):
        if c is None:
            continue
        sl, t, _ = c
        m = t > best_t[sl]
        best_t[sl] = np.where(m, t, best_t[sl])
        own[sl] = np.where(m, k, own[sl])
    vis = np.zeros(len(chords))
    for k in range(ncell):
        disc = math.pi * bodies["r"][k] ** 2
        vis[k] = float((own == k).sum()) / disc
    return vis


# ----------------------------------------------------------------------------
# BLASTOCYST
# ----------------------------------------------------------------------------
_BL_COMBOS: list[tuple[int, str | None, str | None]] = (
    [(1, None, None)] * 9 + [(2, None, None)] * 9 + [(e, a, b) for e in (3, 4, 5, 6) for a in "ABC" for b in "ABC"]
)


def _fib_hemisphere(rng: np.random.Generator, n: int) -> np.ndarray:
    """~uniform points on the unit sphere (jittered Fibonacci)."""
    k = np.arange(n) + 0.5
    zz = 1 - 2 * k / n
    phi = math.pi * (3 - math.sqrt(5)) * k + _u(rng, 0, 6.28)
    rr = np.sqrt(1 - zz * zz)
    p = np.stack([rr * np.cos(phi), rr * np.sin(phi), zz], 1)
    p += rng.normal(0, 0.35 / math.sqrt(n), p.shape)
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def _mesh_lines(
    X: np.ndarray, Y: np.ndarray, cx: float, cy: float, R: float, seeds: np.ndarray, width: float, step: int = 3
) -> np.ndarray:
    """Projected spherical-Voronoi cell boundaries on the visible (upper+lower) caps of
    a sphere of radius R (px).  seeds: unit vectors.  Returns line strength 0..1."""
    if len(seeds) > 260:
        seeds = seeds[:: math.ceil(len(seeds) / 260)]
    Xs = X[:, ::step]
    Ys = Y[::step, :]
    dx, dy = (Xs - cx) / R, (Ys - cy) / R
    d2 = dx * dx + dy * dy
    shp = d2.shape
    inside = (d2 < 1).ravel()
    zz = np.sqrt(np.maximum(1 - d2, 0)).ravel()
    bx = np.broadcast_to(dx, shp).ravel()[inside]
    by = np.broadcast_to(dy, shp).ravel()[inside]
    bz = zz[inside]
    out = np.zeros(shp[0] * shp[1], F32)
    S = seeds.T.astype(F32)
    vals = np.zeros(bx.shape, F32)
    for sgn, wgt in ((1, 1.0), (-1, 0.5)):
        px = np.stack([bx, by, sgn * bz], 1).astype(F32)
        for c0 in range(0, len(px), 8192):
            dots = px[c0 : c0 + 8192] @ S
            top2 = -np.partition(-dots, 1, axis=1)[:, :2]
            gapv = (top2[:, 0] - top2[:, 1]) * R
            vals[c0 : c0 + 8192] += wgt * np.exp(-((gapv / width) ** 2))
    out[inside] = vals
    return _resize_f(out.reshape(shp), (Y.shape[0], X.shape[1]))


def blastocyst_sample(seed: int, i: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One day-5/6 blastocyst graded by Gardner (expansion 1-6, ICM/TE A-C at >=3).

    truth keys: expansion, icm, te, day, um_per_px, center_px (centre of the
    blastocyst body: the part inside the zona for 1-5, the free embryo for 6), modality,
    plus extras (cavity_volume_fraction, blastocyst_radius_px, zona_present, zona_center_px,
    zona_outer_radius_px, zona_inner_radius_px, cavity_center_px, cavity_radius_px, n_cells_drawn,
    icm_cells, icm_center_px, icm_profile_view, te_cells_in_section, hatch_bulb_center_px,
    hatch_bulb_radius_px).

    Labels come in blocks of 54: each expansion 9 times; for 3-6 the 9 (ICM, TE) pairs once each.

    * 1, 2: compacted embryo of 28-56 cells (power diagram) with a round blastocoel;
      ``cavity_volume_fraction`` (exact) 0.10-0.38 for 1, 0.60-0.80 for 2 (Gardner cut-off 0.5).
      icm and te are None exactly when expansion < 3.
    * 3 (full): the cavity fills the embryo, thin trophectoderm (TE) against the zona, zona normal or
      thinned (x0.75-0.95, 9-16 um).
    * 4 (expanded): radius 1.22-1.55 x the original zona inner radius, zona 3-6.5 um thick.
    * 5 (hatching): as 4 plus a TE bulb (radius 0.35-0.9 x the blastocyst, neck 0.45-0.75 x the bulb)
      through a hole in the zona; the ICM lies away from the hatching site.
    * 6 (hatched): free blastocyst; in 70 % an empty, collapsed, opened zona lies beside it
      (``zona_present``), possibly partly out of the frame.
    * ICM (80 % in profile on the TE wall, else en face in focus): A = compact mass of 30-54 small
      cells (radius 2.5-3.6 um, about 30-44 x 18-26 um); B = loose round cells (radius 4-5.5 um) along a
      36-56 um arc, 8-15 attempted but the spacing rule usually fits only 5-9; C = 1-4 cells.
      ``icm_cells`` is the number actually drawn.
    * TE: a ring of cells in the equatorial section plus a projected mesh on the caps; cell width
      A 8-12 um (cohesive), B 16-24 um (irregular, loose), C 32-48 um (very few, large bulges, some
      stretched thin).
    * day: 5 or 6 with P(6) = 0.2 + 0.1 x (expansion - 1); metadata only, invisible in the image.
    """
    exp, icm, te = _block_pick(seed, i, "blastocyst", _BL_COMBOS)
    rng = _rng(seed, i, "blastocyst")
    st = _style(rng, "blastocyst")
    day = 6 if rng.random() < 0.2 + 0.1 * (exp - 1) else 5
    Dz = _u(rng, 110, 120)  # original zona outer diameter
    tz0 = _u(rng, 12, 17)
    Ri0 = Dz / 2 - tz0  # original zona inner radius
    truth: dict[str, Any] = {"expansion": int(exp), "icm": icm, "te": te, "day": int(day)}
    # geometry in um, relative to blastocyst body centre (0,0)
    if exp <= 3:
        tz = tz0 if exp < 3 else tz0 * _u(rng, 0.75, 0.95)
        Rzo = Dz / 2 if exp < 3 else Ri0 + tz
        Rzi = Rzo - tz
        Rb = Rzi - (_u(rng, 0.5, 3.0) if exp < 3 else _u(rng, 0.0, 0.8))
    else:
        Rb = Ri0 * _u(rng, 1.22, 1.55)
        tz = _u(rng, 3.0, 6.5)
        Rzi = Rb + (_u(rng, 0, 0.6) if exp < 6 else 0)
        Rzo = Rzi + tz
    bulb: _Bulb | None = None
    ez: tuple[float, float, float, float] | None = None
    if exp == 5:
        RB = Rb * _u(rng, 0.35, 0.9)
        wn = min(RB * _u(rng, 0.45, 0.75), Rzi * 0.55)
        Dn = math.sqrt(max(Rb**2 - wn**2, 0)) + math.sqrt(max(RB**2 - wn**2, 0)) * _u(rng, 0.6, 1.0)
        Dn = max(Dn, Rzo - RB * 0.2)
        ah = _u(rng, 0, 2 * math.pi)
        bulb = (Dn * math.cos(ah), Dn * math.sin(ah), RB, ah, wn)
    if exp == 6 and rng.random() < 0.7:
        # empty, collapsed zona beside the hatched blastocyst
        Rze = Dz / 2 * _u(rng, 0.8, 1.0)
        gapd = _u(rng, -0.05, 0.4) * Rb
        ae = _u(rng, 0, 2 * math.pi)
        dd = Rb + gapd + Rze
        ez = (dd * math.cos(ae), dd * math.sin(ae), Rze, _u(rng, 2.5, 5.0))
    # frame: fit the body (and bulb); empty zona may be partially out of frame
    if bulb is not None:
        ext = (Rzo + bulb[0] * 0 + bulb[2] + math.hypot(bulb[0], bulb[1])) / 2 * 2
        H, W, upp = _frame(rng, st, ext, (0.6, 0.9))
    elif ez is not None:
        H, W, upp = _frame(rng, st, 2 * Rb + ez[2] * 1.2, (0.6, 0.95))
    else:
        frac = (0.6, 0.92) if exp <= 3 else (0.55, 0.9)
        H, W, upp = _frame(rng, st, 2 * max(Rzo, Rb), frac)
    cv = _Canvas(H, W, upp, rng)
    # placement of the body centre
    if bulb is not None:
        bx, by = bulb[0], bulb[1]
        xs = [-Rzo, Rzo, bx - bulb[2], bx + bulb[2]]
        ys = [-Rzo, Rzo, by - bulb[2], by + bulb[2]]
    elif ez is not None:
        xs = [-Rb, Rb, ez[0] - ez[2] * 0.5, ez[0] + ez[2] * 0.5]
        ys = [-Rb, Rb, ez[1] - ez[2] * 0.5, ez[1] + ez[2] * 0.5]
    else:
        R_ = max(Rzo, Rb)
        xs, ys = [-R_, R_], [-R_, R_]
    bw = (max(xs) - min(xs)) / 2 / upp
    bh = (max(ys) - min(ys)) / 2 / upp
    mx, my = _place(rng, H, W, bw, bh, margin=2)
    cx = mx - (max(xs) + min(xs)) / 2 / upp
    cy = my - (max(ys) + min(ys)) / 2 / upp
    truth.update(um_per_px=float(upp), center_px=[float(cx), float(cy)], blastocyst_radius_px=float(Rb / upp))

    # ----- zona -----
    zdn = _u(rng, 0.010, 0.018)
    if exp <= 5:
        hole: tuple[float, float, float] | None = None
        if bulb is not None:
            ax, ay = math.cos(bulb[3]), math.sin(bulb[3])
            Rm = 0.5 * (Rzo + Rzi)
            cut = math.sqrt(max(Rm**2 - (bulb[4] * 1.05) ** 2, 0)) / upp
            hole = (ax, ay, cut)
        zharm = [(2, _u(rng, 0, 0.02), _u(rng, 0, 3.14))]
        _draw_zona(cv, rng, cx, cy, Rzo / upp, Rzi / upp, zharm, zdn * (1.0 if exp < 4 else 1.3), hole=hole)
        truth.update(
            zona_center_px=[float(cx), float(cy)],
            zona_outer_radius_px=float(Rzo / upp),
            zona_inner_radius_px=float(Rzi / upp),
            zona_present=True,
        )
    elif ez is not None:
        ex, ey, Rze, tze = ez
        eharm = _harm(rng, 6, 0.12)
        ecx, ecy = cx + ex / upp, cy + ey / upp
        a_open = math.atan2(-ey, -ex) + float(rng.normal(0, 0.6))
        hole = (math.cos(a_open), math.sin(a_open), Rze / upp * _u(rng, 0.6, 0.9))
        _draw_zona(cv, rng, ecx, ecy, Rze / upp, (Rze - tze) / upp, eharm, zdn * 1.3, hole=hole, dz=_u(rng, -4, 4))
        truth.update(zona_center_px=[float(ecx), float(ecy)], zona_outer_radius_px=float(Rze / upp), zona_present=True)
    else:
        truth.update(zona_present=False)

    if exp <= 2:
        _draw_early_blast(cv, rng, cx, cy, Rb, exp, truth)
    else:
        assert icm is not None and te is not None  # graded from expansion 3 on
        _draw_blast(cv, rng, cx, cy, Rb, icm, te, bulb, exp, truth)
    # excluded cells / fragments in the PVS (early) or debris
    _draw_debris(cv, rng, int(rng.integers(0, 25)), [(cx, cy, max(Rzo, Rb) / upp)])
    st["well"] = _well(rng, st, cx, cy, 2 * max(Rzo, Rb) / upp) if ez is None else None
    img = _form_image(cv, rng, st)
    arr = _finish(img, rng, st)
    truth["modality"] = st["mode"] + ("-timelapse" if st["timelapse"] else "")
    return arr, truth


def _draw_early_blast(
    cv: _Canvas, rng: np.random.Generator, cx: float, cy: float, Re: float, exp: int, truth: dict[str, Any]
) -> None:
    """Compacted embryo with a blastocoel: expansion 1 (cavity < 1/2 of the embryo
    volume) or 2 (>= 1/2).  Cells and cavity form one power diagram inside the
    embryo sphere, so the cavity volume fraction is exact."""
    upp = cv.upp
    band = (0.1, 0.38) if exp == 1 else (0.6, 0.8)
    vf_t = _u(rng, band[0] + 0.02, band[1] - 0.02)
    n = int(rng.integers(28, 48)) if exp == 1 else int(rng.integers(36, 56))
    Ve = 4 / 3 * math.pi * Re**3
    a = _u(rng, 0, 2 * math.pi)
    frac_off = _u(rng, 0.55, 1.0) if exp == 1 else _u(rng, 0.5, 1.0)
    best: tuple[float, _Bodies, list[_Chord | None]] | None = None
    scale = 1.0
    for _it in range(3):
        rcv = Re * (vf_t * scale) ** (1 / 3)
        tmin = 3.0 if exp == 2 else 6.0
        dd = max(Re - rcv - tmin, 0.0) * frac_off
        cav = np.array([dd * math.cos(a), dd * math.sin(a), 0.0])
        rcell = ((Ve - 4 / 3 * math.pi * rcv**3) / n * 3 / (4 * math.pi)) ** (1 / 3) * 1.12
        # initial cell centres: random directions from the cavity centre, placed
        # halfway between the cavity surface and the embryo surface
        dirs = rng.normal(0, 1, (n, 3))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        pts: list[np.ndarray] = []
        for dv in dirs:
            # distance from cav along dv to the embryo sphere
            b_ = float(cav @ dv)
            tout = -b_ + math.sqrt(max(b_ * b_ - (cav @ cav - Re * Re), 0.0))
            tt = 0.5 * (rcv + tout)
            pts.append(cav + dv * tt)
        r_all = np.concatenate([[rcv], np.full(n, rcell) * rng.uniform(0.85, 1.15, n)])
        P0 = np.vstack([cav[None, :], np.array(pts)])
        mov = np.arange(n + 1) > 0
        isc = mov.copy()
        P = _relax(r_all, isc, Re, np.full(n + 1, Re), P0, movable=mov, iters=60, kappa=0.9, proj=0.0, protrude=0.6)
        bodies = {"x": cx + P[:, 0] / upp, "y": cy + P[:, 1] / upp, "z": P[:, 2] / upp, "r": r_all / upp}
        chords, vols = _body_chords(cv, bodies, (cx, cy, Re / upp), gap_px=0.6 / upp, excl=0)
        vf = float(vols[0] / max(vols.sum(), 1e-9))
        if best is None or abs(vf - vf_t) < abs(best[0] - vf_t):
            best = (vf, bodies, chords)
        if band[0] <= vf <= band[1]:
            break
        scale *= vf_t / max(vf, 1e-3)
    assert best is not None
    vf, bodies, chords = best
    dn = _u(rng, 0.02, 0.028)
    mem_a = _u(rng, 0.03, 0.06)
    gran = _u(rng, 0.008, 0.02)
    z_f = float(rng.normal(0, 1.5)) / upp
    for k in range(1, len(bodies["r"])):
        c = chords[k]
        if c is None:
            continue
        sl, t, zm = c
        if not np.any(t > 0):
            continue
        sec = ((zm[0] <= z_f) & (zm[1] >= z_f) & (t > 0)).astype(F32)
        extra = np.zeros_like(t)
        if sec.any():
            bsec = _blur(sec, 0.35 / upp)
            extra += mem_a * 4 * bsec * (1 - bsec)
        foot = _blur((t > 0).astype(F32), 0.4 / upp)
        dz = (float(bodies["z"][k]) - z_f) * upp
        cv.add(sl, (0.6 * mem_a * 4 * foot * (1 - foot)).astype(F32), None, dz)
        seg = ((zm[0] - z_f) * upp, (zm[1] - z_f) * upp)
        _paint_cytoplasm(cv, sl, t, bodies["r"][k] * upp, dn, gran, 0.04, coarse=0.3, extra_opd=extra, seg=seg)
    truth.update(
        cavity_volume_fraction=float(round(vf, 4)),
        cavity_center_px=[float(bodies["x"][0]), float(bodies["y"][0])],
        cavity_radius_px=float(bodies["r"][0]),
        n_cells_drawn=int(len(bodies["r"]) - 1),
    )


def _te_ring(
    cv: _Canvas, rng: np.random.Generator, X: np.ndarray, Y: np.ndarray, cx: float, cy: float, R: float, te: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, float]:
    """Per-pixel outer/inner radii (px) of a trophectoderm shell with angular cells."""
    upp = cv.upp
    Rum = R * upp
    if te == "A":
        wc, t0, bul, jit, wn = _u(rng, 8, 12), _u(rng, 2.0, 3.0), _u(rng, 0.6, 1.4), 0.15, 0.3
    elif te == "B":
        wc, t0, bul, jit, wn = _u(rng, 16, 24), _u(rng, 2.0, 3.2), _u(rng, 1.5, 3.0), 0.35, 0.2
    else:
        wc, t0, bul, jit, wn = _u(rng, 32, 48), _u(rng, 1.6, 2.6), _u(rng, 3.0, 5.5), 0.3, 0.12
    n = max(4, round(2 * math.pi * Rum / wc))
    widths = np.exp(rng.normal(0, jit, n))
    edges = np.concatenate([[0], np.cumsum(widths)]) / widths.sum() * 2 * math.pi + _u(rng, 0, 6.28)
    theta = np.arctan2(Y - cy, X - cx)
    th = np.mod(theta - edges[0], 2 * math.pi)
    rel = edges - edges[0]
    idx = np.clip(np.searchsorted(rel, th, side="right") - 1, 0, n - 1)
    uu = (th - rel[idx]) / (rel[idx + 1] - rel[idx])
    un = rng.uniform(0.3, 0.7, n)[idx]
    prof = np.exp(-(((uu - un) / wn) ** 2))
    cell_bul = rng.uniform(0.6, 1.3, n)[idx] * bul
    thick = t0 + cell_bul * prof
    out_a = 0.1 if te == "A" else 0.35 if te == "B" else 0.6
    out_b = out_a * np.sin(math.pi * np.clip(uu, 0, 1)) * rng.uniform(0.3, 1.0, n)[idx]
    if te == "C":
        # few large cells: some stretched very thin
        thin = rng.random(n) < 0.3
        thick = np.where(thin[idx], t0 * 0.6 + 0.3 * cell_bul * prof, thick)
    Ro = (Rum + out_b) / upp
    Ri = (Rum - thick) / upp
    groove = np.exp(-((np.minimum(uu, 1 - uu) * (rel[idx + 1] - rel[idx]) * Rum / 0.7) ** 2))
    return Ro.astype(F32), Ri.astype(F32), groove.astype(F32), n, wc


def _draw_blast(
    cv: _Canvas,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    Rb: float,
    icm: str,
    te: str,
    bulb: _Bulb | None,
    exp: int,
    truth: dict[str, Any],
) -> None:
    upp = cv.upp
    R = Rb / upp
    ext = R * 1.12
    w = cv.win(cx, cy, ext)
    assert w is not None
    sl, X, Y = w
    Ro, Ri, groove, n_ring, wc = _te_ring(cv, rng, X, Y, cx, cy, R, te)
    d = np.hypot(X - cx, Y - cy)
    # far from the rim use the mean radii (caps seen en face)
    bl = np.clip((d - 0.75 * R) / (0.2 * R), 0, 1)
    Rm_o = R * 1.0
    Rm_i = float(np.median(Ri))
    Ro_ = Ro * bl + Rm_o * (1 - bl)
    Ri_ = Ri * bl + Rm_i * (1 - bl)
    ho = np.sqrt(np.maximum(Ro_**2 - d * d, 0))
    hi = np.sqrt(np.maximum(Ri_**2 - d * d, 0))
    if bulb is not None:
        bx, by, RB, _ah, _wn = bulb
        bxp, byp = cx + bx / upp, cy + by / upp
        dB = np.hypot(X - bxp, Y - byp)
        hB = np.sqrt(np.maximum((RB / upp) ** 2 - dB * dB, 0))
        segA = np.maximum(ho - np.maximum(hi, hB), 0)
    else:
        segA = ho - hi
    t = 2 * segA * upp
    # en-face cells on the caps (spherical Voronoi), out-of-focus a bit
    n_face = max(8, int(4 * math.pi * Rb**2 / (wc**2 * 0.9)))
    seeds = _fib_hemisphere(rng, n_face)
    mesh = _mesh_lines(X, Y, cx, cy, R, seeds, width=(0.8 if te == "A" else 1.3) / upp)
    caps = np.clip(1 - bl, 0, 1)
    dn = _u(rng, 0.02, 0.03)
    extra = -0.03 * groove * (d > Rm_i) * (t > 0) - 0.012 * mesh * caps * (t > 0)
    # TE nuclei (seen en face as smooth spots) for C: big cells with visible nuclei
    _paint_cytoplasm(cv, sl, t, 6.0, dn, _u(rng, 0.006, 0.015), _u(rng, 0.02, 0.05), coarse=0.2, extra_opd=extra)
    if bulb is not None:
        bx, by, RB, _ah, _wn = bulb
        bxp, byp = cx + bx / upp, cy + by / upp
        w2 = cv.win(bxp, byp, RB / upp * 1.12)
        assert w2 is not None
        sl2, X2, Y2 = w2
        Ro2, Ri2, gr2, _, _ = _te_ring(cv, rng, X2, Y2, bxp, byp, RB / upp, te)
        d2 = np.hypot(X2 - bxp, Y2 - byp)
        bl2 = np.clip((d2 - 0.7 * RB / upp) / (0.2 * RB / upp), 0, 1)
        Ro2_ = Ro2 * bl2 + RB / upp * (1 - bl2)
        Ri2_ = Ri2 * bl2 + float(np.median(Ri2)) * (1 - bl2)
        ho2 = np.sqrt(np.maximum(Ro2_**2 - d2 * d2, 0))
        hi2 = np.sqrt(np.maximum(Ri2_**2 - d2 * d2, 0))
        dA = np.hypot(X2 - cx, Y2 - cy)
        hA = np.sqrt(np.maximum(R**2 - dA * dA, 0))
        segB = np.maximum(ho2 - np.maximum(hi2, hA), 0)
        t2 = 2 * segB * upp
        _paint_cytoplasm(
            cv, sl2, t2, 6.0, dn, 0.01, 0.03, coarse=0.2, extra_opd=-0.03 * gr2 * (d2 > 0.8 * RB / upp) * (t2 > 0)
        )
        truth["hatch_bulb_center_px"] = [float(bxp), float(byp)]
        truth["hatch_bulb_radius_px"] = float(RB / upp)
    # ----- ICM -----
    Rin_um = float(np.median(Ri)) * upp
    _draw_icm(cv, rng, cx, cy, Rin_um, icm, bulb, truth)
    truth["te_cells_in_section"] = int(n_ring)
    truth["cavity_volume_fraction"] = 1.0


def _draw_icm(
    cv: _Canvas,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    Rin: float,
    icm: str,
    bulb: _Bulb | None,
    truth: dict[str, Any],
) -> None:
    upp = cv.upp
    a = _u(rng, 0, 2 * math.pi)
    if bulb is not None:
        # keep the ICM away from the hatching site
        a = bulb[3] + math.pi + float(rng.normal(0, 0.7))
    profile = rng.random() < 0.8
    if icm == "A":
        semi_t = _u(rng, 15, 22)  # tangential half-length
        semi_r = _u(rng, 9, 13)  # radial half-thickness
        n_cells = int(rng.integers(30, 55))
        rcell = _u(rng, 2.5, 3.6)
    elif icm == "B":
        semi_t = _u(rng, 18, 28)
        semi_r = _u(rng, 8, 12)
        n_cells = int(rng.integers(8, 16))
        rcell = _u(rng, 4.0, 5.5)
    else:
        semi_t = _u(rng, 10, 22)
        semi_r = _u(rng, 5, 8)
        n_cells = int(rng.integers(1, 5))
        rcell = _u(rng, 4.0, 6.5)
    rad = Rin - semi_r * 0.85
    zc = 0.0
    if not profile:
        rad = Rin * _u(rng, 0.3, 0.6)
        zc = _u(rng, 0.0, 5.0)  # the embryologist focuses on the ICM
    icx = cx + rad * math.cos(a) / upp
    icy = cy + rad * math.sin(a) / upp
    dz = zc * (1 if rng.random() < 0.5 else -1)
    dn = _u(rng, 0.025, 0.035)
    ang = a  # radial direction
    if icm == "A":
        # compact mass: ellipsoid hugging the TE, interior cobblestone of many cells
        w = cv.win(icx, icy, semi_t / upp * 1.2)
        assert w is not None
        sl, X, Y = w
        hm = _harm(rng, 5, 0.05)
        u_ = (X - icx) * math.cos(ang) + (Y - icy) * math.sin(ang)
        v_ = -(X - icx) * math.sin(ang) + (Y - icy) * math.cos(ang)
        q = 1 - (u_ * upp / semi_r) ** 2 - (v_ * upp / semi_t) ** 2
        t = 2 * semi_t * 0.8 * np.sqrt(np.maximum(q, 0)).astype(F32)
        # cells: random seeds inside the ellipse -> Voronoi-ish lumps
        pts_l: list[tuple[float, float]] = []
        for _ in range(n_cells):
            while True:
                uu, vv = _u(rng, -1, 1), _u(rng, -1, 1)
                if uu * uu + vv * vv < 1:
                    break
            pts_l.append((uu * semi_r, vv * semi_t))
        pts = np.array(pts_l)
        su = u_ * upp
        sv = v_ * upp
        dd = (su[..., None] - pts[:, 0]) ** 2 + (sv[..., None] - pts[:, 1]) ** 2
        dd = np.sqrt(dd)
        p2 = np.partition(dd, 1, axis=-1)
        line = np.exp(-(((p2[..., 1] - p2[..., 0]) / 0.6) ** 2)).astype(F32)
        bump = np.exp(-((p2[..., 0] / (rcell * 0.8)) ** 2)).astype(F32)
        extra = (0.25 * bump - 0.25 * line) * (t > 0) * np.clip(t / 6, 0, 1)
        _paint_cytoplasm(cv, sl, t, semi_t, dn, 0.03, 0.08, coarse=0.4, dz=dz, extra_opd=extra)
        truth["icm_cells"] = int(n_cells)
    else:
        # loose group (B) or a few cells (C): individual round cells along the wall
        pos: list[tuple[float, float]] = []
        for _k in range(n_cells):
            for _try in range(50):
                uu = _u(rng, -semi_r * 0.6, semi_r * 0.6)
                vv = _u(rng, -semi_t, semi_t)
                ok = all(
                    math.hypot(uu - p[0], vv - p[1]) > (2.0 if icm == "B" else 2.6) * rcell * _u(rng, 0.85, 1.05)
                    for p in pos
                )
                if ok:
                    pos.append((uu, vv))
                    break
        for uu, vv in pos:
            rr = rcell * _u(rng, 0.8, 1.2)
            # keep cells inside the TE wall
            rpos = min(rad + uu, Rin - rr * 0.9)
            cxp = cx + (rpos * math.cos(ang) - vv * math.sin(ang)) / upp
            cyp = cy + (rpos * math.sin(ang) + vv * math.cos(ang)) / upp
            w = cv.win(cxp, cyp, rr / upp * 1.3)
            assert w is not None
            sl, X, Y = w
            hm = _harm(rng, 4, 0.06)
            t = _chord_star(X, Y, cxp, cyp, rr / upp, hm) * upp
            tn = (
                _chord_star(
                    X,
                    Y,
                    cxp + float(rng.normal(0, 0.15)) * rr / upp,
                    cyp + float(rng.normal(0, 0.15)) * rr / upp,
                    rr * 0.45 / upp,
                )
                * upp
            )
            _paint_cytoplasm(
                cv, sl, t, rr, dn, 0.03, 0.06, coarse=0.4, dz=dz + float(rng.normal(0, 2.0)), extra_opd=-0.012 * tn
            )
        truth["icm_cells"] = len(pos)
    truth["icm_center_px"] = [float(icx), float(icy)]
    truth["icm_profile_view"] = bool(profile)
