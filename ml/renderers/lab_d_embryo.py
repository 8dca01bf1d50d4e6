"""Lab D's synthetic generator: denuded oocytes, day-3 cleavage embryos and blastocysts.

One of several independently written generators (``ml.renderers``) used to train and test
FertiVision's analyzers on many looks; each was written without reading the others. numpy, Pillow
and the standard library only.

Rendering model
---------------
Each scene is built in micrometres, converted to pixels at a random ``um_per_px``, and drawn into
physical maps rather than painted: an optical-path-difference map ``P`` (µm OPD, refractive-index
excess × projected thickness) and an absorption (optical density) map ``A``, each in two focal
layers (in focus / about 1-2 µm out of focus), plus two granularity weights that modulate
band-limited noise (fine granules 0.35-0.6 µm, coarse clumps 1.2-2.5 µm). Objects are 3-D spheres,
shells and clipped spheres with analytic projected thickness (blastomeres are cut by the radical
planes of their neighbours and by the zona, so compressed contact faces appear). The maps are
blurred by a Gaussian PSF (FFT) and imaged with either

* bright field: ``I = B·exp(-A)·(1 - dz·lap(P))·scatter_loss(|grad P|)`` (transport-of-intensity
  defocus, dz 1.5-4.5 µm either sign, plus rays refracted out of the aperture: dark outlines), or
* Hoffman modulation contrast: ``I = B·exp(-A)·(1 + c·tanh(dP/du / g0))`` (random shear ``u``).

Then vignetting (≤ 35 %) and gradient (≤ 18 %), faint dust rings, flare (contrast 0.45-1),
Poisson-Gaussian noise, gamma 0.8-1.25, 8-bit quantisation, optional JPEG (30 %, q 65-92), warm
RGB tint, time-lapse text ("67.9h", well number) and scale bar (15 %, "50 um"/"20 um", exactly
consistent with ``um_per_px``).

Frames: time-lapse camera (square 480-600 px; bright field 75 %; about 40 % slightly soft; sometimes
the darker sloped wall of the micro-well) for 12 % of oocytes and 55 % of embryos and blastocysts,
otherwise inverted microscope (640x480 to 800x600; Hoffman 60 %). Images are ``uint8`` HxW grey
(about 85 %) or HxWx3 RGB.

Sizes (the brief's values, smaller than the ~150 µm of human oocytes; every structure is scaled to
them): outer zona diameter 110-120 µm, zona 13-18 µm, ellipticity ≤ 3.5 %. The outer zona diameter
covers 60-95 % of the short side (oocytes, day 3) or 60-92 % (blastocysts, expansion 1-4); objects
lie fully in frame, except the empty zona of an expansion-6 blastocyst.

Determinism: everything is drawn from ``numpy.random.default_rng([seed, i, kind])``, so the same
``(seed, i)`` always gives the same image and truth and any index can be rendered on its own. Class
labels come from shuffled blocks, so they are balanced exactly over every block.

Public API: ``oocyte_sample``, ``day3_sample``, ``blastocyst_sample``; each takes ``(seed, i)`` and
returns ``(image, truth)`` with a JSON-serialisable truth dict (``center_px`` is [x, y]).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["KINDS", "VERSION", "blastocyst_sample", "day3_sample", "oocyte_sample"]

VERSION = "1.0"
KINDS: tuple[str, ...] = ("oocyte_sample", "day3_sample", "blastocyst_sample")

_KIND_CODE = {"oocyte": 101, "day3": 203, "blastocyst": 307}
F32 = np.float32

Modes = list[tuple[int, float, float]]  # outline modes (order k, amplitude, phase)
Stretch = tuple[float, float, float]  # elliptic stretch (axis a, axis b, rotation)
Cut = tuple[float, float, float, int]  # half-plane (ux, uy, c, sign), px
Slices = tuple[slice, slice]
PostEffect = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _jsonable(x: Any) -> Any:
    """Truth values as plain Python (numpy scalars -> float / int / bool), recursively."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


