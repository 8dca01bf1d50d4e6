"""Independent synthetic generator of IVF embryology still images.

Two public functions, both deterministic in (seed, i):

    day3_sample(seed, i)       -> (uint8 HxW image, meta)   cleavage embryo, Istanbul grade
    blastocyst_sample(seed, i) -> (uint8 HxW image, meta)   day-5/6 blastocyst, Gardner grade

Only the standard library, numpy and Pillow are used.

Image model
-----------
Every object (zona, blastomere, fragment, nucleus, trophectoderm, ICM cell, debris, pipette) is
written as an optical-path map (refractive-index excess x projected thickness, in micrometres)
into one of two layers: "in focus" and "out of focus".  Granular cytoplasm is a band-limited
noise field multiplied by a per-pixel granularity weight.  The two layers are blurred by two
point-spread functions (FFT, Gaussian) and turned into intensity either as

  * Hoffman modulation contrast (HMC): intensity ~ 1 + gain * d(path)/ds along a random shear
    direction s (relief shading: one flank of every object bright, the other dark), or
  * brightfield (BF): intensity ~ 1 - absorption - gain * laplacian(path) (defocus halo),

then multiplied by an illumination field (linear gradient, vignetting, mottling), plus shot and
read noise and sometimes a JPEG round trip.  Everything is drawn with smooth analytic profiles and
blurred by a PSF of >= 0.5 px, so edges are anti-aliased.
"""
import io
import math

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["day3_sample", "blastocyst_sample", "istanbul_grade"]

_K_DAY3 = 0x0D3E3B
_K_BLAST = 0x0B1A57
_MAX_SIDE = 600
_MIN_SIDE = 250
_UPP_RANGE = (0.25, 0.8)


def _rng(seed, i, k):
    return np.random.default_rng([int(seed) & 0x7FFFFFFFFFFFFFFF, int(i) & 0x7FFFFFFFFFFFFFFF, k])


# --------------------------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------------------------
def istanbul_grade(fragmentation_pct, uneven, multinucleated):
    """Istanbul consensus cleavage grade as written in CLINICAL.md.

    1: < 10 % fragmentation, stage-specific cell size, no multinucleation
    2: 10-25 % fragmentation, (mostly) stage-specific size, no multinucleation
    3: > 25 % fragmentation, or size not stage-specific, or multinucleation
    """
    if fragmentation_pct > 25.0 or uneven or multinucleated:
        return 3
    if fragmentation_pct >= 10.0:
        return 2
    return 1