# ----------------------------------------------------------------------------
# deterministic randomness and balanced labels
# ----------------------------------------------------------------------------
def _rng(seed: int, i: int, kind: str, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng([int(seed) % (2**32), int(i) % (2**62), _KIND_CODE[kind], stream])


def _block_pick(seed: int, i: int, kind: str, items: list[Any], stream: int) -> Any:
    """Item for index i from shuffled blocks of ``items`` (exact balance per block)."""
    n = len(items)
    b, k = divmod(int(i), n)
    perm = np.random.default_rng([int(seed) % (2**32), b, _KIND_CODE[kind], 1000 + stream]).permutation(n)
    return items[int(perm[k])]


# ----------------------------------------------------------------------------
# geometry helpers
# ----------------------------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def _rand_rot(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def _fib_sphere(n: int, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """~uniform unit vectors (Fibonacci lattice, random rotation, jitter in spacings)."""
    k = np.arange(n) + 0.5
    z = 1 - 2 * k / n
    phi = k * math.pi * (3 - math.sqrt(5))
    rr = np.sqrt(1 - z * z)
    p = np.stack([rr * np.cos(phi), rr * np.sin(phi), z], 1)
    spacing = math.sqrt(4 * math.pi / n)
    p = p + rng.normal(size=p.shape) * spacing * jitter
    return _unit(p) @ _rand_rot(rng).T


def _pack(
    radii: np.ndarray,
    rng: np.random.Generator,
    conf_r: float,
    allow: float = 0.2,
    wall_allow: float = 0.1,
    iters: int = 150,
    zbias: float = 0.0,
    pos0: np.ndarray | None = None,
    fixed_p: np.ndarray | None = None,
    fixed_r: np.ndarray | None = None,
    fixed_allow: float = 0.2,
    attract: float = 0.0,
    conf_center: np.ndarray | None = None,
) -> np.ndarray:
    """Relax spheres (um) inside a confining sphere; overlaps up to ``allow`` of the radius sum."""
    r = np.asarray(radii, float)
    n = len(r)
    cc = np.zeros(3) if conf_center is None else np.asarray(conf_center, float)
    if pos0 is None:
        v = _unit(rng.normal(size=(n, 3)))
        p = cc + v * (rng.random(n) ** (1 / 3) * np.maximum(conf_r - r, 0.1) * 0.7)[:, None]
    else:
        p = np.array(pos0, float)
    lim = np.maximum(conf_r - r * (1 - wall_allow), 0.0)
    mind = (r[:, None] + r[None, :]) * (1 - allow)
    np.fill_diagonal(mind, 0.0)
    if fixed_p is not None and len(fixed_p):
        assert fixed_r is not None, "fixed_p needs fixed_r"
        fmd = (r[:, None] + fixed_r[None, :]) - r[:, None] * fixed_allow * 2
    for it in range(iters):
        if n > 1:
            dx = p[:, 0:1] - p[:, 0]
            dy = p[:, 1:2] - p[:, 1]
            dz = p[:, 2:3] - p[:, 2]
            d = np.sqrt(dx * dx + dy * dy + dz * dz) + 1e-9
            w = np.clip(mind - d, 0, None) / d * 0.5
            p = p + np.stack([(dx * w).sum(1), (dy * w).sum(1), (dz * w).sum(1)], 1)
            if it % 10 == 0:
                p = p + rng.normal(size=p.shape) * 1e-3
        if fixed_p is not None and len(fixed_p):
            diff = p[:, None, :] - fixed_p[None, :, :]
            d = np.sqrt((diff**2).sum(-1)) + 1e-9
            ov = np.clip(fmd - d, 0, None)
            p = p + (diff / d[..., None] * ov[..., None]).sum(1)
        if attract > 0 and n > 1:
            p = p + attract * (p.mean(0) - p)
        if zbias > 0:
            p[:, 2] = cc[2] + (p[:, 2] - cc[2]) * (1 - zbias)
        q = p - cc
        rad = np.linalg.norm(q, axis=1) + 1e-9
        f = np.minimum(1.0, lim / rad)
        p = cc + q * f[:, None]
    return p


# ----------------------------------------------------------------------------
# the scene: physical maps in pixel space
# ----------------------------------------------------------------------------
class _Scene:
    """Holds OPD / absorption maps (2 focal layers) and granularity weights."""

    def __init__(self, H: int, W: int, s: float) -> None:
        self.H, self.W, self.s = H, W, s
        self.P = np.zeros((2, H, W), F32)
        self.A = np.zeros((2, H, W), F32)
        self.G = np.zeros((H, W), F32)  # fine granularity weight
        self.C = np.zeros((H, W), F32)  # coarse granularity weight
        self.post: list[PostEffect] = []  # multiplicative post effects

    def box(self, cx: float, cy: float, R: float) -> tuple[Slices, np.ndarray, np.ndarray] | None:
        """Pixel window around a disc: (slices, dx row, dy column) relative to (cx, cy), or None off frame."""
        x0 = max(math.floor(cx - R) - 2, 0)
        x1 = min(math.ceil(cx + R) + 3, self.W)
        y0 = max(math.floor(cy - R) - 2, 0)
        y1 = min(math.ceil(cy + R) + 3, self.H)
        if x0 >= x1 or y0 >= y1:
            return None
        dx = (np.arange(x0, x1, dtype=F32) - F32(cx))[None, :]
        dy = (np.arange(y0, y1, dtype=F32) - F32(cy))[:, None]
        return (slice(y0, y1), slice(x0, x1)), dx, dy

    @staticmethod
    def _radius_field(
        dx: np.ndarray, dy: np.ndarray, r: float, modes: Modes | None, stretch: Stretch | None
    ) -> tuple[np.ndarray, np.ndarray | np.float32]:
        if stretch is not None:
            ea, eb, rot = stretch
            c, s_ = math.cos(rot), math.sin(rot)
            u = (dx * c + dy * s_) / ea
            v = (-dx * s_ + dy * c) / eb
            dx, dy = u, v
        d2 = dx * dx + dy * dy
        if modes:
            th = np.arctan2(dy, dx)
            m = np.zeros_like(th)
            for k, a, ph in modes:
                m = m + F32(a) * np.cos(k * th + ph)
            # fade the outline modulation towards the centre (no radial seam at d = 0)
            w = np.minimum(d2 / F32(0.3 * r * r), 1)
            rr: np.ndarray | np.float32 = F32(r) * (1 + m * w)
        else:
            rr = F32(r)
        return d2, rr

    def add(
        self,
        sl: Slices,
        layer: int,
        h_um: np.ndarray,
        dn: float = 0.0,
        mu: float = 0.0,
        gran: float = 0.0,
        coarse: float = 0.0,
        norm: float = 1.0,
    ) -> None:
        if dn:
            self.P[layer][sl] += F32(dn) * h_um
        if mu:
            self.A[layer][sl] += F32(mu) * h_um
        if gran:
            self.G[sl] += F32(gran / norm) * h_um
        if coarse:
            self.C[sl] += F32(coarse / norm) * h_um

    def sphere(
        self,
        cx: float,
        cy: float,
        r: float,
        dn: float = 0.0,
        layer: int = 0,
        mu: float = 0.0,
        gran: float = 0.0,
        coarse: float = 0.0,
        modes: Modes | None = None,
        stretch: Stretch | None = None,
        cut: Cut | None = None,
    ) -> tuple[Slices, np.ndarray] | None:
        """Projected thickness of a (deformed) sphere, r in px. Returns (sl, thickness_um) or None.

        ``cut`` = (ux, uy, c, sign): keep pixels with sign*((dx*ux+dy*uy) - c) <= 0 (soft).
        """
        rm = r * (1 + sum(abs(a) for _, a, _ in (modes or []))) * (max(stretch[:2]) if stretch else 1)
        b = self.box(cx, cy, rm)
        if b is None:
            return None
        sl, dx, dy = b
        d2, rr = self._radius_field(dx, dy, r, modes, stretch)
        h = np.sqrt(np.maximum(rr * rr - d2, 0)) * F32(2 * self.s)
        if cut is not None:
            ux, uy, c, sg = cut
            h = h * np.clip(0.5 - sg * ((dx * ux + dy * uy) - c) / 2.0, 0, 1)
        self.add(sl, layer, h, dn, mu, gran, coarse, norm=2 * r * self.s)
        return sl, h

    def shell(
        self,
        cx: float,
        cy: float,
        ro: float,
        ri: float,
        dn: float = 0.0,
        layer: int = 0,
        mu: float = 0.0,
        gran: float = 0.0,
        coarse: float = 0.0,
        modes: Modes | None = None,
        stretch: Stretch | None = None,
        gap: tuple[float, float] | None = None,
    ) -> tuple[Slices, np.ndarray] | None:
        """Projected thickness of a spherical shell (zona). gap=(angle, half_angle)."""
        rm = ro * (1 + sum(abs(a) for _, a, _ in (modes or []))) * (max(stretch[:2]) if stretch else 1)
        b = self.box(cx, cy, rm)
        if b is None:
            return None
        sl, dx, dy = b
        d2, rr = self._radius_field(dx, dy, 1.0, modes, stretch)
        h = np.sqrt(np.maximum((rr * ro) ** 2 - d2, 0)) - np.sqrt(np.maximum((rr * ri) ** 2 - d2, 0))
        h = h * F32(2 * self.s)
        if gap is not None:  # opening at the equator only (the caps above/below stay)
            ang, half = gap
            th = np.arctan2(dy, dx)
            dd = np.abs(np.angle(np.exp(1j * (th - ang))))
            soft = max(0.02, 2.0 / max(ro, 1))
            g = np.clip((dd - half) / soft, 0, 1).astype(F32)
            rad = np.sqrt(d2) / rr
            wgt = np.clip((rad - 0.8 * ri) / (0.2 * ri + 1e-6), 0, 1)
            h = h * (1 - wgt * (1 - g))
        self.add(sl, layer, h, dn, mu, gran, coarse, norm=2 * (ro - ri) * self.s * 2)
        return sl, h

    def clear(
        self, cx: float, cy: float, r: float, amount: float = 0.85, fine: bool = True, coarse: bool = True
    ) -> None:
        """Reduce granularity inside a disc (nuclei, vacuoles, cavities)."""
        b = self.box(cx, cy, r)
        if b is None:
            return
        sl, dx, dy = b
        m = np.clip((F32(r) - np.sqrt(dx * dx + dy * dy)) / 1.5 + 0.5, 0, 1)
        f = 1 - F32(amount) * m
        if fine:
            self.G[sl] *= f
        if coarse:
            self.C[sl] *= f


# ----------------------------------------------------------------------------
# frame, optics and image formation
# ----------------------------------------------------------------------------
def _frame(rng: np.random.Generator, p_tl: float) -> dict[str, Any]:
    tl = bool(rng.random() < p_tl)
    if tl:
        side = int(rng.choice([480, 500, 512, 540, 600]))
        H = W = side
        mode = "bf" if rng.random() < 0.75 else "hmc"
    else:
        W, H = [(640, 480), (720, 576), (768, 576), (800, 600), (640, 512), (600, 600), (720, 540)][
            int(rng.integers(7))
        ]
        mode = "hmc" if rng.random() < 0.6 else "bf"
    return {"tl": tl, "H": H, "W": W, "mode": mode}


def _optics(rng: np.random.Generator, fr: dict[str, Any]) -> dict[str, Any]:
    tl = fr["tl"]
    o: dict[str, Any] = {"mode": fr["mode"], "tl": tl}
    o["psf_um"] = float(rng.uniform(0.25, 0.6))
    o["soft"] = bool(rng.random() < (0.4 if tl else 0.25))
    extra = float(rng.uniform(0.15, 0.5)) if o["soft"] else 0.0
    o["psf_um"] += extra  # slightly out of focus
    o["defocus_um"] = float(rng.uniform(0.8, 2.0))
    # bright-field defocus distance (TIE term); real defocus also blurs, so tie them
    o["dz"] = float(rng.choice([-1, 1]) * (rng.uniform(1.5, 4.5) + extra * rng.uniform(1.5, 3.0)))
    o["theta0"] = float(rng.uniform(0.08, 0.25))
    o["loss"] = float(rng.uniform(0.25, 0.7))
    o["hmc_angle"] = float(rng.uniform(0, 2 * math.pi))
    o["hmc_c"] = float(rng.uniform(0.35, 0.8))
    o["hmc_g0"] = float(rng.uniform(0.04, 0.12))
    o["B0"] = float(rng.uniform(0.38, 0.75) if not tl else rng.uniform(0.36, 0.68))
    o["vig"] = float(rng.uniform(0.0, 0.35))
    o["grad"] = float(rng.uniform(0, 0.18))
    o["grad_dir"] = float(rng.uniform(0, 2 * math.pi))
    o["contrast"] = float(1.0 if rng.random() < 0.65 else rng.uniform(0.45, 0.8))
    if tl and rng.random() < 0.5:
        o["contrast"] = float(rng.uniform(0.45, 0.8))
    o["gamma"] = float(rng.uniform(0.8, 1.25))
    o["full_well"] = float(10 ** rng.uniform(2.6, 3.9))
    o["read"] = float(rng.uniform(0.002, 0.012))
    o["gran_um"] = float(rng.uniform(0.35, 0.6))
    o["coarse_um"] = float(rng.uniform(1.2, 2.5))
    o["g_amp"] = float(rng.uniform(0.5, 1.0))
    o["jpeg"] = int(rng.uniform(65, 93)) if rng.random() < 0.3 else 0
    o["rgb"] = bool(rng.random() < (0.06 if tl else 0.2))
    o["tint"] = [float(x) for x in (rng.uniform(0.95, 1.05), 1.0, rng.uniform(0.82, 1.0))]
    o["dust"] = int(rng.integers(0, 4))
    return o


def _next_fast(n: int) -> int:
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _render(sc: _Scene, o: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    H, W, s = sc.H, sc.W, sc.s
    pad = 16
    Hp, Wp = _next_fast(H + 2 * pad), _next_fast(W + 2 * pad)
    py0, px0 = pad, pad
    fy = np.fft.fftfreq(Hp).astype(F32)[:, None]
    fx = np.fft.rfftfreq(Wp).astype(F32)[None, :]
    k2 = fx * fx + fy * fy
    tp = F32(2 * math.pi**2)

    def padr(a: np.ndarray) -> np.ndarray:
        return np.pad(a, ((py0, Hp - H - py0), (px0, Wp - W - px0)), mode="reflect")

    def crop(a: np.ndarray) -> np.ndarray:
        return a[py0 : py0 + H, px0 : px0 + W]

    # band-limited noise fields
    def bnoise(sig_px: float) -> np.ndarray:
        w = rng.standard_normal((Hp, Wp), dtype=F32)
        n = np.fft.irfft2(np.fft.rfft2(w) * np.exp(-tp * F32(sig_px**2) * k2), s=(Hp, Wp))
        n = crop(n)
        return (n / (n.std() + 1e-9)).astype(F32)

    Nf = bnoise(o["gran_um"] / s)
    Nc = bnoise(o["coarse_um"] / s)
    ga = o["g_amp"]
    hm = o["mode"] == "hmc"
    P0 = sc.P[0] + F32((0.016 if hm else 0.022) * ga) * sc.G * Nf + F32(0.03 if hm else 0.05) * sc.C * Nc
    A0 = sc.A[0] + F32(0.10 * ga) * sc.G * np.maximum(Nf - 0.8, 0) + F32(0.22) * sc.C * np.maximum(Nc - 0.3, 0)

    sf = o["psf_um"] / s
    sd = math.hypot(o["psf_um"], o["defocus_um"]) / s
    Kf = np.exp(-tp * F32(sf * sf) * k2)
    Kd = np.exp(-tp * F32(sd * sd) * k2)
    FP = np.fft.rfft2(padr(P0)) * Kf + np.fft.rfft2(padr(sc.P[1])) * Kd
    FA = np.fft.rfft2(padr(A0)) * Kf + np.fft.rfft2(padr(sc.A[1])) * Kd
    tpi = F32(2 * math.pi)
    Px = crop(np.fft.irfft2(FP * (1j * tpi * fx), s=(Hp, Wp))) / F32(s)
    Py = crop(np.fft.irfft2(FP * (1j * tpi * fy), s=(Hp, Wp))) / F32(s)
    A = crop(np.fft.irfft2(FA, s=(Hp, Wp)))
    T = np.exp(-np.maximum(A, 0))
    g2 = Px * Px + Py * Py
    scat = 1 - F32(o["loss"]) * (1 - np.exp(-g2 / F32(o["theta0"] ** 2)))
    if o["mode"] == "bf":
        lap = crop(np.fft.irfft2(FP * (-(tpi**2) * k2), s=(Hp, Wp))) / F32(s * s)
        inten = T * np.clip(1 - F32(o["dz"]) * lap, 0.15, 2.5) * scat
    else:
        a = o["hmc_angle"]
        G = F32(math.cos(a)) * Px + F32(math.sin(a)) * Py
        inten = T * (1 + F32(o["hmc_c"]) * np.tanh(G / F32(o["hmc_g0"]))) * (1 - 0.4 * (1 - scat))
    # illumination
    yy = (np.arange(H, dtype=F32)[:, None] - H / 2) / (min(H, W) / 2)
    xx = (np.arange(W, dtype=F32)[None, :] - W / 2) / (min(H, W) / 2)
    ill = (1 - F32(o["vig"]) * (xx * xx + yy * yy) / 2) * (
        1 + F32(o["grad"]) * (xx * math.cos(o["grad_dir"]) + yy * math.sin(o["grad_dir"]))
    )
    for eff in sc.post:
        ill = ill * eff(xx, yy)
    for _ in range(o["dust"]):  # out-of-focus dust on optics: faint rings
        cx, cy = rng.uniform(-1.2, 1.2), rng.uniform(-1, 1)
        rr = rng.uniform(0.05, 0.25)
        dd = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        ill = ill * (1 - F32(rng.uniform(0.01, 0.05)) * np.exp(-(((dd - rr) / (0.25 * rr)) ** 2)))
    inten = inten * ill * F32(o["B0"])
    mean = F32(o["B0"] * 0.95)
    inten = mean + (inten - mean) * F32(o["contrast"])
    fw = F32(o["full_well"])
    inten = np.maximum(inten, 0)
    inten = inten + np.sqrt(inten / fw + F32(o["read"] ** 2)) * rng.standard_normal(inten.shape, dtype=F32)
    inten = np.clip(inten, 0, 1) ** F32(o["gamma"])
    if o["rgb"]:
        t = np.array(o["tint"], F32)
        img = np.clip(inten[..., None] * t[None, None, :] * 255 + 0.5, 0, 255).astype(np.uint8)
    else:
        img = np.clip(inten * 255 + 0.5, 0, 255).astype(np.uint8)
    if o["jpeg"]:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=o["jpeg"])
        img = np.asarray(Image.open(io.BytesIO(buf.getvalue()))).copy()
    return img


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except Exception:  # pragma: no cover
        return ImageFont.load_default()


def _overlay(
    img: np.ndarray,
    rng: np.random.Generator,
    o: dict[str, Any],
    s: float,
    text: str | None,
    avoid: tuple[float, float, float],
) -> np.ndarray:
    """Time-lapse text (TL frames) and occasional scale bar (consistent with um_per_px)."""
    want_text = text is not None and o["tl"] and rng.random() < 0.6
    want_bar = rng.random() < 0.15
    if not (want_text or want_bar):
        return img
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im)
    H, W = img.shape[:2]
    fs = max(11, int(min(H, W) / 32))
    f = _font(fs)
    bright = rng.random() < 0.7
    rgb = (235, 235, 235) if bright else (20, 20, 20)
    col: int | tuple[int, int, int] = rgb[0] if im.mode == "L" else rgb
    if want_text and text is not None:  # want_text implies a text
        d.text((int(0.02 * W), int(0.02 * H)), text, fill=col, font=f)
        if rng.random() < 0.5:
            d.text((int(0.02 * W), int(0.93 * H)), str(int(rng.integers(1, 17))), fill=col, font=f)
    if want_bar:
        L = 50.0 if 50.0 / s < 0.3 * W else 20.0
        lp = round(L / s)
        x1 = int(0.96 * W)
        x0 = x1 - lp
        y = int(0.95 * H)
        cx, cy, R = avoid
        if math.hypot((x0 + x1) / 2 - cx, y - cy) > R + 10:
            d.rectangle([x0, y - 1, x1, y + 1], fill=col)
            d.text((x0, y - fs - 4), f"{int(L)} um", fill=col, font=f)
    return np.asarray(im).copy()


# ----------------------------------------------------------------------------
# shared object painters (all geometry inputs in um, relative to (cx, cy) px)
# ----------------------------------------------------------------------------
def _modes(rng: np.random.Generator, kmax: int, amp: float, kmin: int = 2) -> Modes:
    return [(k, float(rng.uniform(0, amp) / k**0.6), float(rng.uniform(0, 2 * math.pi))) for k in range(kmin, kmax + 1)]


def _zona(
    sc: _Scene,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    ro_um: float,
    t_um: float,
    e: float = 0.0,
    rot: float = 0.0,
    gap: tuple[float, float] | None = None,
    layer: int = 0,
    dn: float | None = None,
    stretch: Stretch | None = None,
    crumple: bool = False,
) -> None:
    s = sc.s
    ro, ri = ro_um / s, (ro_um - t_um) / s
    if stretch is None:
        stretch = (1 + e / 2, 1 - e / 2, rot)
    mods = [(k, float(rng.uniform(0, 0.006)), float(rng.uniform(0, 6.3))) for k in (3, 4, 5, 7)]
    if crumple:  # collapsed empty zona after hatching
        mods += [(k, float(rng.uniform(0.01, 0.04)), float(rng.uniform(0, 6.3))) for k in (2, 3, 5, 6)]
    dn = float(rng.uniform(0.008, 0.016)) if dn is None else dn
    sc.shell(
        cx,
        cy,
        ro,
        ri,
        dn=dn,
        layer=layer,
        mu=float(rng.uniform(0.0005, 0.002)),
        gran=float(rng.uniform(0.1, 0.35)),
        coarse=float(rng.uniform(0.0, 0.1)),
        modes=mods,
        stretch=stretch,
        gap=gap,
    )
    # inner, denser zona layer (visible as a faint inner band in many images)
    if rng.random() < 0.6:
        ri2 = ri + (ro - ri) * float(rng.uniform(0.3, 0.55))
        sc.shell(
            cx, cy, ri2, ri, dn=dn * float(rng.uniform(0.2, 0.5)), layer=layer, modes=mods, stretch=stretch, gap=gap
        )


def _debris(sc: _Scene, rng: np.random.Generator, n: int, avoid: list[tuple[float, float, float]]) -> None:
    """Small particles in the medium (outside objects listed in ``avoid`` = [(x,y,r_px)])."""
    for _ in range(n):
        for _t in range(10):
            x, y = rng.uniform(0, sc.W), rng.uniform(0, sc.H)
            if all(math.hypot(x - ax, y - ay) > ar + 4 for ax, ay, ar in avoid):
                break
        else:
            continue
        r = float(rng.uniform(0.5, 3.0)) / sc.s
        layer = int(rng.random() < 0.4)
        mods = _modes(rng, 5, 0.25) if rng.random() < 0.3 and r * sc.s > 1.5 else None
        sc.sphere(x, y, r, dn=float(rng.uniform(0.02, 0.06)), layer=layer, mu=float(rng.uniform(0.0, 0.03)), modes=mods)


def _well_rim(sc: _Scene, rng: np.random.Generator, cx: float, cy: float, R_obj: float) -> None:
    """Sloped wall of a time-lapse culture micro-well: broad OPD ramp, darker outside."""
    Rw = R_obj * float(rng.uniform(1.5, 1.9))
    wx = cx + float(rng.normal(0, 0.06)) * Rw
    wy = cy + float(rng.normal(0, 0.06)) * Rw
    yy = np.arange(sc.H, dtype=F32)[:, None] - F32(wy)
    xx = np.arange(sc.W, dtype=F32)[None, :] - F32(wx)
    d = np.sqrt(xx * xx + yy * yy)
    if d.max() < Rw + 5:
        return
    wall = float(rng.uniform(8.0, 20.0)) / sc.s  # wall width (px)
    step = np.clip((d - F32(Rw)) / F32(wall), 0, 1)
    sc.P[1] += F32(rng.uniform(0.5, 1.5)) * step
    dark = F32(rng.uniform(0.25, 0.5))
    shade = 1 - dark * step**0.7

    def _outside_dark(xx_: np.ndarray, yy_: np.ndarray) -> np.ndarray:
        return shade

    sc.post.append(_outside_dark)


def _nucleus(
    sc: _Scene,
    rng: np.random.Generator,
    x: float,
    y: float,
    r_px: float,
    layer: int,
    dn_host: float,
    n_nucleoli: int,
    nucleolus_r: float | None = None,
    strength: float = 1.0,
) -> None:
    """Clear round nucleus (less granular, slightly lower OPD) with envelope and nucleoli."""
    sc.sphere(x, y, r_px, dn=-dn_host * float(rng.uniform(0.5, 0.8)) * strength, layer=layer)
    sc.shell(x, y, r_px * 1.05, r_px * 0.93, dn=dn_host * float(rng.uniform(1.5, 2.5)) * strength, layer=layer)
    sc.clear(x, y, r_px, amount=float(rng.uniform(0.8, 0.95)))
    for _ in range(n_nucleoli):
        rn = nucleolus_r if nucleolus_r is not None else r_px * float(rng.uniform(0.13, 0.2))
        ang, rad = rng.uniform(0, 2 * math.pi), rng.uniform(0, max(r_px - rn * 1.6, 0))
        sc.sphere(
            x + rad * math.cos(ang),
            y + rad * math.sin(ang),
            rn,
            dn=float(rng.uniform(0.035, 0.06)),
            layer=layer,
            mu=float(rng.uniform(0.004, 0.02)),
        )


def _cumulus(sc: _Scene, rng: np.random.Generator, cx: float, cy: float, Ro_px: float) -> None:
    """A few corona / cumulus cells left on the outside of the zona."""
    ang0 = rng.uniform(0, 2 * math.pi)
    for _ in range(int(rng.integers(3, 10))):
        r = float(rng.uniform(3.5, 5.5)) / sc.s
        ang = ang0 + rng.normal(0, 0.25)
        rad = Ro_px + r * float(rng.uniform(0.7, 2.5))
        x, y = cx + rad * math.cos(ang), cy + rad * math.sin(ang)
        sc.sphere(x, y, r, dn=0.02, mu=0.003, gran=0.6, modes=_modes(rng, 4, 0.12))
        _nucleus(sc, rng, x, y, r * 0.45, 0, 0.02, 0)


def _place(rng: np.random.Generator, H: int, W: int, R_px: float, margin: float = 4.0) -> tuple[float, float]:
    lo_x, hi_x = R_px + margin, W - R_px - margin
    lo_y, hi_y = R_px + margin, H - R_px - margin
    cx = rng.uniform(lo_x, hi_x) if hi_x > lo_x else W / 2
    cy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else H / 2
    return float(cx), float(cy)


def _choose_scale(rng: np.random.Generator, fr: dict[str, Any], extent_um: float, lo: float, hi: float) -> float:
    frac = float(rng.uniform(lo, hi))
    return extent_um / (frac * min(fr["H"], fr["W"]))