# --------------------------------------------------------------------------------------------
# canvas and primitives
# --------------------------------------------------------------------------------------------
class _Canvas:
    def __init__(self, h, w, upp):
        self.h, self.w, self.upp = int(h), int(w), float(upp)
        self.ppu = 1.0 / self.upp
        z = lambda: np.zeros((self.h, self.w), np.float32)
        self.f = z()      # optical path, in focus (um)
        self.d = z()      # optical path, out of focus (um)
        self.gran = z()   # weight of granular cytoplasm texture
        self.zt = z()     # weight of zona texture
        self.ab = z()     # absorption (brightfield darkening)

    def win(self, cx, cy, r):
        x0 = max(int(math.floor(cx - r)) - 2, 0)
        x1 = min(int(math.ceil(cx + r)) + 3, self.w)
        y0 = max(int(math.floor(cy - r)) - 2, 0)
        y1 = min(int(math.ceil(cy + r)) + 3, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        xs = (np.arange(x0, x1, dtype=np.float32) - np.float32(cx))[None, :]
        ys = (np.arange(y0, y1, dtype=np.float32) - np.float32(cy))[:, None]
        return (slice(y0, y1), slice(x0, x1)), xs, ys

    def add(self, sl, phase, focus):
        if focus >= 0.999:
            self.f[sl] += phase
        elif focus <= 0.001:
            self.d[sl] += phase
        else:
            self.f[sl] += focus * phase
            self.d[sl] += (1.0 - focus) * phase


def _blob(cv, cx, cy, a, b=None, ang=0.0, c_um=None, dn=0.03, focus=1.0, gran=0.0,
          absorb=0.0, rim=0.0, rimw=0.7, mask=None, power=1.0):
    """Ellipsoid: semi-axes a, b (px) in the image plane, half-thickness c_um (um)."""
    b = a if b is None else b
    W = cv.win(cx, cy, max(a, b) + 2 * rimw + 1)
    if W is None:
        return
    sl, xs, ys = W
    ca, sa = math.cos(ang), math.sin(ang)
    u = (xs * ca + ys * sa) / a
    v = (-xs * sa + ys * ca) / b
    q = u * u + v * v
    s = np.sqrt(np.maximum(1.0 - q, 0.0))
    if c_um is None:
        c_um = 0.5 * (a + b) * cv.upp
    phase = (2.0 * c_um * dn) * (s if power == 1.0 else s ** power)
    if rim:
        dist = (np.sqrt(q) - 1.0) * (0.5 * (a + b))
        phase = phase + rim * np.exp(-(dist / rimw) ** 2)
    if mask is not None:
        phase = phase * mask[sl]
    cv.add(sl, phase, focus)
    if gran:
        g = np.minimum(1.0, 3.0 * s)
        cv.gran[sl] += (gran * focus) * g
    if absorb:
        cv.ab[sl] += absorb * s


def _shell_thickness(r2, ro, ri):
    return 2.0 * (np.sqrt(np.maximum(ro * ro - r2, 0.0)) - np.sqrt(np.maximum(ri * ri - r2, 0.0)))


def _smooth01(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _zona(cv, rng, cx, cy, ro_um, ri_um, ell=1.0, ang=0.0, gap=None, dn=0.012, focus=1.0,
          tex=1.0, layered=0.0):
    """Zona pellucida: spherical shell (optionally slightly elliptical and with an opening).

    gap = (theta, half_angle) in radians, for a hatching or empty zona.
    """
    ro, ri = ro_um * cv.ppu, ri_um * cv.ppu
    W = cv.win(cx, cy, ro / min(ell, 1.0) + 2)
    if W is None:
        return
    sl, xs, ys = W
    ca, sa = math.cos(ang), math.sin(ang)
    u = xs * ca + ys * sa
    v = (-xs * sa + ys * ca) / ell
    r2 = u * u + v * v
    t = _shell_thickness(r2, ro, ri) * cv.upp
    ring = _smooth01((np.sqrt(r2) - ri + 1.0) / 2.0) * _smooth01((ro + 1.0 - np.sqrt(r2)) / 2.0)
    phase = dn * t
    if layered:
        rr = np.sqrt(r2)
        mid = ri + (ro - ri) * rng.uniform(0.35, 0.6)
        phase = phase + layered * np.exp(-((rr - mid) / max(1.0, 0.08 * (ro - ri))) ** 2)
    if gap is not None:
        th0, hw = gap
        th = np.arctan2(v, u) - (th0 - ang)
        th = np.abs((th + np.pi) % (2 * np.pi) - np.pi)
        m = _smooth01((th - hw) * (0.5 * (ro + ri)) / 2.5)
        # the hole has a vertical extent, so the zona projected just inside the rim is
        # missing too; the caps further in stay
        hv = 0.5 * (ro + ri) * math.sin(hw)
        r_start = math.sqrt(max(ri * ri - hv * hv, 0.0))
        m = 1.0 - (1.0 - m) * _smooth01((np.sqrt(r2) - r_start) / (ri - r_start + 2.0))
        phase = phase * m
        ring = ring * m
    cv.add(sl, phase, focus)
    cv.zt[sl] += tex * ring * focus


def _sphere_seeds(rng, n, iters=12, jitter=0.0):
    """Roughly even points on the unit sphere (relaxed random points)."""
    p = rng.standard_normal((n, 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    if n < 2:
        return p
    spacing = math.sqrt(4 * math.pi / n) * 1.1
    eye = np.eye(n, dtype=bool)
    for _ in range(iters):
        d = p[:, None, :] - p[None, :, :]
        r = np.sqrt((d * d).sum(-1))
        r[eye] = 1.0
        ov = np.clip(spacing - r, 0.0, None)
        ov[eye] = 0.0
        p = p + 0.35 * ((d / r[..., None]) * ov[..., None]).sum(1)
        p /= np.linalg.norm(p, axis=1, keepdims=True)
    if jitter:
        p = p + jitter * spacing * rng.standard_normal(p.shape)
        p /= np.linalg.norm(p, axis=1, keepdims=True)
    return p


def _voronoi_sphere(cv, xs, ys, R, seeds):
    """For the upper-hemisphere point over each pixel of a disc of radius R (px): distance (in
    units of R) to the nearest seed, and the gap between nearest and second nearest (cell
    borders).  Computed at half resolution for large discs and upsampled."""
    H, W = ys.shape[0], xs.shape[1]
    step = 2 if H * W > 40000 else 1
    xs2, ys2 = xs[:, ::step], ys[::step, :]
    h2, w2 = ys2.shape[0], xs2.shape[1]
    X = np.broadcast_to(xs2 / R, (h2, w2))
    Y = np.broadcast_to(ys2 / R, (h2, w2))
    Z = np.sqrt(np.maximum(1.0 - X * X - Y * Y, 0.0))
    P = np.stack([X.ravel(), Y.ravel(), Z.ravel()], 1).astype(np.float32)
    S = seeds[seeds[:, 2] > -0.35].astype(np.float32)
    if len(S) < 2:
        S = seeds.astype(np.float32)
    d1 = np.empty(P.shape[0], np.float32)
    d2 = np.empty(P.shape[0], np.float32)
    ch = 20000
    for k in range(0, P.shape[0], ch):
        D = P[k:k + ch] @ S.T
        j = np.argmax(D, 1)
        a = D[np.arange(D.shape[0]), j]
        D[np.arange(D.shape[0]), j] = -2.0
        b = D.max(1)
        d1[k:k + ch] = a
        d2[k:k + ch] = b
    c1 = np.sqrt(np.maximum(2.0 - 2.0 * d1, 0.0)).reshape(h2, w2)
    c2 = np.sqrt(np.maximum(2.0 - 2.0 * d2, 0.0)).reshape(h2, w2)
    gap = c2 - c1
    if step > 1:
        c1 = np.asarray(Image.fromarray(c1, "F").resize((W, H), Image.BILINEAR))
        gap = np.asarray(Image.fromarray(gap, "F").resize((W, H), Image.BILINEAR))
    return c1, gap, Z if step == 1 else None


def _te_shell(cv, rng, cx, cy, R_um, t_um, seeds, dn=0.03, mem=0.04, nuc=0.6, nuc_r_um=4.0,
              irregular=0.0, notch=0.35, focus_cap=0.65, gran=0.25, mask_fn=None):
    """Trophectoderm: thin cellular shell of radius R_um with a Voronoi cell mosaic from `seeds`.

    Rim (seen edge-on): ring of thickness t_um with nuclear bulges and junction notches.
    Caps (seen en face, through the clear blastocoel): faint polygonal mosaic.
    """
    R = R_um * cv.ppu
    W = cv.win(cx, cy, R + 2)
    if W is None:
        return
    sl, xs, ys = W
    r2 = xs * xs + ys * ys
    rr = np.sqrt(r2)
    ri = R - t_um * cv.ppu
    T = _shell_thickness(r2, R, ri) * cv.upp
    if irregular:
        th = np.arctan2(ys, xs)
        mod = np.zeros_like(th)
        for k in range(2, 8):
            mod = mod + rng.normal(0, 1.0 / k) * np.cos(k * th + rng.uniform(0, 2 * np.pi))
        ringw = _smooth01((rr - (R - 4.0 * t_um * cv.ppu)) / (2.0 * t_um * cv.ppu))
        T = T * np.clip(1.0 + irregular * mod * ringw, 0.45, 2.5)
    c1, gap, _ = _voronoi_sphere(cv, xs, ys, R, seeds)
    c1u = c1 * R_um
    gapu = gap * R_um
    Z = np.sqrt(np.maximum(1.0 - r2 / (R * R), 0.0))
    w_line = max(0.8, 1.2 * cv.upp)
    junction = np.exp(-(gapu / w_line) ** 2)
    bump = np.exp(-(c1u / nuc_r_um) ** 2)
    inside = _smooth01((R - rr) / 1.5)
    capw = np.clip(1.6 * Z, 0.0, 1.0) * inside
    rimw = 1.0 - capw
    q = 2.0 * c1 / (2.0 * c1 + gap + 1e-6)          # 0 at the cell centre, 1 at its border
    lens = 1.0 - q * q                               # cell body seen edge-on at the rim
    prof = T * (1.0 + nuc * lens * rimw - notch * junction * rimw)
    phase = dn * prof
    cap = (mem * junction + 0.3 * mem * bump) * capw
    if mask_fn is not None:
        m = mask_fn(sl)
        phase = phase * m
        cap = cap * m
    else:
        m = 1.0
    # rim ring in focus, caps partly out of focus (focal plane at the equator)
    cv.f[sl] += phase + focus_cap * cap
    cv.d[sl] += (1.0 - focus_cap) * cap
    ringw = _smooth01((rr - (R - 2.5 * t_um * cv.ppu)) / 2.0) * inside
    cv.gran[sl] += gran * (ringw + 0.3 * capw) * m


def _pack(rng, radii, rc, iters=100, squeeze=0.88, flat=1.0, attract=0.03):
    """Relax spheres (radii, um) inside a sphere of radius rc (um); z may be compressed by flat."""
    n = len(radii)
    radii = np.asarray(radii, float)
    if n == 1:
        v = rng.standard_normal(3)
        v *= rng.uniform(0, max(rc - radii[0], 0.0) * 0.5) / np.linalg.norm(v)
        return v[None, :]
    pos = rng.standard_normal((n, 3))
    pos /= np.linalg.norm(pos, axis=1, keepdims=True)
    pos *= (rng.random(n) ** (1 / 3) * np.maximum(rc - radii, 1.0) * 0.8)[:, None]
    eye = np.eye(n, dtype=bool)
    target = (radii[:, None] + radii[None, :]) * squeeze
    lim = np.maximum(rc - radii * 0.93, 0.5)
    for _ in range(iters):
        d = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((d * d).sum(-1))
        dist[eye] = 1.0
        ov = np.clip(target - dist, 0.0, None)
        ov[eye] = 0.0
        pos = pos + 0.45 * ((d / dist[..., None]) * ov[..., None]).sum(1) / 2.0
        pos = pos - attract * (pos - pos.mean(0))
        if flat != 1.0:
            pos[:, 2] *= flat
        rn = np.linalg.norm(pos, axis=1)
        over = rn > lim
        if over.any():
            pos[over] *= (lim[over] / rn[over])[:, None]
    return pos


# --------------------------------------------------------------------------------------------
# field of view
# --------------------------------------------------------------------------------------------
def _field(rng, ext_um, margin=(1.06, 1.5)):
    """Choose um/px and image size so a content circle of radius ext_um fits."""
    m = rng.uniform(*margin)
    need = 2.0 * ext_um * m
    upp = rng.uniform(*_UPP_RANGE)
    if need / upp > _MAX_SIDE - 4:
        lo = need / (_MAX_SIDE - 4)
        upp = rng.uniform(lo, max(lo, _UPP_RANGE[1]))
    upp = float(min(max(upp, _UPP_RANGE[0]), _UPP_RANGE[1]))
    side = int(min(_MAX_SIDE, max(_MIN_SIDE, math.ceil(need / upp))))
    aspect = float(rng.choice([1.0, 1.0, 4 / 3, 3 / 4, 5 / 4, 4 / 5, 1.5]))
    big = int(rng.integers(side, _MAX_SIDE + 1))
    if aspect >= 1:
        W, H = big, max(side, int(round(big / aspect)))
    else:
        H, W = big, max(side, int(round(big * aspect)))
    H, W = min(H, _MAX_SIDE), min(W, _MAX_SIDE)
    return upp, H, W


def _place(rng, cv, ext_um, frac=0.75):
    rpx = ext_um * cv.ppu
    mx = max(0.0, cv.w / 2 - rpx * 1.02) * frac
    my = max(0.0, cv.h / 2 - rpx * 1.02) * frac
    return cv.w / 2 + rng.uniform(-mx, mx), cv.h / 2 + rng.uniform(-my, my)


# --------------------------------------------------------------------------------------------
# background clutter
# --------------------------------------------------------------------------------------------
def _debris(cv, rng, avoid=None):
    n = int(rng.poisson(rng.choice([0.0, 3.0, 10.0, 30.0], p=[0.3, 0.3, 0.25, 0.15])))
    for _ in range(n):
        x, y = rng.uniform(0, cv.w), rng.uniform(0, cv.h)
        r = rng.uniform(0.4, 2.5) * cv.ppu
        r = max(r, 0.8)
        e = rng.uniform(0.6, 1.0)
        _blob(cv, x, y, r, r * e, rng.uniform(0, np.pi), dn=rng.uniform(0.04, 0.12),
              focus=rng.uniform(0.2, 1.0), absorb=rng.uniform(0.1, 0.6))
    if rng.random() < 0.25:     # big out-of-focus particles / droplets
        for _ in range(int(rng.integers(1, 4))):
            x, y = rng.uniform(0, cv.w), rng.uniform(0, cv.h)
            r = rng.uniform(6, 25) * cv.ppu
            _blob(cv, x, y, r, dn=rng.uniform(0.005, 0.02), focus=0.0, absorb=0.05)
    if rng.random() < 0.12:     # fibre / lint
        im = Image.new("F", (cv.w, cv.h), 0.0)
        dr = ImageDraw.Draw(im)
        x, y = rng.uniform(0, cv.w), rng.uniform(0, cv.h)
        a = rng.uniform(0, 2 * np.pi)
        pts = [(x, y)]
        for _ in range(int(rng.integers(8, 30))):
            a += rng.normal(0, 0.25)
            x += math.cos(a) * 8 * cv.ppu
            y += math.sin(a) * 8 * cv.ppu
            pts.append((x, y))
        dr.line(pts, fill=1.0, width=max(1, int(round(rng.uniform(0.8, 2.5) * cv.ppu))))
        arr = np.asarray(im, np.float32)
        fo = rng.uniform(0.3, 1.0)
        cv.f += fo * 0.12 * arr
        cv.d += (1 - fo) * 0.12 * arr
        cv.ab += 0.2 * arr


def _pipette(cv, rng, cx, cy, rz_um):
    """Holding pipette: hollow glass cylinder coming in from the left or right edge."""
    base = 0.0 if rng.random() < 0.5 else np.pi
    a = base + rng.normal(0, 0.12)
    ro = rng.uniform(40, 60) * cv.ppu
    ri = ro * rng.uniform(0.15, 0.3)
    tip = (rz_um + rng.uniform(-1.0, 4.0)) * cv.ppu
    tx, ty = cx + math.cos(a) * tip, cy + math.sin(a) * tip
    xs = np.arange(cv.w, dtype=np.float32)[None, :] - tx
    ys = np.arange(cv.h, dtype=np.float32)[:, None] - ty
    v = xs * math.cos(a) + ys * math.sin(a)
    u = -xs * math.sin(a) + ys * math.cos(a)
    # the fire-polished tip is rounded: thickness fades over ~6 um
    along = _smooth01(v / (6 * cv.ppu))
    t = _shell_thickness(u * u, ro, ri) * cv.upp * along
    lip = np.exp(-((v - 1.5 * cv.ppu) / (1.5 * cv.ppu)) ** 2) * (np.abs(u) < ro) * (np.abs(u) > ri)
    cv.f += (0.02 * t + 0.3 * lip).astype(np.float32)
    cv.ab += (0.003 * t).astype(np.float32)


# --------------------------------------------------------------------------------------------
# optics
# --------------------------------------------------------------------------------------------
def _render(cv, rng, mode=None):
    h, w, upp = cv.h, cv.w, cv.upp
    if mode is None:
        mode = "hmc" if rng.random() < 0.72 else "bf"
    fy = (np.fft.fftfreq(h) / upp).astype(np.float32)[:, None]      # cycles / um
    fx = (np.fft.rfftfreq(w) / upp).astype(np.float32)[None, :]
    k2 = fx * fx + fy * fy

    wn = rng.standard_normal((h, w), dtype=np.float32)
    Wn = np.fft.rfft2(wn)
    kc = rng.uniform(0.35, 0.6)                      # cytoplasmic granule scale ~ 1 um
    kc_max = 0.2 / upp                               # keep the texture resolvable (< 0.2 cyc/px)
    tex_fac = min(1.0, kc_max / kc) ** 1.5           # unresolved granules average out
    kc = min(kc, kc_max)
    band = np.exp(-k2 / kc ** 2) - np.exp(-k2 / (kc / 2.5) ** 2)
    fine = np.fft.irfft2(Wn * band, s=(h, w)).astype(np.float32)
    fine /= fine.std() + 1e-6
    # background mottling: low-resolution noise, upsampled
    gh, gw = max(3, h // 90), max(3, w // 90)
    coarse = np.asarray(Image.fromarray(rng.standard_normal((gh, gw)).astype(np.float32), "F")
                        .resize((w, h), Image.BICUBIC), np.float32)
    coarse = coarse / (coarse.std() + 1e-6)

    tex_hmc = 1.0 if mode == "hmc" else 0.25
    g_amp = rng.uniform(0.008, 0.02) * tex_fac
    z_amp = rng.uniform(0.002, 0.008) * tex_fac
    tex = fine * (g_amp * np.clip(cv.gran, 0, 1.6) + z_amp * cv.zt)
    phase_f = cv.f + tex_hmc * tex
    sig_psf = max(0.35, rng.uniform(0.55, 1.5) * upp)     # um
    sig_def = rng.uniform(2.5, 6.0)
    G1 = np.exp(np.float32(-2 * np.pi ** 2 * sig_psf ** 2) * k2)
    G2 = np.exp(np.float32(-2 * np.pi ** 2 * sig_def ** 2) * k2) * np.float32(rng.uniform(0.35, 0.6))
    if mode == "bf":   # brightfield is viewed slightly defocused: softer phase edges
        Gb = np.exp(np.float32(-2 * np.pi ** 2 * rng.uniform(0.7, 1.8) ** 2) * k2)
        G1 = G1 * Gb
        G2 = G2 * Gb
    # out-of-focus objects lose contrast as well as sharpness
    P = np.fft.rfft2(phase_f) * G1 + np.fft.rfft2(cv.d) * G2

    yy = (np.arange(h, dtype=np.float32)[:, None] - h / 2) / max(h, w)
    xx = (np.arange(w, dtype=np.float32)[None, :] - w / 2) / max(h, w)
    ga = rng.uniform(0, 2 * np.pi)
    grad = rng.uniform(0.0, 0.35)
    vig = rng.uniform(0.0, 0.6)
    ox, oy = rng.normal(0, 0.15, 2)
    illum = (1 + grad * (xx * math.cos(ga) + yy * math.sin(ga))) * \
        (1 - vig * ((xx - ox) ** 2 + (yy - oy) ** 2)) * (1 + rng.uniform(0.004, 0.02) * coarse)

    lapk = np.float32(-(2 * np.pi) ** 2) * k2
    if mode == "hmc":
        th = rng.uniform(0, 2 * np.pi)
        D = (np.float32(2 * np.pi) * (fx * math.cos(th) + fy * math.sin(th))) * np.complex64(1j)
        beta = rng.uniform(0.0, 1.5)               # a little defocus halo
        s = np.fft.irfft2(P * (D - np.float32(beta) * lapk), s=(h, w))
        s0 = rng.uniform(0.04, 0.08)
        gain = rng.uniform(3.5, 6.5)
        img = (1 + gain * s0 * np.tanh(s / s0)) * np.exp(-rng.uniform(0.0, 0.06) * cv.ab)
        I0 = rng.uniform(105, 175)
    else:
        lap = np.fft.irfft2(P * lapk, s=(h, w))
        l0 = rng.uniform(0.015, 0.03)
        gain = rng.uniform(3.5, 7.5) * (1 if rng.random() < 0.8 else -1)   # sign = defocus side
        A = cv.ab + 10.0 * tex * (cv.gran > 0.05)    # granules scatter: dark speckle
        img = (1 - gain * l0 * np.tanh(lap / l0)) * np.exp(-rng.uniform(0.15, 0.35) * A)
        I0 = rng.uniform(150, 215)
    img = I0 * illum * img
    # noise: shot-like + read
    sn = rng.uniform(0.5, 4.0)
    img = img + rng.standard_normal((h, w), dtype=np.float32) * (
        sn * np.sqrt(np.clip(img, 1, None) / 128.0))
    out = np.clip(np.round(img), 0, 255).astype(np.uint8)
    if rng.random() < 0.35:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(rng.integers(70, 96)))
        buf.seek(0)
        out = np.asarray(Image.open(buf).convert("L"), dtype=np.uint8).copy()
    return out


# --------------------------------------------------------------------------------------------
# day 3
# --------------------------------------------------------------------------------------------
_CELL_P = np.array([2, 3, 3, 8, 7, 10, 10, 16, 8, 7, 4, 4], float)
_CELL_P /= _CELL_P.sum()


def _cell_volumes(rng, n, uneven):
    """Relative blastomere volumes from a cleavage tree.

    Stage-specific (even): synchronous cleavage, the largest cells divide first, near-equal
    halves, so sizes are V0/2^k (for 3, 5, 6, 7... cells two sizes coexist, as expected).
    Uneven: asymmetric divisions and out-of-order cleavage, checked against the stage-specific
    expectation so that the unevenness is clearly visible.
    """
    expect = 1.0 if (n & (n - 1)) == 0 else 2 ** (1 / 3)
    for _ in range(60):
        vols = [1.0]
        while len(vols) < n:
            if uneven:
                k = int(rng.integers(len(vols))) if rng.random() < 0.5 else int(np.argmax(vols))
                f = rng.uniform(0.2, 0.36) if rng.random() < 0.7 else rng.uniform(0.45, 0.5)
            else:
                k = int(np.argmax(np.array(vols) * (1 + 0.01 * rng.random(len(vols)))))
                f = rng.uniform(0.47, 0.5)
            v = vols.pop(k)
            vols += [v * f, v * (1 - f)]
        vols = np.array(vols)
        dr = (vols.max() / vols.min()) ** (1 / 3)
        if uneven and dr >= expect * 1.3:
            return vols
        if not uneven and dr <= expect * 1.06:
            return vols
    return vols


def day3_sample(seed, i):
    rng = _rng(seed, i, _K_DAY3)
    n = int(rng.choice(12, p=_CELL_P)) + 1

    target = int(rng.choice([1, 2, 3], p=[0.35, 0.3, 0.35]))
    uneven = mn = False
    big_frag = False
    if target == 3:
        reasons = []
        while not reasons:
            if rng.random() < 0.55:
                reasons.append("frag")
            if n >= 2 and rng.random() < 0.45:
                reasons.append("uneven")
            if rng.random() < 0.35:
                reasons.append("mn")
        big_frag = "frag" in reasons
        uneven = "uneven" in reasons
        mn = "mn" in reasons
    if target == 1:
        frag = 0.0 if rng.random() < 0.3 else rng.uniform(0.5, 9.0)
    elif target == 2:
        frag = rng.uniform(11.0, 24.0)
    elif big_frag:
        frag = rng.uniform(27.0, 50.0)
    else:
        frag = 0.0 if rng.random() < 0.2 else rng.uniform(0.5, 24.0)
        if 9.0 < frag < 11.0:
            frag = 8.0
    if n == 1:
        uneven = False

    # geometry (um)
    dz = rng.uniform(150, 180)
    tz = rng.uniform(13, 17)
    rzo = dz / 2
    rzi = rzo - tz
    r0 = rzi * rng.uniform(0.84, 0.95)          # radius of the whole embryo (cells + fragments)
    v0 = 4 / 3 * np.pi * r0 ** 3
    vols = _cell_volumes(rng, n, uneven)
    vcell = v0 * (1 - frag / 100.0)
    radii = np.cbrt(vols * vcell * 3 / (4 * np.pi))

    # fragments: radii drawn until the volume is reached exactly
    vfrag_target = v0 * frag / 100.0
    fr = []
    acc = 0.0
    mu = math.log(rng.uniform(2.5, 5.0) * (1.0 + frag / 60.0))
    while acc < vfrag_target - 1e-6:
        r = float(np.clip(math.exp(rng.normal(mu, 0.45)), 1.2, 13.0))
        v = 4 / 3 * np.pi * r ** 3
        if acc + v > vfrag_target:
            r = math.cbrt((vfrag_target - acc) * 3 / (4 * np.pi))
            v = vfrag_target - acc
        fr.append(r)
        acc += v
    fr = np.array(fr)
    vfrag = float((4 / 3 * np.pi * fr ** 3).sum()) if len(fr) else 0.0
    vcell_true = float((4 / 3 * np.pi * radii ** 3).sum())
    frag_pct = 100.0 * vfrag / (vfrag + vcell_true)

    # pack cells in a sphere the size of the zona lumen
    pos = _pack(rng, radii, rzi * 0.98, squeeze=rng.uniform(0.82, 0.95), flat=0.97,
                attract=0.04)
    # fragments: free space inside the zona lumen, scattered or localised
    fpos = np.zeros((len(fr), 3))
    local = rng.random() < 0.55
    cdir = rng.standard_normal(3)
    cdir[2] *= 0.4
    cdir /= np.linalg.norm(cdir)
    fr = np.sort(fr)[::-1].copy()          # big fragments first
    squash = np.array([1.0, 1.0, 0.5])
    nc = 12
    for k, r in enumerate(fr):
        if local:
            P = cdir[None, :] * (rng.uniform(0.35, 1.0, (nc, 1)) * (rzi - r)) + \
                rng.normal(0, 0.3 * rzi, (nc, 3)) * squash
        else:
            P = rng.standard_normal((nc, 3))
            P[:, 2] *= 0.35
            P *= ((rzi - r - rng.uniform(0, 0.45, nc) * rzi) /
                  np.linalg.norm(P, axis=1))[:, None]
        nrm = np.linalg.norm(P, axis=1)
        sc = np.where(nrm > rzi - r, (rzi - r) / np.maximum(nrm, 1e-6), 1.0)
        P *= sc[:, None]
        dd = np.sqrt(((P[:, None, :] - pos[None, :, :]) ** 2).sum(-1)) - radii[None, :]
        pen = np.clip(r * 0.6 - dd, 0, None).sum(1)
        if k:
            # fragments also avoid each other (in projection, x-y only)
            df = np.sqrt(((P[:, None, :2] - fpos[None, :k, :2]) ** 2).sum(-1)) - fr[None, :k]
            pen += 0.5 * np.clip(r * 0.5 - df, 0, None).sum(1)
        fpos[k] = P[int(np.argmin(pen))]

    ext = rzo + 2.0
    cumulus = rng.random() < 0.1
    if cumulus:
        ext += 10
    upp, H, W = _field(rng, ext)
    cv = _Canvas(H, W, upp)
    cx, cy = _place(rng, cv, ext)
    ppu = cv.ppu

    ell = rng.uniform(0.94, 1.0)
    zang = rng.uniform(0, np.pi)
    _zona(cv, rng, cx, cy, rzo, rzi, ell=ell, ang=zang, dn=rng.uniform(0.009, 0.016),
          layered=rng.uniform(0.0, 0.05) if rng.random() < 0.5 else 0.0)

    zf = rng.uniform(-8, 8)
    dn_c = rng.uniform(0.022, 0.032)
    rim = rng.uniform(0.04, 0.12)
    foc = np.exp(-((pos[:, 2] - zf) / (0.6 * radii + 6)) ** 2)
    foc = np.clip(foc, 0.3, 1.0)
    for k in range(n):
        e = rng.uniform(0.9, 1.0)
        a = radii[k] * ppu / math.sqrt(e)
        b = radii[k] * ppu * math.sqrt(e)
        _blob(cv, cx + pos[k, 0] * ppu, cy + pos[k, 1] * ppu, a, b, rng.uniform(0, np.pi),
              c_um=radii[k], dn=dn_c, focus=foc[k], gran=1.0, absorb=0.35,
              rim=rim * foc[k], rimw=max(0.7, 0.6 * ppu))

    # nuclei
    show_nuc = mn or rng.random() < 0.4
    mn_cells = []
    if mn:
        order = np.argsort(-foc * radii)
        mn_cells = list(order[:1 + int(rng.random() < 0.3 and n > 1)])
    if show_nuc:
        for k in range(n):
            if k in mn_cells:
                nn = int(rng.choice([2, 2, 3, 4]))
                rn = radii[k] * rng.uniform(0.16, 0.22)
            elif rng.random() < 0.6:
                nn = 1
                rn = radii[k] * rng.uniform(0.2, 0.27)
            else:
                continue
            ff = 1.0 if k in mn_cells else foc[k]
            ang0 = rng.uniform(0, 2 * np.pi)
            off0 = rng.uniform(0, 0.35) * radii[k]
            for j in range(nn):
                if nn == 1:
                    ox, oy = off0 * math.cos(ang0), off0 * math.sin(ang0)
                else:
                    aj = ang0 + 2 * np.pi * j / nn + rng.normal(0, 0.3)
                    dj = rn * rng.uniform(1.15, 1.5) if nn > 1 else 0
                    ox, oy = dj * math.cos(aj), dj * math.sin(aj)
                nx, ny = cx + (pos[k, 0] + ox) * ppu, cy + (pos[k, 1] + oy) * ppu
                _blob(cv, nx, ny, rn * ppu, c_um=rn, dn=-0.02, focus=ff, gran=-0.9,
                      rim=0.09 * ff, rimw=max(0.7, 0.5 * ppu), absorb=-0.2)
                for _ in range(int(rng.integers(1, 3))):
                    q = rng.uniform(0, 0.5) * rn
                    aq = rng.uniform(0, 2 * np.pi)
                    _blob(cv, nx + q * math.cos(aq) * ppu, ny + q * math.sin(aq) * ppu,
                          max(0.8, rn * rng.uniform(0.15, 0.25) * ppu), dn=0.04, focus=ff)

    # fragments
    dn_f = rng.uniform(0.03, 0.045)
    for k, r in enumerate(fr):
        fo = float(np.clip(math.exp(-((fpos[k, 2] - zf) / (r + 6)) ** 2), 0.4, 1.0))
        e = rng.uniform(0.8, 1.0)
        rp = max(r * ppu, 0.6)
        _blob(cv, cx + fpos[k, 0] * ppu, cy + fpos[k, 1] * ppu, rp / math.sqrt(e),
              rp * math.sqrt(e), rng.uniform(0, np.pi), c_um=r, dn=dn_f, focus=fo, gran=0.05,
              absorb=0.25, rim=0.03 * fo)

    if cumulus:
        a0 = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(2, 9))):
            a = a0 + rng.normal(0, 0.5)
            rc = rng.uniform(3.5, 6)
            d = rzo + rc * 0.7
            _blob(cv, cx + d * math.cos(a) * ppu, cy + d * math.sin(a) * ppu, rc * ppu,
                  dn=0.03, gran=0.6, rim=0.05, absorb=0.3)

    _debris(cv, rng)
    if rng.random() < 0.08:
        _pipette(cv, rng, cx, cy, rzo)
    img = _render(cv, rng)

    meta = {
        "um_per_px": float(upp),
        "cells": int(n),
        "fragmentation_pct": float(round(frag_pct, 3)),
        "istanbul_grade": int(istanbul_grade(frag_pct, uneven, mn)),
        "uneven": bool(uneven),
        "multinucleated": bool(mn),
    }
    return img, meta


# --------------------------------------------------------------------------------------------
# blastocyst
# --------------------------------------------------------------------------------------------
_ICM = {  # n cells, cell radius um, lateral half-extent um, depth half-extent um, squeeze
    "A": ((35, 60), (3.2, 4.5), (20, 30), (11, 16), 0.7),
    "B": ((9, 15), (4.8, 6.8), (20, 30), (9, 14), 1.12),
    "C": ((2, 5), (4.5, 7.5), (14, 30), (6, 10), 1.3),
}
_TE = {  # number of TE cells on the whole sphere, relax iters, thickness um, irregularity
    "A": ((110, 170), 14, (2.3, 3.5), 0.05),
    "B": ((34, 55), 6, (3.0, 5.5), 0.3),
    "C": ((9, 16), 3, (3.5, 7.0), 0.45),
}


def _icm(cv, rng, cx, cy, u, r_inner_um, grade, dn=0.03, zf=0.0):
    """ICM cells packed in a flattened ellipsoid attached to the inner TE at unit vector u."""
    (n0, n1), (ra, rb), (la, lb), (ha, hb), sq = _ICM[grade]
    n = int(rng.integers(n0, n1 + 1))
    L = rng.uniform(la, lb)
    Hh = rng.uniform(ha, hb)
    if grade == "C" and rng.random() < 0.3:
        n = int(rng.integers(1, 3))
    radii = rng.uniform(ra, rb, n)
    # local frame: e3 = -u (into the cavity)
    e3 = -u
    tmp = np.array([0, 0, 1.0]) if abs(u[2]) < 0.9 else np.array([1.0, 0, 0])
    e1 = np.cross(e3, tmp)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(e3, e1)
    # positions in the ellipsoid (lateral L, depth Hh), relaxed
    loc = rng.standard_normal((n, 3)) * np.array([L, L, Hh]) * 0.5
    for _ in range(60):
        if n > 1:
            d = loc[:, None, :] - loc[None, :, :]
            dist = np.sqrt((d * d).sum(-1)) + np.eye(n)
            tgt = (radii[:, None] + radii[None, :]) * sq
            ov = np.clip(tgt - dist, 0, None)
            np.fill_diagonal(ov, 0)
            loc = loc + 0.4 * ((d / dist[..., None]) * ov[..., None]).sum(1) / 2
        q = (loc[:, 0] / L) ** 2 + (loc[:, 1] / L) ** 2 + (loc[:, 2] / Hh) ** 2
        sc = np.where(q > 1, 1 / np.sqrt(q), 1.0)
        loc *= sc[:, None]
        loc[:, 2] = np.clip(loc[:, 2], -Hh, Hh)
    centre = u * (r_inner_um - Hh * 0.85)
    P = centre[None, :] + loc[:, 0:1] * e1 + loc[:, 1:2] * e2 + loc[:, 2:3] * e3
    ppu = cv.ppu
    if grade == "A":   # tightly packed: a coherent mass with a smooth envelope
        cen = centre
        # envelope drawn as an ellipse-projected ellipsoid (approximate projection)
        ax_l = L + ra
        ax_d = Hh + ra
        # projected semi-axes: along the in-plane direction of e3
        e3p = np.array([e3[0], e3[1]])
        sp = np.linalg.norm(e3p)
        ang = math.atan2(e3p[1], e3p[0]) if sp > 1e-3 else 0.0
        a = math.sqrt((ax_d * sp) ** 2 + (ax_l * math.sqrt(max(0, 1 - sp * sp))) ** 2) * ppu
        # irregular compact mass: a few overlapping soft lobes
        for _ in range(3):
            j = rng.normal(0, 0.25, 2) * np.array([a, ax_l * ppu])
            sc = rng.uniform(0.7, 0.95)
            _blob(cv, cx + cen[0] * ppu + j[0], cy + cen[1] * ppu + j[1], a * sc,
                  ax_l * ppu * sc * rng.uniform(0.8, 1.0), ang + rng.normal(0, 0.3),
                  c_um=ax_l * 0.5, dn=0.012, gran=0.5, absorb=0.3, power=2.0)
    for k in range(n):
        fo = float(np.clip(math.exp(-((P[k, 2] - zf) / (radii[k] + 12)) ** 2), 0.3, 1.0))
        e = rng.uniform(0.8, 1.0)
        _blob(cv, cx + P[k, 0] * ppu, cy + P[k, 1] * ppu, radii[k] * ppu / math.sqrt(e),
              radii[k] * ppu * math.sqrt(e), rng.uniform(0, np.pi), c_um=radii[k], dn=dn,
              focus=fo, gran=1.1, absorb=0.4, rim=0.06 * fo, rimw=max(0.7, 0.5 * ppu))
        if grade != "A" and rng.random() < 0.6:
            _blob(cv, cx + P[k, 0] * ppu, cy + P[k, 1] * ppu, radii[k] * 0.42 * ppu,
                  c_um=radii[k] * 0.4, dn=-0.01, focus=fo, gran=-0.6, rim=0.03 * fo)
    return n


def blastocyst_sample(seed, i):
    rng = _rng(seed, i, _K_BLAST)
    expansion = int(rng.integers(1, 7))
    icm = te = None
    if expansion >= 3:
        icm = str(rng.choice(["A", "B", "C"]))
        te = str(rng.choice(["A", "B", "C"]))
    day = 6 if rng.random() < [0.3, 0.35, 0.4, 0.45, 0.6, 0.7][expansion - 1] else 5

    # --- geometry (um) -------------------------------------------------------------------
    hatch = None
    empty_zona = None
    if expansion <= 3:
        dz = rng.uniform(150, 180)
        tz = rng.uniform(12, 17) if expansion < 3 else rng.uniform(10, 15)
        rzo = dz / 2
        rzi = rzo - tz
    elif expansion in (4, 5):
        rzi = rng.uniform(165, 215) / 2
        tz = rng.uniform(3.0, 8.0)
        rzo = rzi + tz
    else:
        rzi = rzo = tz = 0.0
    ext_c = np.zeros(2)
    ext = rzo + 2
    if expansion == 5:
        th_h = rng.uniform(0, 2 * np.pi)
        # the TE herniates through a slit of half-angle alpha; the bulb passes through the
        # slit ends on the outer zona surface
        alpha = rng.uniform(0.22, 0.55)
        wn = rzo * math.sin(alpha)
        rh = rng.uniform(max(1.15 * wn, 0.3 * rzi), 0.95 * rzi)
        D = rzo * math.cos(alpha) + math.sqrt(rh * rh - wn * wn)
        hatch = (th_h, rh, D, alpha)
        far = D + rh
        ext = 0.5 * (far + rzo) + 2
        ext_c = np.array([math.cos(th_h), math.sin(th_h)]) * 0.5 * (far - rzo)
    if expansion == 6:
        rb6 = rng.uniform(170, 235) / 2
        ext = rb6 + 2
        if rng.random() < 0.6:
            ez_ri = rng.uniform(140, 175) / 2 - rng.uniform(3, 6)
            ez_t = rng.uniform(3, 7)
            a = rng.uniform(0, 2 * np.pi)
            dist = rb6 + ez_ri + ez_t + rng.uniform(-10, 40)
            empty_zona = (a, dist, ez_ri, ez_t)

    upp, H, W = _field(rng, ext, margin=(1.05, 1.4))
    cv = _Canvas(H, W, upp)
    ppu = cv.ppu
    pcx, pcy = _place(rng, cv, ext)
    cx, cy = pcx - ext_c[0] * ppu, pcy - ext_c[1] * ppu
    zf = rng.uniform(-5, 5)

    if expansion <= 5:
        gap = None
        if hatch is not None:
            gap = (hatch[0], hatch[3])
        _zona(cv, rng, cx, cy, rzo, rzi, ell=1.0, gap=gap,
              dn=rng.uniform(0.009, 0.016) * (1.0 if expansion <= 3 else 1.3),
              layered=rng.uniform(0.0, 0.04) if expansion <= 3 and rng.random() < 0.5 else 0.0)
    if empty_zona is not None:
        a, dist, ez_ri, ez_t = empty_zona
        zx, zy = cx + dist * math.cos(a) * ppu, cy + dist * math.sin(a) * ppu
        _zona(cv, rng, zx, zy, ez_ri + ez_t, ez_ri, ell=rng.uniform(0.7, 1.0),
              ang=rng.uniform(0, np.pi), gap=(rng.uniform(0, 2 * np.pi), rng.uniform(0.2, 0.8)),
              dn=rng.uniform(0.012, 0.02))

    if expansion <= 2:
        # compacted cell mass (morula-like cells, faint borders) with an eccentric cavity
        re = rzi * (rng.uniform(0.86, 0.97) if expansion == 1 else rng.uniform(0.88, 0.97))
        if expansion == 1:
            fc = rng.uniform(0.42, 0.74)       # cavity radius fraction -> volume 7-40 %
        else:
            fc = rng.uniform(0.80, 0.87)       # volume 51-66 %
        rc = re * fc
        u = rng.standard_normal(3)
        u[2] *= 0.5
        u /= np.linalg.norm(u)
        off = (re - rc - 2.5) * rng.uniform(0.4, 0.95)
        ccen = u * off
        R = re * ppu
        Wn = cv.win(cx, cy, R + 2)
        sl, xs, ys = Wn
        r2 = xs * xs + ys * ys
        tm = 2 * np.sqrt(np.maximum(R * R - r2, 0))
        dx, dy = xs - ccen[0] * ppu, ys - ccen[1] * ppu
        tcav = 2 * np.sqrt(np.maximum((rc * ppu) ** 2 - dx * dx - dy * dy, 0))
        t = (tm - tcav) * upp
        dn_env = rng.uniform(0.012, 0.018)
        cv.f[sl] += dn_env * t
        wm = np.clip(t / (2 * re), 0, 1)
        cv.ab[sl] += 0.3 * wm
        # cells in the wall: along random directions, between the cavity and the surface
        rcl = (9.0, 13.0) if expansion == 1 else (7.0, 11.0)
        vwall = 4 / 3 * np.pi * (re ** 3 - rc ** 3)
        ncell = int(min(90, 1.1 * vwall / (4 / 3 * np.pi * np.mean(rcl) ** 3 * 0.6)))
        dn_cell = rng.uniform(0.012, 0.018)
        dirs = _sphere_seeds(rng, ncell, iters=6, jitter=0.2)
        for d in dirs:
            b_ = float(d @ ccen)
            tin = b_ + math.sqrt(max(b_ * b_ - float(ccen @ ccen) + rc * rc, 0.0))
            wall = re - tin
            if wall < 2.0:
                continue
            lat = rng.uniform(*rcl)
            if expansion == 1 and wall > 2.2 * lat:
                rad = rng.uniform(tin + lat, re - 0.8 * lat)   # thick part: round cells
                thick = lat
            else:
                rad = 0.5 * (tin + re)
                thick = 0.55 * wall
            p = d * rad
            dz = abs(float(d[2]))
            a_rad = math.sqrt((thick * math.sqrt(1 - dz * dz)) ** 2 + (lat * dz) ** 2)
            fo = float(np.clip(math.exp(-((p[2] - zf) / (lat + 4)) ** 2), 0.05, 1.0))
            ang = math.atan2(p[1], p[0])
            c_um = 0.8 * math.sqrt((lat * math.sqrt(1 - dz * dz)) ** 2 + (thick * dz) ** 2)
            _blob(cv, cx + p[0] * ppu, cy + p[1] * ppu, max(a_rad, 1.5) * ppu, lat * ppu, ang,
                  c_um=c_um, dn=dn_cell * (1.0 - 0.6 * dz), focus=fo,
                  gran=0.9, absorb=0.2, rim=0.04 * fo, rimw=max(0.7, 0.5 * ppu))
            if rng.random() < 0.3:
                nr = min(0.4 * thick, 0.35 * lat, 4.0)
                _blob(cv, cx + p[0] * ppu, cy + p[1] * ppu, nr * ppu, c_um=nr,
                      dn=-0.015, focus=fo, gran=-0.5, rim=0.03 * fo)
        # cavity border: the cells lining the cavity give it a distinct edge
        dc = np.sqrt(dx * dx + dy * dy) - rc * ppu
        cv.f[sl] += 0.04 * np.exp(-(dc / max(0.8, 0.6 * ppu)) ** 2)
    else:
        if expansion == 3:
            rb = rzi
        elif expansion in (4, 5):
            rb = rzi
        else:
            rb = rb6
        (n0, n1), it, (ta, tb), irr = _TE[te]
        nte = int(rng.integers(n0, n1 + 1))
        if day == 6:
            nte = int(nte * 1.15)
        seeds = _sphere_seeds(rng, nte, iters=it, jitter=0.05 if te == "A" else 0.15)
        t_te = rng.uniform(ta, tb)
        cell_w = rb * math.sqrt(4 * np.pi / nte)
        nuc_r = float(np.clip(cell_w * 0.18, 2.5, 9.0))
        nuc = {"A": 0.35, "B": 0.9, "C": 1.6}[te]
        notch = {"A": 0.3, "B": 0.5, "C": 0.55}[te]
        dn_te = rng.uniform(0.025, 0.035)
        mask_fn = None
        if hatch is not None:
            th_h, rh, D, alpha = hatch
            bx, by = cx + D * math.cos(th_h) * ppu, cy + D * math.sin(th_h) * ppu

            def outside_bulb(sl, bx=bx, by=by, r=rh * ppu):
                ys = np.arange(sl[0].start, sl[0].stop, dtype=np.float32)[:, None] - by
                xs = np.arange(sl[1].start, sl[1].stop, dtype=np.float32)[None, :] - bx
                return _smooth01((np.sqrt(xs * xs + ys * ys) - r + 3.0) / 3.0)

            def outside_inner(sl, r=rb * ppu):
                ys = np.arange(sl[0].start, sl[0].stop, dtype=np.float32)[:, None] - cy
                xs = np.arange(sl[1].start, sl[1].stop, dtype=np.float32)[None, :] - cx
                return _smooth01((np.sqrt(xs * xs + ys * ys) - r + 3.0) / 3.0)

            mask_fn = outside_bulb
            nb = max(6, int(nte * (rh / rb) ** 2))
            seeds_b = _sphere_seeds(rng, nb, iters=it, jitter=0.05 if te == "A" else 0.15)
            _te_shell(cv, rng, bx, by, rh, t_te, seeds_b, dn=dn_te, nuc=nuc,
                      nuc_r_um=nuc_r * 0.9, irregular=irr, notch=notch,
                      mask_fn=outside_inner)
        _te_shell(cv, rng, cx, cy, rb, t_te, seeds, dn=dn_te, nuc=nuc, nuc_r_um=nuc_r,
                  irregular=irr, notch=notch, mask_fn=mask_fn)
        # ICM: usually seen at the side, sometimes en face
        for _ in range(20):
            u = rng.standard_normal(3)
            if rng.random() < 0.75:
                u[2] *= 0.35
            u /= np.linalg.norm(u)
            if hatch is None:
                break
            ang_u = math.atan2(u[1], u[0])
            dth = abs((ang_u - hatch[0] + np.pi) % (2 * np.pi) - np.pi)
            if dth > hatch[3] + 0.5:
                break
        _icm(cv, rng, cx, cy, u, rb - t_te, icm, zf=zf)
        # occasional excluded cells / debris in the blastocoel or perivitelline space
        if rng.random() < 0.2:
            for _ in range(int(rng.integers(1, 4))):
                a = rng.uniform(0, 2 * np.pi)
                d = rb * rng.uniform(0.0, 0.6)
                r = rng.uniform(2, 5)
                _blob(cv, cx + d * math.cos(a) * ppu, cy + d * math.sin(a) * ppu, r * ppu,
                      dn=0.035, focus=rng.uniform(0.3, 1), gran=0.4, absorb=0.4)

    _debris(cv, rng)
    if expansion <= 4 and rng.random() < 0.1:
        _pipette(cv, rng, cx, cy, rzo)
    img = _render(cv, rng)
    meta = {
        "um_per_px": float(upp),
        "expansion": int(expansion),
        "icm": icm,
        "te": te,
        "day": int(day),
    }
    return img, meta