# ----------------------------------------------------------------------------
# OOCYTE
# ----------------------------------------------------------------------------
def oocyte_sample(seed: int, i: int) -> tuple[np.ndarray, dict]:
    """Render one denuded oocyte (GV / MI / MII / degenerate) with its zona pellucida.

    Labels (Istanbul consensus 2011, ESHRE atlas) are balanced exactly, 25 % each per block of 4 indices:

    * ``GV``: germinal vesicle (r 10-14 µm, projected fully inside the ooplasm; clear, slightly lower
      OPD, denser envelope) with always one refractile nucleolus (r 2.8-4.5 µm); no polar body.
    * ``MI``: no GV and no polar body.
    * ``MII``: first polar body (r 5.5-7.5 µm) in the perivitelline space (2-8 µm, widened if needed),
      indenting the oolemma (centre 0.55-0.95 PB radii outside it), elevation ≤ 30°, so always seen
      at the rim; fragmented in two in 15 %.
    * ``degenerate``: ``dark`` (45 %; shrunken to 62-88 % of the inner zona radius, dense, coarse,
      irregular), ``fragmented`` (30 %; 2-6 dark granular pieces of r ≥ 9 µm, none like a polar body)
      or ``lysed`` (25 %; pale, flattened, wrinkled, vacuolated, debris). 20 % of them also carry a
      polar body; the ooplasm decides the label.

    GV / MI / MII ooplasm may show up to 3 refractile bodies (r 1-2.5 µm) and a central granular area
    (12 %); MI / MII rarely a small vacuole (10 %, r ≤ 3.5 µm). Any class: perivitelline granules (30 %,
    r ≤ 1.2 µm) and cumulus remnants (12 %; 3-9 small nucleated cells outside the zona).

    Returns ``(image, truth)``. truth: ``label``, ``um_per_px``, ``center_px`` (zona centre, [x, y]),
    ``zona_outer_radius_px`` (mean of the ellipse axes); extras ``zona_thickness_um``,
    ``ooplasm_center_px``, ``pb_center_px`` / ``pb_radius_um`` / ``pb_fragmented`` (with a polar body),
    ``gv_center_px`` / ``gv_radius_um`` (GV), ``degenerate_type``, ``fragment_count`` (fragmented),
    ``modality`` (``"bf"`` / ``"hmc"``), ``timelapse``.
    """
    kind = "oocyte"
    label = _block_pick(seed, i, kind, ["GV", "MI", "MII", "degenerate"], 0)
    rng = _rng(seed, i, kind)
    fr = _frame(rng, 0.12)
    o = _optics(rng, fr)
    H, W = fr["H"], fr["W"]
    D = float(rng.uniform(110, 120))
    tz = float(rng.uniform(13, 18))
    s = _choose_scale(rng, fr, D, 0.6, 0.95)
    Ro_um, Ri_um = D / 2, D / 2 - tz
    Ro = Ro_um / s
    cx, cy = _place(rng, H, W, Ro * 1.03)
    sc = _Scene(H, W, s)
    truth: dict[str, Any] = {
        "label": label,
        "um_per_px": s,
        "center_px": [cx, cy],
        "zona_outer_radius_px": Ro,
        "zona_thickness_um": tz,
        "modality": o["mode"],
        "timelapse": fr["tl"],
    }
    if fr["tl"] and rng.random() < 0.5 and Ro < 0.4 * min(H, W):
        _well_rim(sc, rng, cx, cy, Ro)
    e = float(rng.uniform(0, 0.035))
    _zona(sc, rng, cx, cy, Ro_um, tz, e=e, rot=float(rng.uniform(0, math.pi)))

    dn_oo = float(rng.uniform(0.012, 0.022))
    mu_oo = float(rng.uniform(0.0025, 0.006))
    gran = float(rng.uniform(0.6, 1.3))
    deg_type = None
    pvs = float(rng.uniform(0.5, 5.0))
    if label == "MII":
        pvs = float(rng.uniform(2.0, 8.0))
    r_oo = Ri_um - pvs
    pb = None
    off_dir = _unit(rng.normal(size=2))
    off = float(rng.uniform(0, 0.8)) * pvs

    if label == "MII" or (label == "degenerate" and rng.random() < 0.2):
        rpb = float(rng.uniform(5.5, 7.5))
        k = float(rng.uniform(0.55, 0.95))
        ang = rng.uniform(0, 2 * math.pi)
        el = math.radians(rng.uniform(-30, 30))
        u3 = np.array([math.cos(ang) * math.cos(el), math.sin(ang) * math.cos(el), math.sin(el)])
        if label == "degenerate":
            r_oo = Ri_um * float(rng.uniform(0.65, 0.85))
        need = (k + 1) * rpb + 0.3 + r_oo - Ri_um  # shift of ooplasm away from PB
        if need > Ri_um - r_oo:  # grow the PVS so that the PB fits
            r_oo = Ri_um - ((k + 1) * rpb + 0.3) / 2 - 0.2
            need = (k + 1) * rpb + 0.3 + r_oo - Ri_um
        off = float(rng.uniform(max(need, 0.0), max(need, 0.0) + 0.3 * max(Ri_um - r_oo - max(need, 0), 0)))
        off = min(off, Ri_um - r_oo - 0.1)
        c_oo = -u3 * off
        c_pb = c_oo + u3 * (r_oo + k * rpb)
        pb = (c_pb, rpb)
    else:
        c_oo = np.array([off_dir[0] * off, off_dir[1] * off, 0.0])

    ox, oy = cx + c_oo[0] / s, cy + c_oo[1] / s
    truth["ooplasm_center_px"] = [float(ox), float(oy)]

    if label != "degenerate":
        mods = _modes(rng, 6, 0.012)
        res = sc.sphere(ox, oy, r_oo / s, dn=dn_oo, mu=mu_oo, gran=gran, modes=mods, coarse=float(rng.uniform(0, 0.15)))
        if pb is not None and res is not None:  # indentation of the oolemma by the PB
            sl, h = res
            bx = np.arange(sl[1].start, sl[1].stop, dtype=F32)[None, :] - (cx + pb[0][0] / s)
            by = np.arange(sl[0].start, sl[0].stop, dtype=F32)[:, None] - (cy + pb[0][1] / s)
            dpb = np.sqrt(bx * bx + by * by)
            cutm = 1 - np.clip((F32(pb[1] * 1.05 / s) - dpb) / F32(pb[1] * 0.25 / s), 0, 1)
            sc.P[0][sl] -= F32(dn_oo) * h * (1 - cutm)
            sc.A[0][sl] -= F32(mu_oo) * h * (1 - cutm)
            sc.G[sl] *= cutm
        # a clear cortex: reduce granules in the outer rim
        if rng.random() < 0.5:
            sc.clear(ox, oy, r_oo / s, amount=0.0)
        if rng.random() < 0.12:  # central granular area
            sc.sphere(
                ox + rng.normal(0, 0.1) * r_oo / s,
                oy + rng.normal(0, 0.1) * r_oo / s,
                r_oo * float(rng.uniform(0.35, 0.55)) / s,
                coarse=float(rng.uniform(0.6, 1.2)),
                mu=mu_oo * 0.5,
            )
        for _ in range(int(rng.integers(0, 4))):  # refractile bodies
            a, rr = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.8) * r_oo
            sc.sphere(
                ox + rr * math.cos(a) / s,
                oy + rr * math.sin(a) / s,
                float(rng.uniform(1.0, 2.5)) / s,
                dn=0.04,
                mu=float(rng.uniform(0.01, 0.05)),
            )
        if label in ("MI", "MII") and rng.random() < 0.1:  # small vacuole (<= 7 um diameter)
            a, rr = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.7) * r_oo
            rv = float(rng.uniform(1.5, 3.5))
            x, y = ox + rr * math.cos(a) / s, oy + rr * math.sin(a) / s
            sc.sphere(x, y, rv / s, dn=-dn_oo * 1.2)
            sc.clear(x, y, rv / s, amount=1.0)
        if label == "GV":
            rgv = float(rng.uniform(10.0, 14.0))
            a = rng.uniform(0, 2 * math.pi)
            rr = float(rng.uniform(0, 0.85)) * max(r_oo - rgv - 3, 0)
            gx, gy = ox + rr * math.cos(a) / s, oy + rr * math.sin(a) / s
            rnuc = float(rng.uniform(2.8, 4.5))
            _nucleus(sc, rng, gx, gy, rgv / s, 0, dn_oo * 1.3, 1, nucleolus_r=rnuc / s)
            truth["gv_center_px"] = [float(gx), float(gy)]
            truth["gv_radius_um"] = rgv
    else:
        deg_type = str(rng.choice(["dark", "fragmented", "lysed"], p=[0.45, 0.3, 0.25]))
        if deg_type == "dark":
            r_d = min(r_oo, Ri_um * float(rng.uniform(0.62, 0.88))) if pb is None else r_oo
            res = sc.sphere(
                ox,
                oy,
                r_d / s,
                dn=dn_oo * float(rng.uniform(1.1, 1.5)),
                mu=float(rng.uniform(0.009, 0.02)),
                gran=gran * 1.5,
                coarse=float(rng.uniform(0.8, 1.6)),
                modes=_modes(rng, 7, float(rng.uniform(0.05, 0.1))),
            )
            if rng.random() < 0.5:  # darker centre
                sc.sphere(ox, oy, r_d * 0.6 / s, mu=float(rng.uniform(0.005, 0.015)), coarse=0.8)
        elif deg_type == "fragmented":
            Rtot = Ri_um * float(rng.uniform(0.65, 0.85))
            npc = int(rng.integers(2, 7))
            for _t in range(20):
                v = rng.dirichlet(np.ones(npc) * 2.0) * Rtot**3
                rr_ = np.cbrt(v)
                if rr_.min() >= 9.0:
                    break
            else:
                npc = 2
                rr_ = np.cbrt(np.array([0.55, 0.45]) * Rtot**3)
            pos = _pack(rr_, rng, Ri_um, allow=0.15, wall_allow=0.1, iters=100, zbias=0.05)
            for (px_, py_, pz_), r_ in zip(pos, rr_, strict=True):
                sc.sphere(
                    cx + px_ / s,
                    cy + py_ / s,
                    r_ / s,
                    dn=dn_oo * float(rng.uniform(0.9, 1.4)),
                    mu=float(rng.uniform(0.008, 0.02)),
                    gran=gran * 1.4,
                    coarse=float(rng.uniform(0.8, 1.6)),
                    modes=_modes(rng, 7, float(rng.uniform(0.1, 0.2))),
                    layer=int(abs(pz_) > 0.4 * Ri_um),
                )
            truth["fragment_count"] = int(npc)
        else:  # lysed / atretic: pale, flattened, wrinkled, vacuolated
            r_l = Ri_um * float(rng.uniform(0.75, 0.95))
            mods = _modes(rng, 6, float(rng.uniform(0.06, 0.12))) + _modes(rng, 14, 0.02, kmin=9)
            sc.sphere(
                ox,
                oy,
                r_l / s,
                dn=dn_oo * float(rng.uniform(0.25, 0.5)),
                mu=float(rng.uniform(0.001, 0.004)),
                gran=gran * 0.4,
                coarse=float(rng.uniform(0.8, 1.6)),
                modes=mods,
                stretch=(1.0, float(rng.uniform(0.8, 1.0)), float(rng.uniform(0, 3.14))),
            )
            for _ in range(int(rng.integers(4, 14))):
                a, rr = rng.uniform(0, 2 * math.pi), math.sqrt(rng.random()) * 0.8 * r_l
                rv = float(rng.uniform(1.5, 5.0))
                x, y = ox + rr * math.cos(a) / s, oy + rr * math.sin(a) / s
                sc.sphere(x, y, rv / s, dn=-dn_oo * 0.5)
                sc.clear(x, y, rv / s, amount=0.9)
            for _ in range(int(rng.integers(10, 40))):  # clumped debris
                a, rr = rng.uniform(0, 2 * math.pi), math.sqrt(rng.random()) * 0.95 * r_l
                sc.sphere(
                    ox + rr * math.cos(a) / s,
                    oy + rr * math.sin(a) / s,
                    float(rng.uniform(0.6, 2.0)) / s,
                    dn=0.03,
                    mu=float(rng.uniform(0.01, 0.05)),
                )
        truth["degenerate_type"] = deg_type

    if pb is not None:
        c_pb, rpb = pb
        px_, py_ = cx + c_pb[0] / s, cy + c_pb[1] / s
        frag_pb = rng.random() < 0.15 and label == "MII"
        if frag_pb:
            t = _unit(np.array([-c_pb[1], c_pb[0]]))
            for sg in (-1, 1):
                r2 = rpb * float(rng.uniform(0.6, 0.75))
                sc.sphere(
                    px_ + sg * t[0] * r2 * 0.85 / s,
                    py_ + sg * t[1] * r2 * 0.85 / s,
                    r2 / s,
                    dn=dn_oo * 1.2,
                    mu=mu_oo * 1.5,
                    gran=gran,
                    modes=_modes(rng, 4, 0.08),
                )
        else:
            sc.sphere(
                px_,
                py_,
                rpb / s,
                dn=dn_oo * float(rng.uniform(1.0, 1.4)),
                mu=mu_oo * 1.5,
                gran=gran,
                stretch=(1.0, float(rng.uniform(0.8, 1.0)), float(math.atan2(c_pb[1], c_pb[0]))),
                modes=_modes(rng, 4, 0.04),
            )
        truth["pb_center_px"] = [float(px_), float(py_)]
        truth["pb_radius_um"] = rpb
        truth["pb_fragmented"] = bool(frag_pb)
    # perivitelline granules (small)
    if rng.random() < 0.3:
        for _ in range(int(rng.integers(3, 15))):
            a = rng.uniform(0, 2 * math.pi)
            rr = Ri_um - float(rng.uniform(0.3, 1.0)) * max(pvs, 1.0) * 0.7
            sc.sphere(
                cx + rr * math.cos(a) / s, cy + rr * math.sin(a) / s, float(rng.uniform(0.4, 1.2)) / s, dn=0.03, mu=0.01
            )
    if rng.random() < 0.12:
        _cumulus(sc, rng, cx, cy, Ro)
    _debris(sc, rng, int(rng.integers(0, 10)), [(cx, cy, Ro * 1.05)])
    img = _render(sc, o, rng)
    img = _overlay(img, rng, o, s, None, (cx, cy, Ro))
    return img, _jsonable(truth)


# ----------------------------------------------------------------------------
# DAY-3 EMBRYO
# ----------------------------------------------------------------------------
_D3_COUNTS = [2, 3, 4, 5, 6, 7, 8, 9, 10] * 2 + [4, 8]


def _cleavage_volumes(n: int, rng: np.random.Generator, even: bool) -> tuple[np.ndarray, np.ndarray]:
    """Relative blastomere volumes from a cleavage tree (lowest generation divides first).

    Returns (volumes summing to 1, generation of each cell). ``even``: all splits ~50/50
    (stage-specific sizes); otherwise at least one split is 72-82 / 18-28 %.
    """
    for _attempt in range(200):
        vols = [1.0]
        gens = [0]
        ndiv = n - 1
        bad = (
            set()
            if even
            else set(rng.choice(ndiv, size=int(rng.integers(1, min(2, ndiv) + 1)), replace=False).tolist())
        )
        for d in range(ndiv):
            g = min(gens)
            cand = [j for j, gg in enumerate(gens) if gg == g]
            j = int(rng.choice(cand))
            q = float(rng.uniform(0.72, 0.82)) if d in bad else float(rng.uniform(0.475, 0.525))
            v = vols[j]
            vols[j] = v * q
            gens[j] = g + 1
            vols.append(v * (1 - q))
            gens.append(g + 1)
        vols_a = np.array(vols)
        gens_a = np.array(gens)
        ratio = np.cbrt(vols_a / (0.5**gens_a))
        spread = ratio.max() / ratio.min()
        if even and spread <= 1.08:
            return vols_a, gens_a
        if not even and spread >= 1.45:
            return vols_a, gens_a
    return vols_a, gens_a


def _cell_thickness(
    dx: np.ndarray, dy: np.ndarray, c: np.ndarray, r: float, cuts: list[tuple[np.ndarray, float]], zr: float
) -> np.ndarray:
    """Projected thickness (px) of sphere (centre c=(x,y,z) px, radius r) cut by planes and zona.

    dx, dy: pixel coordinates relative to the embryo centre; cuts: list of (n(3), c) with n.p <= c.
    """
    ex, ey = dx - F32(c[0]), dy - F32(c[1])
    h = np.sqrt(np.maximum(F32(r * r) - ex * ex - ey * ey, 0))
    zlo = F32(c[2]) - h
    zhi = F32(c[2]) + h
    hz = np.sqrt(np.maximum(F32(zr * zr) - dx * dx - dy * dy, 0))
    zlo = np.maximum(zlo, -hz)
    zhi = np.minimum(zhi, hz)
    for nvec, cc in cuts:
        b = F32(cc) - F32(nvec[0]) * dx - F32(nvec[1]) * dy
        nz = float(nvec[2])
        if abs(nz) > 1e-6:
            if nz > 0:
                zhi = np.minimum(zhi, b / F32(nz))
            else:
                zlo = np.maximum(zlo, b / F32(nz))
        else:
            zhi = np.where(b < 0, zlo, zhi)
    return np.maximum(zhi - zlo, 0)


def day3_sample(seed: int, i: int) -> tuple[np.ndarray, dict]:
    """Render one day-3 cleavage embryo (2-10 blastomeres) in its zona (Istanbul consensus 2011 grading).

    * ``cells``: 2-10 from blocks of 20 (each count twice, plus 4 and 8 once more: 15 % each for 4 and 8,
      10 % for the others).
    * Blastomere volumes follow a cleavage tree in which the lowest generation divides first, so sizes
      are *stage-specific* (3 cells: one V/2 and two V/4). ``even``: every split within 47.5/52.5 %, each
      diameter within ±8 % of its generation's (max/min spread ≤ 1.08); uneven: 1-2 splits of
      72-82 / 18-28 %, spread ≥ 1.45. Nothing in between. A 3-cell embryo with one large and two small
      cells is even.
    * ``fragmentation_pct`` = fragment volume / (blastomere + fragment volume) × 100, exact from the drawn
      sphere radii. Fragments are anucleate spheres (r about 1.3-6.5 µm) in 1-3 clusters plus 25 %
      scattered; the blastomere volume shrinks by the fragment volume.
    * ``multinucleation``: 1-3 blastomeres nearest the focal plane carry 2-4 small nuclei; MN images are
      never blurred (PSF ≤ 0.6 µm, contrast ≥ 0.65). 60 % of other in-focus cells show one nucleus.
    * ``istanbul_grade`` balanced exactly per block of 3, recomputed from the drawn values:
      1 = fragmentation < 10 % (drawn 0-5 %, 30 % of them exactly 0), even, no MN;
      2 = 10-25 % (drawn 13-22 %), even, no MN;
      3 = > 25 % (drawn 30-42 %) or uneven or MN (each drawn with p 0.45 / 0.45 / 0.40, at least one).
      No borderline cases: fragmentation never in 5-13 % or 22-30 %.

    Returns ``(image, truth)``. truth: ``cells``, ``fragmentation_pct``, ``even``, ``multinucleation``,
    ``istanbul_grade``, ``um_per_px``, ``center_px`` (zona centre); extras ``zona_outer_radius_px``,
    ``fragmentation_area_pct``, ``n_fragments``, ``cell_centers_px``, ``cell_radii_um``, ``cell_depth_um``
    (z from the focal plane; |z| > 0.3 × inner zona radius is drawn defocused), ``multinucleated_cells``,
    ``modality``, ``timelapse``. ``fragmentation_area_pct`` is the share of the projected embryo area
    covered by fragments (half where over a cell); it is typically 1.5-3× the volume %, and the grade
    bands are in volume %, so an analyzer that reads area must convert or be scored on the area key.
    """
    kind = "day3"
    n = int(_block_pick(seed, i, kind, _D3_COUNTS, 0))
    grade = int(_block_pick(seed, i, kind, [1, 2, 3], 1))
    rng = _rng(seed, i, kind)
    even, mn, frag_band = True, False, 1
    if grade == 2:
        frag_band = 2
    elif grade == 3:
        while True:
            fh = rng.random() < 0.45
            ue = rng.random() < 0.45
            mm = rng.random() < 0.4
            if fh or ue or mm:
                break
        even, mn = not ue, mm
        frag_band = 3 if fh else int(rng.choice([1, 2]))
    frag_target = {1: rng.uniform(0, 5), 2: rng.uniform(13, 22), 3: rng.uniform(30, 42)}[frag_band]
    if frag_band == 1 and rng.random() < 0.3:
        frag_target = 0.0

    fr = _frame(rng, 0.55)
    o = _optics(rng, fr)
    if mn:  # multinucleation must stay decidable: nuclei need a reasonably sharp, contrasted image
        o["psf_um"] = min(o["psf_um"], 0.6)
        o["contrast"] = max(o["contrast"], 0.65)
    H, W = fr["H"], fr["W"]
    D = float(rng.uniform(110, 120))
    tz = float(rng.uniform(13, 18))
    s = _choose_scale(rng, fr, D, 0.6, 0.95)
    Ro_um, Ri_um = D / 2, D / 2 - tz
    Ro = Ro_um / s
    cx, cy = _place(rng, H, W, Ro * 1.03)
    sc = _Scene(H, W, s)
    if fr["tl"] and rng.random() < 0.5 and Ro < 0.4 * min(H, W):
        _well_rim(sc, rng, cx, cy, Ro)
    _zona(sc, rng, cx, cy, Ro_um, tz, e=float(rng.uniform(0, 0.035)), rot=float(rng.uniform(0, math.pi)))

    r0 = Ri_um * float(rng.uniform(0.82, 0.93))  # original ooplasm radius
    V0 = 4 / 3 * math.pi * r0**3
    # fragments first (their total volume fixes the cell volume)
    frag_r: list[float] = []
    Vf_target = V0 * frag_target / 100.0
    big = frag_band == 3
    acc = 0.0
    while acc < Vf_target:
        rf = float(rng.uniform(2.0, 6.5) if (big or rng.random() < 0.5) else rng.uniform(1.3, 4.0))
        v = 4 / 3 * math.pi * rf**3
        if acc + v > Vf_target:
            rem = Vf_target - acc
            rf = (rem * 3 / (4 * math.pi)) ** (1 / 3)
            if rf < 1.2:
                break
            v = rem
        frag_r.append(rf)
        acc += v
    Vf = float(sum(4 / 3 * math.pi * r**3 for r in frag_r))
    Vc = V0 - Vf
    for _t in range(20):
        vols, _gens = _cleavage_volumes(n, rng, even)
        radii = np.cbrt(vols * Vc * 3 / (4 * math.pi))
        if radii.min() >= 9.5:
            break
    frag_pct = 100.0 * Vf / (Vf + float((4 / 3 * math.pi * radii**3).sum()))

    # 3-D layout of blastomeres (um, embryo centre = zona centre)
    # small cell numbers need large contact flattening to fit side by side in the zona
    allow = 0.16 + 0.25 * max(0, 5 - n) / 3
    wall = 0.1 + 0.1 * (n <= 3)
    best, best_sc = None, -1.0
    for _t in range(5):  # keep the layout whose cells overlap least in projection
        pos = _pack(radii, rng, Ri_um, allow=allow, wall_allow=wall, iters=120, zbias=0.03)
        dxy = np.sqrt(((pos[:, None, :2] - pos[None, :, :2]) ** 2).sum(-1))
        rs = radii[:, None] + radii[None, :]
        score = float((dxy / rs + np.eye(n) * 9).min())
        if score > best_sc:
            best, best_sc = pos, score
        if score > 0.75:
            break
    assert best is not None  # the first layout always scores above -1
    pos = best
    # fragments packed around fixed cells, clustered
    fpos = np.zeros((0, 3))
    if frag_r:
        fr_a = np.array(frag_r)
        m = len(fr_a)
        ncl = int(rng.integers(1, 4))
        cl_dirs = []
        for _ in range(ncl):
            a = rng.uniform(0, 2 * math.pi)
            el = rng.uniform(-0.5, 0.5)
            cl_dirs.append(
                np.array([math.cos(a) * math.cos(el), math.sin(a) * math.cos(el), math.sin(el)]) * Ri_um * 0.8
            )
        cl = np.array(cl_dirs)
        which = rng.integers(0, ncl, size=m)
        init = cl[which] + rng.normal(size=(m, 3)) * Ri_um * float(rng.uniform(0.15, 0.35))
        scatter = rng.random(m) < 0.25
        init[scatter] = _unit(rng.normal(size=(int(scatter.sum()), 3))) * Ri_um * 0.8
        fpos = _pack(
            fr_a,
            rng,
            Ri_um,
            allow=0.25,
            wall_allow=0.1,
            iters=30,
            pos0=init,
            fixed_p=pos,
            fixed_r=radii * 0.9,
            fixed_allow=0.2,
        )

    # cut planes between overlapping cells (radical planes)
    cuts_all: list[list[tuple[np.ndarray, float]]] = []
    for a in range(n):
        cuts: list[tuple[np.ndarray, float]] = []
        for b in range(n):
            if a == b:
                continue
            dd = np.linalg.norm(pos[a] - pos[b])
            if dd < radii[a] + radii[b]:
                nvec = 2 * (pos[b] - pos[a])
                cc = (pos[b] ** 2).sum() - (pos[a] ** 2).sum() - radii[b] ** 2 + radii[a] ** 2
                cuts.append((nvec / s, cc / (s * s)))  # in px units (scaled consistently)
        cuts_all.append(cuts)

    dn_c = float(rng.uniform(0.011, 0.02))
    mu_c = float(rng.uniform(0.001, 0.004))
    gran = float(rng.uniform(0.6, 1.3))
    mem_amp = float(rng.uniform(0.25, 0.5))  # OPD (um * px) of the membrane line
    zf = 0.3 * Ri_um
    layers = [0 if abs(p[2]) < zf else 1 for p in pos]
    # multinucleated cells: the ones closest to the focal plane
    mn_cells: list[int] = []
    if mn:
        k = int(rng.integers(1, min(3, n) + 1))
        order = np.argsort(np.abs(pos[:, 2]) - 0.3 * radii)
        mn_cells = [int(j) for j in order[:k]]
        for j in mn_cells:
            layers[j] = 0
    zr_px = Ri_um / s
    for j in range(n):
        R = radii[j] / s
        cxp, cyp = cx + pos[j, 0] / s, cy + pos[j, 1] / s
        win = sc.box(cxp, cyp, R)
        if win is None:
            continue
        sl, dx, dy = win
        # coordinates relative to embryo centre in px
        ddx = dx + F32(pos[j, 0] / s)
        ddy = dy + F32(pos[j, 1] / s)
        h = _cell_thickness(ddx, ddy, pos[j] / s, R, cuts_all[j], zr_px) * F32(s)
        sc.add(sl, layers[j], h, dn=dn_c * float(rng.uniform(0.9, 1.1)), mu=mu_c, gran=gran, norm=2 * radii[j])
        # membrane / cortex: a thin line along the projected outline of the (cut) cell,
        # including contact faces seen edge-on (they are what makes blastomeres countable)
        e = h > 0
        inner = e.copy()
        inner[1:, :] &= e[:-1, :]
        inner[:-1, :] &= e[1:, :]
        inner[:, 1:] &= e[:, :-1]
        inner[:, :-1] &= e[:, 1:]
        edge = (e & ~inner).astype(F32)
        wpx = max(1.0, 0.6 / s)  # ~0.6 um wide line
        if wpx > 1.5:
            edge = np.maximum(edge, np.roll(edge, 1, 0))
            edge = np.maximum(edge, np.roll(edge, 1, 1))
        sc.P[layers[j]][sl] += F32(mem_amp * (1.0 if layers[j] == 0 else 1.4) / max(wpx, 1.0)) * edge
    nuclei_info: list[int] = []
    for j in range(n):
        if layers[j] != 0:
            continue
        R = radii[j]
        cxp, cyp = cx + pos[j, 0] / s, cy + pos[j, 1] / s
        if j in mn_cells:
            nn = int(rng.choice([2, 2, 3, 4]))
            rn = R * float(rng.uniform(0.15, 0.2))
            base = rng.uniform(0, 2 * math.pi)
            ring = max(rn * 1.35, R * 0.3)
            for q in range(nn):
                a = base + 2 * math.pi * q / nn + rng.normal(0, 0.15)
                _nucleus(
                    sc,
                    rng,
                    cxp + ring * math.cos(a) / s,
                    cyp + ring * math.sin(a) / s,
                    rn / s,
                    0,
                    dn_c,
                    int(rng.integers(1, 3)),
                    strength=1.7,
                )
            nuclei_info.append(nn)
        elif rng.random() < 0.6:
            rn = R * float(rng.uniform(0.2, 0.27))
            a, rr = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.25) * R
            _nucleus(
                sc,
                rng,
                cxp + rr * math.cos(a) / s,
                cyp + rr * math.sin(a) / s,
                rn / s,
                0,
                dn_c,
                int(rng.integers(1, 4)),
            )
            nuclei_info.append(1)
        else:
            nuclei_info.append(0)
    dn_f = dn_c * float(rng.uniform(1.0, 1.6))
    for (px_, py_, pz_), rf in zip(fpos, frag_r, strict=True):
        sc.sphere(
            cx + px_ / s,
            cy + py_ / s,
            rf / s,
            dn=dn_f,
            mu=float(rng.uniform(0.003, 0.012)),
            gran=gran * 0.5,
            layer=int(abs(pz_) > 0.45 * Ri_um),
            modes=_modes(rng, 4, 0.12),
        )
    _debris(sc, rng, int(rng.integers(0, 8)), [(cx, cy, Ro * 1.05)])

    # projected-area fragmentation (informative): union of fragments / union of embryo
    yy = np.arange(0, H, 2, dtype=F32)[:, None]
    xx = np.arange(0, W, 2, dtype=F32)[None, :]
    cm = np.zeros((len(yy), xx.shape[1]), bool)
    fm = np.zeros_like(cm)
    for j in range(n):
        cm |= (xx - (cx + pos[j, 0] / s)) ** 2 + (yy - (cy + pos[j, 1] / s)) ** 2 <= (radii[j] / s) ** 2
    for (px_, py_, _pz), rf in zip(fpos, frag_r, strict=True):
        fm |= (xx - (cx + px_ / s)) ** 2 + (yy - (cy + py_ / s)) ** 2 <= (rf / s) ** 2
    fa = float((fm & ~cm).sum() + 0.5 * (fm & cm).sum())
    frag_area = 100.0 * fa / max(float((fm | cm).sum()), 1.0)

    if mn or not even or frag_pct > 25:
        g = 3
    elif frag_pct >= 10:
        g = 2
    else:
        g = 1
    truth = {
        "cells": n,
        "fragmentation_pct": round(frag_pct, 3),
        "even": bool(even),
        "multinucleation": bool(mn),
        "istanbul_grade": g,
        "um_per_px": s,
        "center_px": [cx, cy],
        "zona_outer_radius_px": Ro,
        "fragmentation_area_pct": round(frag_area, 2),
        "n_fragments": len(frag_r),
        "cell_centers_px": [[float(cx + p[0] / s), float(cy + p[1] / s)] for p in pos],
        "cell_radii_um": [float(r) for r in radii],
        "cell_depth_um": [float(p[2]) for p in pos],
        "multinucleated_cells": mn_cells,
        "modality": o["mode"],
        "timelapse": fr["tl"],
    }
    img = _render(sc, o, rng)
    img = _overlay(img, rng, o, s, f"{rng.uniform(66, 70):.1f}h", (cx, cy, Ro))
    return img, _jsonable(truth)


# ----------------------------------------------------------------------------
# BLASTOCYST
# ----------------------------------------------------------------------------
def _sphere_voronoi(
    sc: _Scene, cx: float, cy: float, R: float, seeds: np.ndarray
) -> tuple[Slices, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Nearest / second-nearest seed (unit vectors) for the front hemisphere of a sphere (px)."""
    b = sc.box(cx, cy, R)
    if b is None:
        return None
    sl, dx, dy = b
    h, w = dy.shape[0], dx.shape[1]
    dxs, dys = dx[:, ::2], dy[::2, :]
    ux = np.broadcast_to(dxs / F32(R), (dys.shape[0], dxs.shape[1]))
    uy = np.broadcast_to(dys / F32(R), ux.shape)
    uz = np.sqrt(np.maximum(1 - ux * ux - uy * uy, 0))
    pts = np.stack([ux.ravel(), uy.ravel(), uz.ravel()], 1)
    front = seeds[seeds[:, 2] > -0.35].astype(F32)
    if len(front) < 2:
        front = seeds.astype(F32)
    dots = pts @ front.T
    i1 = np.argmax(dots, 1)
    m1 = dots[np.arange(len(pts)), i1]
    dots[np.arange(len(pts)), i1] = -2
    m2 = dots.max(1)

    def up(a: np.ndarray) -> np.ndarray:
        a = a.reshape(ux.shape)
        return np.repeat(np.repeat(a, 2, 0), 2, 1)[:h, :w]

    return sl, dx, dy, up(m1), up(m2), up(i1), front


def _te(
    sc: _Scene,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    R_um: float,
    grade: str,
    dn: float,
    layer: int = 0,
    cut: Cut | None = None,
    t_scale: float = 1.0,
) -> dict[str, Any]:
    """Trophectoderm: shell of dome-shaped cells (spherical Voronoi), junction lines, nuclei."""
    s = sc.s
    R = R_um / s
    if grade == "A":
        N, t_um, bump, jit, var = int(rng.integers(120, 200)), rng.uniform(3.5, 5.5), 0.35, 0.25, 0.1
    elif grade == "B":
        N, t_um, bump, jit, var = int(rng.integers(35, 60)), rng.uniform(2.8, 4.5), 0.5, 0.35, 0.35
    else:
        N, t_um, bump, jit, var = int(rng.integers(9, 17)), rng.uniform(2.4, 3.6), 0.9, 0.3, 0.4
    t_um *= t_scale
    jamp = float(rng.uniform(0.25, 0.6)) * (1.5 if grade == "C" else 1.0)
    seeds = _fib_sphere(N, rng, jit)
    vr = _sphere_voronoi(sc, cx, cy, R, seeds)
    if vr is None:
        return {"te_cells": N}
    sl, dx, dy, m1, m2, i1, front = vr
    cellfac = (1 + var * rng.uniform(-1, 1, size=len(front))).astype(F32)
    a_c = math.sqrt(4 * math.pi / N) / 2  # typical angular cell radius
    ang = np.arccos(np.clip(m1, -1, 1))
    q = np.clip(1 - (ang / F32(a_c * 1.1)) ** 2, 0, 1)
    t_loc = F32(t_um / s) * cellfac[i1] * (F32(1 - bump) + F32(bump) * q)
    d2 = dx * dx + dy * dy
    Ri = np.maximum(F32(R) - t_loc, 0)
    h = (np.sqrt(np.maximum(F32(R * R) - d2, 0)) - np.sqrt(np.maximum(Ri * Ri - d2, 0))) * F32(2 * s)
    jw = F32(0.9 / R_um * a_c * 1.5)
    inside = (d2 < R * R).astype(F32)
    jn = np.exp(-(((m1 - m2) / jw) ** 2)) * inside
    rn = float(rng.uniform(3.0, 4.5))  # TE nucleus radius (um)
    nuc = np.exp(-((ang / F32(rn / R_um)) ** 2)) * inside
    if cut is not None:
        ux, uy, c, sg = cut
        keep = np.clip(0.5 - sg * ((dx * ux + dy * uy) - c) / 2.0, 0, 1)
        h, jn, nuc = h * keep, jn * keep, nuc * keep
    sc.add(sl, layer, h, dn=dn * 1.5, mu=0.004, gran=0.5, norm=2 * t_um * 3)
    sc.P[layer][sl] += F32(dn * t_um * jamp) * jn.astype(F32)
    # nuclei: slight bulges (more prominent in the flattened cells of grade C)
    sc.P[layer][sl] += F32(dn * t_um * (0.3 + 0.5 * bump) * (1.6 if grade == "C" else 1.0)) * nuc.astype(F32)
    return {"te_cells": N, "te_thickness_um": float(t_um)}


def _icm(
    sc: _Scene,
    rng: np.random.Generator,
    cx: float,
    cy: float,
    Rb_um: float,
    t_um: float,
    grade: str,
    u: np.ndarray,
    dn: float,
) -> dict[str, Any]:
    """Inner cell mass attached to the inner TE at direction u (3-D unit vector)."""
    s = sc.s
    e1 = _unit(np.cross(u, [0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.cross(u, [1.0, 0, 0]))
    e2 = np.cross(u, e1)
    Rin = Rb_um - t_um
    if grade == "A":
        nc = int(rng.integers(40, 60))
        Ric = max(Rb_um * float(rng.uniform(0.33, 0.42)), 18.0)
        rc = np.full(nc, Ric * 0.26) * rng.uniform(0.85, 1.15, nc)
        spread, allow, attract, iters = 0.7, 0.3, 0.02, 80
    elif grade == "B":
        nc = int(rng.integers(8, 14))
        Ric = max(Rb_um * float(rng.uniform(0.3, 0.4)), 16.0)
        rc = rng.uniform(4.5, 6.5, nc)
        spread, allow, attract, iters = 1.0, -0.12, 0.0, 40
    else:
        nc = int(rng.integers(2, 5))
        Ric = Rb_um * float(rng.uniform(0.2, 0.3))
        rc = rng.uniform(4.0, 6.0, nc)
        spread, allow, attract, iters = 0.9, -0.3, 0.0, 30
    anchor = u * (Rin - 0.0)
    g = rng.normal(size=(nc, 3))
    p0 = (
        anchor
        - u[None, :] * (np.abs(g[:, 0:1]) * Ric * 0.45 * spread + rc[:, None] * 0.8)
        + e1[None, :] * g[:, 1:2] * Ric * 0.55 * spread
        + e2[None, :] * g[:, 2:3] * Ric * 0.55 * spread
    )
    pos = _pack(rc, rng, Rin, allow=allow, wall_allow=0.2, iters=iters, pos0=p0, attract=attract)
    layer = 0
    if grade == "A":  # cohesive body (tight junctions, smooth dome outline)
        bc = anchor - u * Ric * 0.45
        sc.sphere(
            cx + bc[0] / s,
            cy + bc[1] / s,
            Ric * 0.9 / s,
            dn=dn * 0.5,
            mu=0.0015,
            gran=0.5,
            stretch=(0.8, 1.0, math.atan2(u[1], u[0])) if abs(u[2]) < 0.7 else None,
            layer=layer,
        )
    for p, r in zip(pos, rc, strict=True):
        sc.sphere(
            cx + p[0] / s,
            cy + p[1] / s,
            r / s,
            dn=dn * (0.8 if grade == "A" else 1.5),
            mu=0.0015 if grade == "A" else 0.006,
            gran=1.2,
            coarse=0.0 if grade == "A" else 0.6,
            layer=layer,
            modes=_modes(rng, 4, 0.08 if grade != "A" else 0.03),
        )
        sc.shell(cx + p[0] / s, cy + p[1] / s, r / s, r * 0.92 / s, dn=dn * 0.4, layer=layer)
        if grade != "A" or rng.random() < 0.3:
            _nucleus(sc, rng, cx + p[0] / s, cy + p[1] / s, r * 0.4 / s, layer, dn, 1)
    cen = pos.mean(0)
    return {"icm_cells": nc, "icm_center_px": [float(cx + cen[0] / s), float(cy + cen[1] / s)]}


def _morula_mass(
    sc: _Scene, rng: np.random.Generator, cx: float, cy: float, Re_um: float, cav_frac: float, dn: float, gran: float
) -> dict[str, Any]:
    """Compacting cell mass with an eccentric blastocoel (expansion 1-2)."""
    s = sc.s
    Rc = Re_um * cav_frac ** (1 / 3)
    tmin = float(rng.uniform(2.5, 6.0))
    u = _unit(rng.normal(size=3))
    u[2] *= 0.3
    u = _unit(u)
    offmax = max(Re_um - Rc - tmin, 0)
    off = offmax * float(rng.uniform(0.85, 1.0))
    cc = u * off
    mods = _modes(rng, 5, 0.015)
    mu = float(rng.uniform(0.003, 0.006))
    sc.sphere(cx, cy, Re_um / s, dn=dn, mu=mu, gran=gran * 1.3, coarse=0.5, modes=mods)
    # blastocoel: remove cytoplasm along the line of sight
    sc.sphere(cx + cc[0] / s, cy + cc[1] / s, Rc / s, dn=-dn, mu=-mu, gran=-gran * 1.3, coarse=-0.5)
    np.maximum(sc.G, 0, out=sc.G)
    np.maximum(sc.C, 0, out=sc.C)
    # cell outlines on the surface and the inner cells (faint, compacted)
    N = int(rng.integers(50, 90) if cav_frac < 0.5 else rng.integers(70, 120))
    seeds = _fib_sphere(N, rng, 0.35)
    vr = _sphere_voronoi(sc, cx, cy, Re_um / s, seeds)
    if vr is not None:
        sl, dx, dy, m1, m2, _i1, _front = vr
        a_c = math.sqrt(4 * math.pi / N) / 2
        jw = F32(0.9 / Re_um * a_c * 1.5)
        ins = dx * dx + dy * dy < (Re_um / s) ** 2
        jn = np.exp(-(((m1 - m2) / jw) ** 2)) * ins
        sc.P[0][sl] += F32(dn * float(rng.uniform(1.5, 3.0))) * jn.astype(F32)
        ang = np.arccos(np.clip(m1, -1, 1))  # surface cells bulge slightly
        q = np.clip(1 - (ang / F32(a_c * 1.1)) ** 2, 0, 1)
        sc.P[0][sl] += F32(dn * float(rng.uniform(1.0, 2.5))) * (q * ins).astype(F32)
    if cav_frac < 0.5:  # deeper blastomere outlines of the compact mass (second, smaller network)
        seeds2 = _fib_sphere(int(rng.integers(20, 35)), rng, 0.35)
        vr = _sphere_voronoi(sc, cx, cy, Re_um * 0.65 / s, seeds2)
        if vr is not None:
            sl, dx, dy, m1, m2, _i1, _front = vr
            jw = F32(0.9 / (0.65 * Re_um) * math.sqrt(4 * math.pi / len(seeds2)) * 0.75)
            ins = dx * dx + dy * dy < (0.65 * Re_um / s) ** 2
            jn = np.exp(-(((m1 - m2) / jw) ** 2)) * ins
            sc.P[1][sl] += F32(dn * float(rng.uniform(1.0, 2.0))) * jn.astype(F32)
    # inner cells: nuclei-like clear spots scattered in the mass
    for _ in range(int(rng.integers(8, 20))):
        p = _unit(rng.normal(size=3)) * Re_um * float(rng.uniform(0.2, 0.85))
        if np.linalg.norm(p - cc) < Rc + 3:
            continue
        _nucleus(sc, rng, cx + p[0] / s, cy + p[1] / s, float(rng.uniform(2.5, 4.0)) / s, 0, dn * 0.7, 0, strength=0.45)
    # blastocoel wall (thin bright rim)
    sc.shell(cx + cc[0] / s, cy + cc[1] / s, Rc / s * 1.02, Rc / s * 0.98, dn=dn * 0.3)
    return {"cavity_center_px": [float(cx + cc[0] / s), float(cy + cc[1] / s)], "cavity_radius_um": float(Rc)}


def _exp_day(rng: np.random.Generator, exp: int) -> int:
    p6 = {1: 0.2, 2: 0.25, 3: 0.35, 4: 0.45, 5: 0.55, 6: 0.6}[exp]
    return 6 if rng.random() < p6 else 5


def blastocyst_sample(seed: int, i: int) -> tuple[np.ndarray, dict]:
    """Render one day-5/6 blastocyst graded by Gardner expansion (1-6), ICM and TE (A-C, from 3).

    ``expansion`` (Gardner & Schoolcraft 1999) is balanced exactly per block of 6:

    1. compacted mass (85-97 % of the inner zona radius), eccentric blastocoel, cavity volume fraction
       0.08-0.30;
    2. mass 82-93 % of the inner zona radius (visible perivitelline gap), eccentric thick-walled
       blastocoel, fraction 0.50-0.68;
    3. full: blastocyst fills the zona, thin TE (2.4-5.5 µm), zona 0.85-1.0× its original 13-18 µm;
    4. expanded: radius 1.18-1.45× the original inner zona radius, zona thinned to 0.3-0.5× (4-9 µm);
    5. hatching: as 4 (1.05-1.35×, zona 0.3-0.55×) with a 14-32° half-angle zona opening and a herniated
       TE sphere (0.45-1.0× the blastocyst radius) outside it;
    6. hatched: 1.2-1.6× the original inner zona radius, outside any zona; the empty collapsed zona lies
       beside it (55 %), partly in frame (20 %) or is absent (25 %).

    ``icm`` / ``te`` are graded from expansion 3 (``None`` below); the 9 combinations are balanced exactly
    per block of 9 graded images. ICM A: 40-59 small cells in a tight dome (diameter 0.66-0.84 of the
    blastocyst radius); B: 8-13 larger loose granular cells; C: 2-4 cells; the ICM sits within ±50° of the
    focal plane. TE A: 120-199 cells, 3.5-5.5 µm thick, even; B: 35-59 cells, 2.8-4.5 µm, ±35 % variation;
    C: 9-16 large flat cells, 2.4-3.6 µm. ``day`` 5 or 6, P(day 6) 0.20 / 0.25 / 0.35 / 0.45 / 0.55 / 0.60
    for expansion 1-6; it only shows in the time-lapse stamp (110-122 h / 132-146 h).

    Returns ``(image, truth)``. truth: ``expansion``, ``icm``, ``te``, ``day``, ``um_per_px``, ``center_px``
    (centroid of the blastocyst silhouette, empty zona excluded: zona centre for 1-4, union of inner part
    and hernia for 5, hatched blastocyst for 6); extras ``blastocyst_radius_px``, ``zona_center_px``
    (None when absent), ``zona_state`` (intact / hatching / beside / partial_in_frame / absent),
    ``zona_outer_radius_px`` and ``zona_thickness_um`` (1-5), ``cavity_volume_fraction`` (1-4; for 3-4 it
    is (inner / outer TE radius)³, not comparable with 1-2), ``cavity_center_px`` / ``cavity_radius_um``
    (1-2), ``te_cells`` / ``te_thickness_um`` (3-4), ``icm_cells`` / ``icm_center_px`` (3-6),
    ``herniation_center_px`` / ``herniation_radius_um`` / ``hole_half_angle_deg`` / ``icm_location`` (5),
    ``modality``, ``timelapse``.
    """
    kind = "blastocyst"
    exp = int(_block_pick(seed, i, kind, [1, 2, 3, 4, 5, 6], 0))
    icm: str | None = None
    te: str | None = None
    if exp >= 3:
        b, k = divmod(int(i), 6)
        # rank of this index among the graded (>=3) positions of its block
        perm = np.random.default_rng([int(seed) % (2**32), b, _KIND_CODE[kind], 1000]).permutation(6)
        order = [int(perm[j]) for j in range(6)]
        exps = [[1, 2, 3, 4, 5, 6][o_] for o_ in order]
        rank = sum(1 for j in range(k) if exps[j] >= 3)
        gidx = 4 * b + rank
        combos = [(a, t) for a in "ABC" for t in "ABC"]
        icm, te = _block_pick(seed, gidx, kind, combos, 1)
    rng = _rng(seed, i, kind)
    day = _exp_day(rng, exp)
    fr = _frame(rng, 0.55)
    o = _optics(rng, fr)
    H, W = fr["H"], fr["W"]
    D0 = float(rng.uniform(110, 120))
    tz0 = float(rng.uniform(13, 18))
    Rzi0 = D0 / 2 - tz0
    dn = float(rng.uniform(0.011, 0.02))
    gran = float(rng.uniform(0.6, 1.2))
    truth: dict[str, Any] = {"expansion": exp, "icm": icm, "te": te, "day": day}
    extra: dict[str, Any] = {"modality": o["mode"], "timelapse": fr["tl"]}

    if exp <= 4:
        if exp <= 2:
            Rz_out, tz = D0 / 2, tz0
        elif exp == 3:
            tz = tz0 * float(rng.uniform(0.85, 1.0))
            Rz_out = Rzi0 + tz
        else:
            Rb = Rzi0 * float(rng.uniform(1.18, 1.45))
            tz = tz0 * float(rng.uniform(0.3, 0.5))
            Rz_out = Rb + tz
        s = _choose_scale(rng, fr, 2 * Rz_out, 0.6, 0.92)
        cx, cy = _place(rng, H, W, Rz_out / s * 1.03)
        sc = _Scene(H, W, s)
        if fr["tl"] and rng.random() < 0.5 and Rz_out / s < 0.4 * min(H, W):
            _well_rim(sc, rng, cx, cy, Rz_out / s)
        _zona(sc, rng, cx, cy, Rz_out, tz, e=float(rng.uniform(0, 0.03)), rot=float(rng.uniform(0, math.pi)))
        Rzi = Rz_out - tz
        if exp <= 2:
            Re = Rzi * float(rng.uniform(0.85, 0.97) if exp == 1 else rng.uniform(0.82, 0.93))
            cf = float(rng.uniform(0.08, 0.3) if exp == 1 else rng.uniform(0.5, 0.68))
            info = _morula_mass(sc, rng, cx, cy, Re, cf, dn, gran)
            extra.update(info)
            extra["cavity_volume_fraction"] = cf
            extra["blastocyst_radius_px"] = Re / s
            if rng.random() < 0.35:  # excluded cells / fragments in the PVS
                for _ in range(int(rng.integers(1, 6))):
                    a = rng.uniform(0, 2 * math.pi)
                    rf = float(rng.uniform(2.0, 5.0))
                    rr = min(Re + rf * 0.7, Rzi - rf)
                    sc.sphere(
                        cx + rr * math.cos(a) / s,
                        cy + rr * math.sin(a) / s,
                        rf / s,
                        dn=dn * 1.3,
                        mu=0.008,
                        gran=0.5,
                        modes=_modes(rng, 4, 0.15),
                    )
        else:
            assert icm is not None and te is not None  # graded from expansion 3
            Rb = Rzi
            teinfo = _te(sc, rng, cx, cy, Rb, te, dn)
            extra.update(teinfo)
            u = _unit(
                np.array([*_unit(rng.normal(size=2)), 0.0])
                + np.array([0, 0, math.sin(math.radians(rng.uniform(-50, 50)))])
            )
            extra.update(_icm(sc, rng, cx, cy, Rb, teinfo.get("te_thickness_um", 3.0), icm, u, dn))
            extra["cavity_volume_fraction"] = float(((Rb - teinfo.get("te_thickness_um", 3)) / Rb) ** 3)
            extra["blastocyst_radius_px"] = Rb / s
        extra["zona_center_px"] = [cx, cy]
        extra["zona_outer_radius_px"] = Rz_out / s
        extra["zona_thickness_um"] = tz
        extra["zona_state"] = "intact"
        center = [cx, cy]
        avoid = [(cx, cy, Rz_out / s * 1.05)]
        Robj = Rz_out / s
    elif exp == 5:
        assert icm is not None and te is not None
        Rb0 = Rzi0 * float(rng.uniform(1.05, 1.35))
        tz = tz0 * float(rng.uniform(0.3, 0.55))
        Rz_out = Rb0 + tz
        alpha = math.radians(rng.uniform(14, 32))
        h_half = Rb0 * math.sin(alpha)
        xch = Rb0 * math.cos(alpha)
        rh = max(Rb0 * float(rng.uniform(0.45, 1.0)), h_half * 1.2)
        Dc = xch + math.sqrt(rh * rh - h_half * h_half)
        th = float(rng.uniform(0, 2 * math.pi))
        u2 = np.array([math.cos(th), math.sin(th)])
        # bounding extent of the union (zona + herniated sphere)
        c1 = u2 * Dc
        xs_ = [-Rz_out, Rz_out, c1[0] - rh, c1[0] + rh]
        ys_ = [-Rz_out, Rz_out, c1[1] - rh, c1[1] + rh]
        bw, bh = max(xs_) - min(xs_), max(ys_) - min(ys_)
        frac = float(rng.uniform(0.65, 0.9))
        s = max(bw / (frac * W), bh / (frac * H))
        mx = (max(xs_) + min(xs_)) / 2
        my = (max(ys_) + min(ys_)) / 2
        lo_x, hi_x = bw / 2 / s + 4, W - bw / 2 / s - 4
        lo_y, hi_y = bh / 2 / s + 4, H - bh / 2 / s - 4
        bcx = rng.uniform(lo_x, hi_x) if hi_x > lo_x else W / 2
        bcy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else H / 2
        cx, cy = float(bcx - mx / s), float(bcy - my / s)
        sc = _Scene(H, W, s)
        _zona(sc, rng, cx, cy, Rz_out, tz, gap=(th, alpha * 1.05))
        h1x, h1y = cx + c1[0] / s, cy + c1[1] / s
        # TE of the part inside the zona (keep side of chord) and of the herniated part
        cut0 = (float(u2[0]), float(u2[1]), xch / s, 1)
        teinfo = _te(sc, rng, cx, cy, Rb0, te, dn, cut=cut0)
        dch = (xch - Dc) / s  # chord position relative to hernia centre
        _te(sc, rng, h1x, h1y, rh, te, dn, cut=(float(u2[0]), float(u2[1]), dch, -1))
        # neck: TE squeezed through the zona opening
        for sg in (-1, 1):
            px_ = cx + (xch * u2[0] - sg * h_half * u2[1]) / s
            py_ = cy + (xch * u2[1] + sg * h_half * u2[0]) / s
            sc.sphere(px_, py_, teinfo.get("te_thickness_um", 3) * 0.9 / s, dn=dn, gran=0.4)
        t_te = teinfo.get("te_thickness_um", 3.0)
        if rng.random() < 0.75:
            a = th + math.pi + rng.uniform(-2.0, 2.0)
            u = _unit(np.array([math.cos(a), math.sin(a), math.sin(math.radians(rng.uniform(-45, 45)))]))
            extra.update(_icm(sc, rng, cx, cy, Rb0, t_te, icm, u, dn))
            extra["icm_location"] = "inside_zona"
        else:
            a = th + rng.uniform(-0.9, 0.9)
            u = _unit(np.array([math.cos(a), math.sin(a), math.sin(math.radians(rng.uniform(-35, 35)))]))
            extra.update(_icm(sc, rng, h1x, h1y, rh, t_te, icm, u, dn))
            extra["icm_location"] = "herniated"
        # centroid of the silhouette (union of two discs) on a coarse grid
        yy = np.arange(0, H, 2, dtype=F32)[:, None]
        xx = np.arange(0, W, 2, dtype=F32)[None, :]
        m = ((xx - cx) ** 2 + (yy - cy) ** 2 <= (Rb0 / s) ** 2) | ((xx - h1x) ** 2 + (yy - h1y) ** 2 <= (rh / s) ** 2)
        ys_i, xs_i = np.nonzero(m)
        center = [float(xs_i.mean() * 2), float(ys_i.mean() * 2)]
        extra.update(
            {
                "zona_center_px": [cx, cy],
                "zona_outer_radius_px": Rz_out / s,
                "zona_thickness_um": tz,
                "zona_state": "hatching",
                "herniation_center_px": [float(h1x), float(h1y)],
                "herniation_radius_um": float(rh),
                "hole_half_angle_deg": math.degrees(alpha),
                "blastocyst_radius_px": Rb0 / s,
            }
        )
        avoid = [(cx, cy, Rz_out / s * 1.05), (h1x, h1y, rh / s * 1.05)]
        Robj = Rz_out / s
    else:  # exp 6 hatched
        assert icm is not None and te is not None
        Rb = Rzi0 * float(rng.uniform(1.2, 1.6))
        zstate = str(rng.choice(["beside", "partial", "absent"], p=[0.55, 0.2, 0.25]))
        tz = tz0 * float(rng.uniform(0.3, 0.6))
        Rze = Rzi0 * float(rng.uniform(1.05, 1.3)) + tz
        asp = float(rng.uniform(0.55, 0.95))
        th = float(rng.uniform(0, 2 * math.pi))
        v2 = np.array([math.cos(th), math.sin(th)])
        dist = Rb + Rze * float(rng.uniform(0.75, 1.1))
        zc = v2 * dist
        if zstate == "beside":
            xs_ = [-Rb, Rb, zc[0] - Rze, zc[0] + Rze]
            ys_ = [-Rb, Rb, zc[1] - Rze, zc[1] + Rze]
            bw, bh = max(xs_) - min(xs_), max(ys_) - min(ys_)
            frac = float(rng.uniform(0.7, 0.92))
            s = max(bw / (frac * W), bh / (frac * H))
            mx, my = (max(xs_) + min(xs_)) / 2, (max(ys_) + min(ys_)) / 2
            lo_x, hi_x = bw / 2 / s + 4, W - bw / 2 / s - 4
            lo_y, hi_y = bh / 2 / s + 4, H - bh / 2 / s - 4
            bcx = rng.uniform(lo_x, hi_x) if hi_x > lo_x else W / 2
            bcy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else H / 2
            cx, cy = float(bcx - mx / s), float(bcy - my / s)
        else:
            s = _choose_scale(rng, fr, 2 * Rb, 0.45, 0.7)
            cx, cy = _place(rng, H, W, Rb / s * 1.03)
            if zstate == "partial":  # point the zona to the nearest border
                dists = [cx, W - cx, cy, H - cy]
                j = int(np.argmin(dists))
                v2 = [np.array([-1.0, 0]), np.array([1.0, 0]), np.array([0, -1.0]), np.array([0, 1.0])][j]
                v2 = _unit(v2 + rng.normal(0, 0.3, 2))
                th = math.atan2(v2[1], v2[0])
                zc = v2 * dist
        sc = _Scene(H, W, s)
        avoid = [(cx, cy, Rb / s * 1.05)]
        if zstate != "absent":
            zx, zy = cx + zc[0] / s, cy + zc[1] / s
            _zona(
                sc,
                rng,
                zx,
                zy,
                Rze,
                tz,
                stretch=(1.0, asp, th + math.pi / 2),
                gap=(th + math.pi + rng.normal(0, 0.3), math.radians(rng.uniform(3, 12))),
                crumple=True,
            )
            for _ in range(int(rng.integers(0, 5))):  # debris / excluded cells left in the zona
                a, rr = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.6) * (Rze - tz) * asp
                sc.sphere(
                    zx + rr * math.cos(a) / s,
                    zy + rr * math.sin(a) / s,
                    float(rng.uniform(2, 5)) / s,
                    dn=dn * 1.3,
                    mu=0.008,
                    gran=0.5,
                    modes=_modes(rng, 4, 0.15),
                )
            extra["zona_center_px"] = [float(zx), float(zy)]
            avoid.append((zx, zy, Rze / s * 1.05))
        else:
            extra["zona_center_px"] = None
        teinfo = _te(sc, rng, cx, cy, Rb, te, dn)
        u = _unit(
            np.array([*_unit(rng.normal(size=2)), 0.0]) + np.array([0, 0, math.sin(math.radians(rng.uniform(-50, 50)))])
        )
        extra.update(_icm(sc, rng, cx, cy, Rb, teinfo.get("te_thickness_um", 3.0), icm, u, dn))
        extra.update(
            {"zona_state": zstate if zstate != "partial" else "partial_in_frame", "blastocyst_radius_px": Rb / s}
        )
        center = [cx, cy]
        Robj = Rb / s
    _debris(sc, rng, int(rng.integers(0, 8)), avoid)
    truth["um_per_px"] = s
    truth["center_px"] = [float(center[0]), float(center[1])]
    truth.update(extra)
    img = _render(sc, o, rng)
    hrs = rng.uniform(110, 122) if day == 5 else rng.uniform(132, 146)
    img = _overlay(img, rng, o, s, f"{hrs:.1f}h", (center[0], center[1], Robj))
    return img, _jsonable(truth)
