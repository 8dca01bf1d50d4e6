"""Independent synthetic image generator for IVF-lab images.

  oocyte_sample(seed, i)   -> (uint8 HxW, {"label", "um_per_px"})
  follicle_sample(seed, i) -> (uint8 HxW, {"mm_per_px", "follicles", "afc"})

Only the standard library, numpy and Pillow are used.  Every image is a pure
function of (seed, i): all randomness comes from
np.random.default_rng([seed, i, <constant>]).
"""
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_OOC_KEY = 0x0C17E          # rng stream constant, oocytes
_OOC_LABEL_KEY = 0x0C1AB    # rng stream constant, balanced label blocks
_FOL_KEY = 0xF011C          # rng stream constant, follicles

OOCYTE_LABELS = ("GV", "MI", "MII", "degenerate")

# ----------------------------------------------------------------------------
# small numeric helpers
# ----------------------------------------------------------------------------


def _gauss_kernel(sigma):
    r = max(1, int(math.ceil(3.0 * sigma)))
    x = np.arange(-r, r + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum(), r


def _blur(a, sigma):
    """Separable Gaussian blur (edge padded).  Small sigma: shifted sums,
    large sigma: FFT."""
    if sigma < 0.25:
        return a
    a = np.asarray(a, dtype=np.float32)
    if sigma <= 4.0:
        k, r = _gauss_kernel(sigma)
        p = np.pad(a, ((r, r), (0, 0)), mode="edge")
        out = np.zeros_like(a)
        n = a.shape[0]
        for j, kj in enumerate(k):
            out += kj * p[j:j + n]
        p = np.pad(out, ((0, 0), (r, r)), mode="edge")
        out2 = np.zeros_like(a)
        m = a.shape[1]
        for j, kj in enumerate(k):
            out2 += kj * p[:, j:j + m]
        return out2
    r = int(math.ceil(3 * sigma))
    p = np.pad(a, r, mode="reflect")
    return _fft_gauss(p, sigma, sigma)[r:-r, r:-r].astype(np.float32)


def _fft_gauss(a, sy, sx):
    h, w = a.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    g = np.exp(-2.0 * (math.pi ** 2) * ((fy * sy) ** 2 + (fx * sx) ** 2))
    return np.fft.irfft2(np.fft.rfft2(a) * g, s=(h, w))


def _noise(rng, h, w, scale):
    """Zero-mean unit-std Gaussian random field, correlation length ~scale px.
    Large scales are generated on a coarse grid (already smooth there) and
    upsampled bicubically, so no interpolation grid artefacts appear."""
    if scale < 0.3:
        return rng.standard_normal((h, w)).astype(np.float32)
    f = max(1.0, scale / 2.5)
    hh, ww = max(4, int(math.ceil(h / f)) + 2), max(4, int(math.ceil(w / f)) + 2)
    a = rng.standard_normal((hh, ww)).astype(np.float32)
    b = _fft_gauss(a, scale / f, scale / f).astype(np.float32)
    if f > 1.0:
        im = Image.fromarray(b, mode="F").resize((int(round(ww * f)), int(round(hh * f))),
                                                 Image.BICUBIC)
        ox = int(rng.integers(0, max(1, im.size[0] - w)))
        oy = int(rng.integers(0, max(1, im.size[1] - h)))
        b = np.asarray(im, dtype=np.float32)[oy:oy + h, ox:ox + w]
    else:
        b = b[:h, :w]
    s = b.std()
    return (b - b.mean()) / (s if s > 0 else 1.0)


def _soft(sd, w=0.8):
    """Anti-aliased inside mask from an (approximate) signed distance in px."""
    return np.clip(0.5 - sd / w, 0.0, 1.0).astype(np.float32)


def _harmonics(rng, kmax, amp):
    ks = np.arange(2, kmax + 1)
    a = rng.normal(0, 1, len(ks)) * amp / np.sqrt(ks - 1.0)
    ph = rng.uniform(0, 2 * math.pi, len(ks))
    return list(zip(ks.tolist(), a.tolist(), ph.tolist()))


def _radius_fn(th, R, harm, dents=()):
    rr = np.ones_like(th)
    for k, a, ph in harm:
        rr = rr + a * np.cos(k * th + ph)
    rr = R * rr
    for (t0, depth, width) in dents:
        d = np.angle(np.exp(1j * (th - t0)))
        rr = rr - depth * np.exp(-0.5 * (d / width) ** 2)
    return rr


def _shape_sd(X, Y, cx, cy, R, harm=(), aspect=1.0, rot=0.0, dents=()):
    """Approximate signed distance (px) of a perturbed ellipse."""
    dx = X - cx
    dy = Y - cy
    c, s = math.cos(rot), math.sin(rot)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    q = math.sqrt(aspect)
    un, vn = u / q, v * q
    rho = np.sqrt(un * un + vn * vn)
    th = np.arctan2(vn, un)
    return rho - _radius_fn(th, R, harm, dents), th


def _bilinear(img, x, y):
    h, w = img.shape[:2]
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0 = x.astype(np.int32)
    y0 = y.astype(np.int32)
    fx = (x - x0).astype(np.float32)
    fy = (y - y0).astype(np.float32)
    idx = y0 * w + x0
    flat = img.reshape(h * w, -1) if img.ndim == 3 else img.reshape(-1)
    if img.ndim == 3:
        fx = fx[..., None]
        fy = fy[..., None]
    a = flat[idx]
    b = flat[idx + 1]
    c = flat[idx + w]
    d = flat[idx + w + 1]
    top = a + (b - a) * fx
    bot = c + (d - c) * fx
    return top + (bot - top) * fy


def _stamp(field, cx, cy, rx, ry, rot, amp, soft=0.8, dome=0.0, pad=2):
    """Add amp * (soft ellipse, optionally dome profiled) into field in place
    (local window only).  rx, ry in px."""
    h, w = field.shape
    rmax = max(rx, ry) + pad + soft
    x0, x1 = int(max(0, math.floor(cx - rmax))), int(min(w, math.ceil(cx + rmax) + 1))
    y0, y1 = int(max(0, math.floor(cy - rmax))), int(min(h, math.ceil(cy + rmax) + 1))
    if x1 <= x0 or y1 <= y0:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = xx - cx, yy - cy
    c, s = math.cos(rot), math.sin(rot)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    rn = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
    rm = math.sqrt(rx * ry)
    m = _soft((rn - 1.0) * rm, soft)
    if dome > 0:
        m = m * ((1 - dome) + dome * np.sqrt(np.clip(1 - rn * rn, 0, 1)))
    field[y0:y1, x0:x1] += amp * m
    return (y0, y1, x0, x1, m)


# ----------------------------------------------------------------------------
# oocytes
# ----------------------------------------------------------------------------


def _oocyte_label(seed, i):
    blk = np.random.default_rng([int(seed), int(i) // 4, _OOC_LABEL_KEY])
    return OOCYTE_LABELS[int(blk.permutation(4)[int(i) % 4])]


def _oocyte_render(seed, i):
    label = _oocyte_label(seed, i)
    rng = np.random.default_rng([int(seed), int(i), _OOC_KEY])
    info = {"label": label}

    # ---------------- geometry in micrometres -----------------------------
    deg_kind = None
    if label == "degenerate":
        deg_kind = str(rng.choice(["dark_shrunken", "fragmented", "lysed", "granular"],
                                  p=[0.35, 0.2, 0.2, 0.25]))
    info["deg_kind"] = deg_kind
    d_oo = float(np.clip(rng.normal(115.0, 3.5), 106, 124))
    if label == "GV":
        d_oo = float(np.clip(d_oo + rng.normal(2, 2), 108, 126))
    zp_t = float(rng.uniform(14.0, 20.5))
    pvs = {"GV": rng.uniform(0.3, 4.0), "MI": rng.uniform(0.5, 8.0),
           "MII": rng.uniform(1.5, 12.0), "degenerate": rng.uniform(2.0, 12.0)}[label]
    pvs = float(pvs)
    if deg_kind == "dark_shrunken":
        d_zi = d_oo + 2 * pvs
        d_oo = float(rng.uniform(78, 100))
        pvs = (d_zi - d_oo) / 2
    elif deg_kind == "lysed":
        d_oo = float(d_oo * rng.uniform(0.9, 1.0))
    R_zi = d_oo / 2 + pvs            # zona inner radius (um)
    # outer extent incl. possible cumulus, for framing
    has_cumulus = rng.random() < 0.3
    extent = R_zi + zp_t + (12.0 if has_cumulus else 2.0)

    # ---------------- frame & scale ----------------------------------------
    aspect = rng.uniform(1.0, 1.4)
    D = 2 * (R_zi + zp_t)                      # zona outer diameter (um)
    # the whole zona must fit in <= 500 px: this bounds um_per_px from below
    um_lo = max(0.2, (D + 6) / 490.0)
    um = float(rng.uniform(um_lo, 0.6))
    fill = rng.uniform(0.5, 0.95)              # zona diameter / short side
    n_min = int(np.clip(round(D / um / fill), 200, 500))
    n_min = max(n_min, min(500, int(math.ceil((D + 6) / um))))
    n_max = int(np.clip(round(n_min * aspect), n_min, 500))
    if rng.random() < 0.5:
        H, W = n_min, n_max
    else:
        H, W = n_max, n_min
    s = 1.0 / um                                  # px per um
    info["um_per_px"] = um

    # zona centre: keep zona in frame (cumulus may be cut)
    Rz_px = (R_zi + zp_t) * s
    mx = max(0.0, W / 2 - Rz_px - 2)
    my = max(0.0, H / 2 - Rz_px - 2)
    zcx = W / 2 + rng.uniform(-mx, mx)
    zcy = H / 2 + rng.uniform(-my, my)
    z_rot = rng.uniform(0, math.pi)
    z_asp = rng.uniform(1.0, 1.06)
    z_harm = _harmonics(rng, 4, 0.006)
    zp_harm = _harmonics(rng, 5, 0.08)   # zona thickness variation

    # ooplasm centre offset in the zona
    oo_harm = _harmonics(rng, 6, 0.006 if label != "degenerate" else 0.03)
    oo_asp = rng.uniform(1.0, 1.04)
    oo_rot = rng.uniform(0, math.pi)
    off_dir = rng.uniform(0, 2 * math.pi)
    off_mag = rng.uniform(0, 0.8) * pvs
    dents = []
    pb = []                                     # list of (cx,cy,rx,ry,rot) px
    has_pb = label == "MII" or (label == "degenerate" and deg_kind != "fragmented"
                                and rng.random() < 0.25)
    pb_kind = None
    if has_pb:
        t_pb = rng.uniform(0, 2 * math.pi)
        d_pb = rng.uniform(10.0, 15.0)
        u_pb = np.array([math.cos(t_pb), math.sin(t_pb)])
        off_dir = t_pb + math.pi + rng.normal(0, 0.4)
        off_mag = rng.uniform(0.3, 0.9) * pvs
        r = rng.random()
        pb_kind = "round" if r < 0.55 else ("flat" if r < 0.8 else "fragmented")
        if pb_kind == "round":
            rad_t = d_pb * rng.uniform(0.85, 1.0)
            tan_t = d_pb * rng.uniform(1.0, 1.12)
        elif pb_kind == "flat":
            rad_t = d_pb * rng.uniform(0.5, 0.72)
            tan_t = d_pb * rng.uniform(1.1, 1.35)
        else:
            rad_t = d_pb * rng.uniform(0.6, 0.8)
            tan_t = d_pb
        # PB touches/approaches the zona inner surface
        rc = R_zi - rad_t / 2 - rng.uniform(0.0, 1.2)
        # ooplasm surface along this ray, and the dent needed
        ox = off_mag * math.cos(off_dir)
        oy = off_mag * math.sin(off_dir)
        along = ox * u_pb[0] + oy * u_pb[1]
        oolemma = d_oo / 2 + along
        inner = rc - rad_t / 2 - rng.uniform(0.2, 1.2)
        dent = max(0.0, oolemma - inner)
        if dent > 0:
            dents.append((t_pb, dent * s, (tan_t / 2 + 3) / (d_oo / 2)))
        pcx = zcx + rc * s * u_pb[0]
        pcy = zcy + rc * s * u_pb[1]
        rot = t_pb
        if pb_kind == "fragmented":
            d1 = d_pb * rng.uniform(0.55, 0.8)
            d2 = d_pb * rng.uniform(0.45, 0.7)
            dt = (d1 + d2) / 2 * rng.uniform(0.55, 0.95)
            tv = np.array([-u_pb[1], u_pb[0]])
            for dd, sg in ((d1, -1), (d2, 1)):
                shift = sg * dt * (dd / (d1 + d2)) * 2 * 0.5
                rr_ = min(rad_t, dd)
                cxx = pcx + shift * s * tv[0] + rng.normal(0, 0.6) * s * u_pb[0]
                cyy = pcy + shift * s * tv[1] + rng.normal(0, 0.6) * s * u_pb[1]
                # recentre radially so the fragment touches the zona
                pb.append((cxx - (rad_t - rr_) / 2 * s * u_pb[0],
                           cyy - (rad_t - rr_) / 2 * s * u_pb[1],
                           rr_ / 2 * s, dd / 2 * s * rng.uniform(0.95, 1.1), rot))
        else:
            pb.append((pcx, pcy, rad_t / 2 * s, tan_t / 2 * s, rot))
    info["pb"] = pb
    info["pb_kind"] = pb_kind
    ocx = zcx + off_mag * s * math.cos(off_dir)
    ocy = zcy + off_mag * s * math.sin(off_dir)

    # ---------------- fields -----------------------------------------------
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    P = np.zeros((H, W), np.float32)     # optical path (phase), arbitrary units
    A = np.zeros((H, W), np.float32)     # absorbance

    # zona pellucida
    sd_zi, th_z = _shape_sd(xx, yy, zcx, zcy, R_zi * s, z_harm, z_asp, z_rot)
    zt = _radius_fn(th_z, zp_t * s, zp_harm)
    sd_zo = sd_zi - zt
    m_zi = _soft(sd_zi)                  # inside zona inner boundary
    m_zo = _soft(sd_zo)                  # inside zona outer boundary
    ring = m_zo - m_zi
    depth = np.clip(-sd_zo / np.maximum(zt, 1.0), 0, 1)   # 0 outer .. 1 inner
    zp_lvl = rng.uniform(0.45, 0.8)
    ztex = _noise(rng, H, W, rng.uniform(0.8, 2.0) * s)
    P += ring * zp_lvl * (0.75 + 0.35 * depth + 0.06 * ztex)
    A += ring * rng.uniform(0.02, 0.09) * (1 + 0.5 * depth)

    # perivitelline space content (fine granular material, sometimes)
    pvs_mask = np.clip(m_zi, 0, 1)

    # ooplasm
    oo_R = d_oo / 2 * s
    ooplasm_parts = []
    if deg_kind == "fragmented":
        nf = int(rng.integers(2, 7))
        avail = R_zi * s
        placed = []
        for k in range(nf + 6):
            if len(placed) >= nf:
                break
            for _t in range(30):
                fr = avail * (rng.uniform(0.42, 0.6) if k == 0 else rng.uniform(0.15, 0.4))
                ang = rng.uniform(0, 2 * math.pi)
                dist = rng.uniform(0, max(0.0, avail - fr - 1.5 * s))
                cx, cy = zcx + dist * math.cos(ang), zcy + dist * math.sin(ang)
                if all(math.hypot(cx - px_, cy - py_) > (fr + pr_) * rng.uniform(0.85, 1.02)
                       for px_, py_, pr_ in placed):
                    placed.append((cx, cy, fr))
                    break
        for (cx, cy, fr) in placed:
            ooplasm_parts.append((cx, cy, fr, _harmonics(rng, 6, 0.06),
                                  rng.uniform(1.0, 1.25), rng.uniform(0, math.pi), ()))
    else:
        ooplasm_parts.append((ocx, ocy, oo_R, oo_harm, oo_asp, oo_rot, tuple(dents)))
    m_oo = np.zeros((H, W), np.float32)
    dome = np.zeros((H, W), np.float32)
    for (cx, cy, R, hm, asp, rot, dn) in ooplasm_parts:
        sd, _ = _shape_sd(xx, yy, cx, cy, R, hm, asp, rot, dn)
        mk = _soft(sd)
        m_oo = np.maximum(m_oo, mk)
        rr = np.clip(1 + sd / max(R, 1), 0, 1)
        dome = np.maximum(dome, mk * np.sqrt(np.clip(1 - rr * rr, 0, 1)))
    m_oo = np.minimum(m_oo, _soft(sd_zi + 0.6 * s))     # cannot cross the zona
    # PB footprint (dilated) is removed from the ooplasm
    pb_mask = np.zeros((H, W), np.float32)
    for (cx, cy, rx, ry, rot) in pb:
        _stamp(pb_mask, cx, cy, rx, ry, rot, 1.0, soft=0.8)
    pb_mask = np.clip(pb_mask, 0, 1)
    if pb:
        pbd = np.zeros((H, W), np.float32)
        for (cx, cy, rx, ry, rot) in pb:
            _stamp(pbd, cx, cy, rx + 0.5 * s, ry + 0.5 * s, rot, 1.0, soft=0.8)
        m_oo = m_oo * (1 - np.clip(pbd, 0, 1))

    # texture of the ooplasm
    g_scale = rng.uniform(0.5, 1.4) * s
    g_amp = rng.uniform(0.06, 0.22)
    c_amp = rng.uniform(0.0, 0.08)
    oo_lvl = rng.uniform(0.8, 1.2)
    oo_abs = rng.uniform(0.12, 0.35)
    if label == "degenerate":
        if deg_kind in ("dark_shrunken", "granular", "fragmented"):
            g_scale = rng.uniform(0.9, 2.0) * s
            g_amp = rng.uniform(0.22, 0.4)
            c_amp = rng.uniform(0.03, 0.1)
            oo_abs = rng.uniform(0.7, 1.4)
        else:  # lysed: pale, washed-out, smeared
            g_amp = rng.uniform(0.03, 0.1)
            g_scale = rng.uniform(1.5, 3.0) * s
            c_amp = rng.uniform(0.05, 0.15)
            oo_lvl = rng.uniform(0.35, 0.6)
            oo_abs = rng.uniform(0.02, 0.12)
    gran = _noise(rng, H, W, g_scale)
    coarse = _noise(rng, H, W, rng.uniform(3, 8) * s)
    tex = g_amp * gran + c_amp * coarse
    central = None
    if label != "degenerate" and rng.random() < 0.2:       # central granularity
        cr = rng.uniform(0.35, 0.65) * oo_R
        cm = _soft(np.hypot(xx - ocx, yy - ocy) - cr, 6 * s)
        tex = tex + cm * (0.15 * _noise(rng, H, W, 1.8 * s) + 0.05)
        central = cm
    P += m_oo * (oo_lvl * (0.6 + 0.4 * dome) + tex)
    A += m_oo * (oo_abs * (0.6 + 0.5 * dome) + 0.6 * oo_abs * tex)
    if central is not None:
        A += m_oo * central * oo_abs * 0.5
    if deg_kind == "lysed":
        # wrinkled membrane remnants and blotches
        blot = np.clip(_noise(rng, H, W, 6 * s), 0, None)
        A += m_oo * 0.15 * blot
        P += m_oo * 0.2 * blot

    # germinal vesicle
    if label == "GV":
        d_gv = rng.uniform(24.0, 31.0)
        rg = d_gv / 2 * s
        rmax_ = max(0.0, oo_R - rg - 5 * s)
        ang = rng.uniform(0, 2 * math.pi)
        dist = rmax_ * math.sqrt(rng.uniform(0.05, 1.0))
        gx, gy = ocx + dist * math.cos(ang), ocy + dist * math.sin(ang)
        sdg, _ = _shape_sd(xx, yy, gx, gy, rg, _harmonics(rng, 4, 0.01),
                           rng.uniform(1.0, 1.06), rng.uniform(0, math.pi))
        mg = _soft(sdg, 1.0)
        contrast = rng.uniform(0.55, 1.0)
        env = _soft(np.abs(sdg) - 0.5 * s, 1.0)          # nuclear envelope
        # nucleoplasm: clear, much less granular
        P -= mg * contrast * (0.3 + 0.9 * tex)
        A -= mg * contrast * oo_abs * 0.7
        P += env * 0.25 * contrast
        A += env * 0.05 * contrast
        d_nu = rng.uniform(5.0, 9.0)
        rn = d_nu / 2 * s
        lim = max(0.0, rg - rn - 2 * s)
        a2 = rng.uniform(0, 2 * math.pi)
        dd = lim * math.sqrt(rng.uniform(0, 1))
        nx, ny = gx + dd * math.cos(a2), gy + dd * math.sin(a2)
        _stamp(P, nx, ny, rn, rn * rng.uniform(0.9, 1.1), 0, 0.9 * contrast + 0.3,
               soft=0.9, dome=0.6)
        _stamp(A, nx, ny, rn, rn, 0, 0.35 * contrast + 0.15, soft=0.9, dome=0.5)
        info["gv"] = (gx, gy, rg)

    # polar body / bodies
    if pb:
        pbt = _noise(rng, H, W, rng.uniform(0.5, 1.0) * s)
        pl = rng.uniform(0.75, 1.05)
        for (cx, cy, rx, ry, rot) in pb:
            _stamp(P, cx, cy, rx, ry, rot, pl, soft=0.8, dome=0.5)
        P += pb_mask * 0.15 * pbt
        A += pb_mask * (max(oo_abs, 0.2) * rng.uniform(0.9, 1.5) + 0.05 * pbt)

    # vacuoles / refractile bodies (confounders)
    def _in_ooplasm_point(margin):
        for _ in range(20):
            a_ = rng.uniform(0, 2 * math.pi)
            d_ = oo_R * math.sqrt(rng.uniform(0, 1))
            px, py = ocx + d_ * math.cos(a_), ocy + d_ * math.sin(a_)
            if np.hypot(px - ocx, py - ocy) < oo_R - margin:
                return px, py
        return ocx, ocy

    n_vac = 0
    if rng.random() < (0.25 if label != "degenerate" else 0.45):
        n_vac = int(rng.integers(1, 4))
    for _ in range(n_vac):
        dv = rng.uniform(3.0, 13.0)
        vx, vy = _in_ooplasm_point(dv / 2 * s + 2 * s)
        rv = dv / 2 * s
        loc = _stamp(P, vx, vy, rv, rv, 0, -0.55, soft=0.8, dome=0.3)
        _stamp(A, vx, vy, rv, rv, 0, -oo_abs * 0.7, soft=0.8)
        if loc is not None:   # clear lumen: remove granules
            y0, y1, x0, x1, mk = loc
            P[y0:y1, x0:x1] -= mk * tex[y0:y1, x0:x1]
    if rng.random() < 0.2:
        for _ in range(int(rng.integers(1, 4))):
            dr = rng.uniform(3.0, 7.0)
            vx, vy = _in_ooplasm_point(dr * s)
            _stamp(P, vx, vy, dr / 2 * s, dr / 2 * s * rng.uniform(0.8, 1.0),
                   rng.uniform(0, 3.14), 0.9, soft=0.8, dome=0.5)
            _stamp(A, vx, vy, dr / 2 * s, dr / 2 * s, 0, 0.6, soft=0.8)

    # debris / granules in the PVS (never bigger than ~7 um: not a polar body)
    p_deb = {"GV": 0.1, "MI": 0.45, "MII": 0.2, "degenerate": 0.5}[label]
    if rng.random() < p_deb:
        n_cl = int(rng.integers(1, 4))
        for _ in range(n_cl):
            t0 = rng.uniform(0, 2 * math.pi)
            ng = int(rng.integers(2, 18))
            clump = rng.random() < 0.35
            for _g in range(ng):
                tg = t0 + rng.normal(0, 0.05 if clump else 0.25)
                ug = (math.cos(tg), math.sin(tg))
                # local gap from zona centre
                oolem = d_oo / 2 + off_mag * math.cos(off_dir - tg)
                gap = R_zi - oolem
                dg = rng.uniform(0.8, 3.5 if not clump else 2.5)
                if deg_kind == "fragmented":
                    gap = 4.0
                if gap < dg + 0.4:
                    continue
                rg_ = oolem + rng.uniform(dg / 2 + 0.2, gap - dg / 2 - 0.2)
                gx = zcx + rg_ * s * ug[0]
                gy = zcy + rg_ * s * ug[1]
                _stamp(P, gx, gy, dg / 2 * s, dg / 2 * s, 0, rng.uniform(0.4, 1.0),
                       soft=0.8, dome=0.5)
                _stamp(A, gx, gy, dg / 2 * s, dg / 2 * s, 0, rng.uniform(0.1, 0.5), soft=0.8)
    if rng.random() < 0.3:      # faint fibrillar PVS material
        pvs_only = np.clip(m_zi - m_oo - pb_mask, 0, 1)
        P += pvs_only * 0.08 * np.clip(_noise(rng, H, W, 0.8 * s), 0, None)

    # remaining cumulus / corona cells on the zona
    if has_cumulus:
        n_patch = int(rng.integers(1, 4))
        for _ in range(n_patch):
            t0 = rng.uniform(0, 2 * math.pi)
            span = rng.uniform(0.15, 1.0)
            nc = int(rng.integers(3, 16))
            for _c in range(nc):
                tc = t0 + rng.uniform(-span / 2, span / 2)
                dc = rng.uniform(7.0, 12.0)
                layer = rng.integers(0, 2)
                rr_ = R_zi + zp_t + dc / 2 * (0.7 + 1.6 * layer) + rng.normal(0, 1)
                cx = zcx + rr_ * s * math.cos(tc)
                cy = zcy + rr_ * s * math.sin(tc)
                el = rng.uniform(1.0, 1.5)
                rx, ry = dc / 2 * s * el, dc / 2 * s / el
                _stamp(P, cx, cy, rx, ry, tc, rng.uniform(0.5, 0.9), soft=0.9, dome=0.6)
                _stamp(A, cx, cy, rx, ry, tc, rng.uniform(0.05, 0.2), soft=0.9)
                _stamp(P, cx + rng.normal(0, 0.8) * s, cy + rng.normal(0, 0.8) * s,
                       dc / 5 * s, dc / 5 * s, 0, 0.35, soft=0.8, dome=0.5)
                _stamp(A, cx, cy, dc / 5 * s, dc / 5 * s, 0, 0.15, soft=0.8)
    # debris in the medium
    for _ in range(int(rng.poisson(2.0))):
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        if np.hypot(cx - zcx, cy - zcy) < Rz_px + 4:
            continue
        dd = rng.uniform(1.0, 6.0) * s
        _stamp(P, cx, cy, dd / 2, dd / 2 * rng.uniform(0.5, 1), rng.uniform(0, 3), 0.6,
               soft=0.9, dome=0.5)
        _stamp(A, cx, cy, dd / 2, dd / 2, 0, 0.15, soft=0.9)

    # holding pipette (ICSI dish) sometimes
    if rng.random() < 0.12:
        side = -1 if zcx < W / 2 else 1            # from the nearer border
        r_in = rng.uniform(8, 14) * s
        r_out = rng.uniform(35, 55) * s
        # the inner rim of the pipette mouth touches the zona (oocyte held by suction)
        tip = zcx + side * (math.sqrt(max(Rz_px ** 2 - r_in ** 2, 0.0)) - rng.uniform(0, 1.0) * s)
        ax = (xx - tip) * side                      # >0 on pipette side
        dy = np.abs(yy - zcy)
        glass = (_soft(-ax, 1.0) * _soft(dy - r_out, 1.0) * _soft(r_in - dy, 1.0))
        # thick glass wall: flat optical path with refracting (dark) edges
        gy_g, gx_g = np.gradient(_blur(glass, 1.5 * s))
        P += 0.5 * glass
        A += 0.03 * glass + 1.2 * np.hypot(gx_g, gy_g) * s
        pipette = True

    # ---------------- image formation ---------------------------------------
    mode = "hmc" if rng.random() < 0.7 else "bf"
    info["mode"] = mode
    psf = max(0.6, rng.uniform(0.25, 0.5) * s)
    Pb = _blur(P, psf)
    bg = rng.uniform(105, 175)
    if mode == "hmc":
        phi = rng.uniform(0, 2 * math.pi)
        gy_, gx_ = np.gradient(Pb)
        D = (gx_ * math.cos(phi) + gy_ * math.sin(phi)) * s    # per um
        k = rng.uniform(0.35, 0.7)
        img = bg * (1 + k * D) * np.exp(-0.5 * A)
    else:
        bg = rng.uniform(140, 210)
        lap = (np.roll(Pb, 1, 0) + np.roll(Pb, -1, 0) + np.roll(Pb, 1, 1)
               + np.roll(Pb, -1, 1) - 4 * Pb) * (s * s)
        k = rng.uniform(0.05, 0.2) * rng.choice([-1, 1])
        img = bg * np.exp(-1.1 * A) * (1 + k * lap)
    # illumination gradient & vignetting
    ga = rng.uniform(0, 2 * math.pi)
    gs = rng.uniform(0, 0.25)
    lin = ((xx - W / 2) * math.cos(ga) + (yy - H / 2) * math.sin(ga)) / max(H, W)
    rad = ((xx - W / 2) ** 2 + (yy - H / 2) ** 2) / (0.25 * (H * H + W * W))
    img = img * (1 + gs * lin) * (1 - rng.uniform(0, 0.25) * rad)
    # focus
    if rng.random() < 0.35:
        img = _blur(img, rng.uniform(0.6, 2.0) * max(1.0, s * 0.5))
    img = img + rng.normal(0, rng.uniform(1.0, 5.0), img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(rng.integers(55, 92)))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    info.update(zona=(zcx, zcy, Rz_px), ooplasm=(ocx, ocy, oo_R))
    return out, info


def oocyte_sample(seed, i):
    img, info = _oocyte_render(seed, i)
    return img, {"label": info["label"], "um_per_px": float(info["um_per_px"])}


# ----------------------------------------------------------------------------
# follicles (transvaginal B-mode)
# ----------------------------------------------------------------------------


class _Fol:
    __slots__ = ("cx", "cy", "R", "asp", "rot", "harm", "bbox")

    def __init__(self, cx, cy, R, asp, rot, harm):
        self.cx, self.cy, self.R, self.asp, self.rot, self.harm = cx, cy, R, asp, rot, harm
        ext = R * max(asp, 1 / asp) ** 0.5 * (1 + sum(abs(a) for _, a, _ in harm)) + 3
        self.bbox = (cx - ext, cy - ext, cx + ext, cy + ext)

    def sd(self, X, Y):
        return _shape_sd(X, Y, self.cx, self.cy, self.R, self.harm, self.asp, self.rot)[0]


def _fol_fields(fols, X, Y, sep, pad):
    """m1, m2 = smallest and 2nd smallest signed distance over follicles."""
    m1 = np.full(X.shape, 1e6, np.float32)
    m2 = np.full(X.shape, 1e6, np.float32)
    x0g, y0g = X[0, 0], Y[0, 0]
    st = X[0, 1] - X[0, 0] if X.shape[1] > 1 else 1.0
    for f in fols:
        bx0, by0, bx1, by1 = f.bbox
        c0 = int(max(0, math.floor((bx0 - pad - sep - x0g) / st)))
        c1 = int(min(X.shape[1], math.ceil((bx1 + pad + sep - x0g) / st) + 1))
        r0 = int(max(0, math.floor((by0 - pad - sep - y0g) / st)))
        r1 = int(min(X.shape[0], math.ceil((by1 + pad + sep - y0g) / st) + 1))
        if c1 <= c0 or r1 <= r0:
            continue
        d = f.sd(X[r0:r1, c0:c1], Y[r0:r1, c0:c1]).astype(np.float32)
        a1 = m1[r0:r1, c0:c1]
        a2 = m2[r0:r1, c0:c1]
        new2 = np.where(d < a1, a1, np.minimum(a2, d))
        m1[r0:r1, c0:c1] = np.minimum(a1, d)
        m2[r0:r1, c0:c1] = new2
    return m1, m2


def _fluid_level(m1, m2, sep):
    return np.minimum(-m1, m2 - m1 - sep)


def _measure(fol, others, sep, fan_fn):
    """Truth of one drawn follicle on a 0.5 px grid: centroid, max Feret
    diameter and the width perpendicular to it (px), fraction imaged."""
    st = 0.5 if fol.R < 80 else 1.0
    bx0, by0, bx1, by1 = fol.bbox
    xs = np.arange(math.floor(bx0) - 1, math.ceil(bx1) + 1.01, st, dtype=np.float32)
    ys = np.arange(math.floor(by0) - 1, math.ceil(by1) + 1.01, st, dtype=np.float32)
    X, Y = np.meshgrid(xs, ys)
    di = fol.sd(X, Y)
    mo = np.full(X.shape, 1e6, np.float32)
    for g in others:
        if (g.bbox[0] > bx1 + sep + 3 or g.bbox[2] < bx0 - sep - 3
                or g.bbox[1] > by1 + sep + 3 or g.bbox[3] < by0 - sep - 3):
            continue
        mo = np.minimum(mo, g.sd(X, Y))
    mask = (di < 0) & (mo - di - sep > 0)
    n = int(mask.sum())
    if n < 4:
        return None
    cx = float(X[mask].mean())
    cy = float(Y[mask].mean())
    er = mask.copy()
    er[1:-1, 1:-1] = (mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1]
                      & mask[1:-1, :-2] & mask[1:-1, 2:])
    bd = mask & ~er
    px = X[bd].astype(np.float64)
    py = Y[bd].astype(np.float64)
    angs = np.deg2rad(np.arange(0, 180, 1.0))
    proj = px[None, :] * np.cos(angs)[:, None] + py[None, :] * np.sin(angs)[:, None]
    ext = proj.max(1) - proj.min(1) + st
    k = int(np.argmax(ext))
    d1 = float(ext[k])
    d2 = float(ext[(k + 90) % 180])
    inside = fan_fn(X[mask], Y[mask])
    return dict(cx=cx, cy=cy, d1=d1, d2=d2, ang=float(np.rad2deg(angs[k])),
                vis=float(inside.mean()), area=n * st * st)


def _tube(X, Y, pts, width, margin=4.0):
    """Distance (px) to a polyline minus half width (evaluated only near the
    line; elsewhere a large value)."""
    d = np.full(X.shape, 1e6, np.float32)
    H, W = X.shape
    ext = width / 2 + margin
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        c0 = int(max(0, math.floor(min(x0, x1) - ext)))
        c1 = int(min(W, math.ceil(max(x0, x1) + ext) + 1))
        r0 = int(max(0, math.floor(min(y0, y1) - ext)))
        r1 = int(min(H, math.ceil(max(y0, y1) + ext) + 1))
        if c1 <= c0 or r1 <= r0:
            continue
        Xs, Ys = X[r0:r1, c0:c1], Y[r0:r1, c0:c1]
        vx, vy = x1 - x0, y1 - y0
        L2 = vx * vx + vy * vy + 1e-9
        t = np.clip(((Xs - x0) * vx + (Ys - y0) * vy) / L2, 0, 1)
        dd = np.hypot(Xs - x0 - t * vx, Ys - y0 - t * vy)
        d[r0:r1, c0:c1] = np.minimum(d[r0:r1, c0:c1], dd)
    return d - width / 2


def _curve(rng, x0, y0, ang, length, n=8, wiggle=0.25):
    pts = [(x0, y0)]
    step = length / n
    for _ in range(n):
        ang += rng.normal(0, wiggle)
        x0 += step * math.cos(ang)
        y0 += step * math.sin(ang)
        pts.append((x0, y0))
    return pts


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:       # old Pillow
        return ImageFont.load_default()


def _follicle_render(seed, i):
    rng = np.random.default_rng([int(seed), int(i), _FOL_KEY])
    H = int(rng.integers(400, 701))
    W = int(np.clip(round(H * rng.uniform(0.95, 1.45)), 400, 700))

    scen = str(rng.choice(["afc", "pco", "natural", "stim", "empty"],
                          p=[0.38, 0.1, 0.17, 0.3, 0.05]))
    # follicle target mean diameters (mm)
    if scen == "afc":
        n = int(rng.integers(1, 15))
        ds = 2.2 + 7.0 * rng.beta(1.3, 2.2, n)
        if rng.random() < 0.2:
            ds = np.append(ds, rng.uniform(10, 14))
        L = rng.uniform(24, 38)
    elif scen == "pco":
        n = int(rng.integers(12, 26))
        ds = 2.2 + 6.5 * rng.beta(1.5, 2.0, n)
        L = rng.uniform(34, 48)
    elif scen == "natural":
        ds = np.concatenate([[rng.uniform(12, 23)], 2.5 + 6.0 * rng.beta(1.2, 2.0,
                                                                          int(rng.integers(1, 9)))])
        L = rng.uniform(30, 42)
    elif scen == "stim":
        nl = int(rng.integers(3, 13))
        ds = np.concatenate([rng.uniform(11, 24.5, nl),
                             rng.uniform(3, 10, int(rng.integers(0, 6)))])
        L = rng.uniform(42, 70)
    else:
        ds = rng.uniform(3, 8, int(rng.integers(0, 2)))
        L = rng.uniform(20, 32)
    ds = np.sort(ds)[::-1]
    Wov = L * rng.uniform(0.55, 0.8)

    # scale: ovary long axis spans 30-70 % of the image depth
    frac = rng.uniform(0.3, 0.7)
    mm = float(np.clip(L / (frac * 0.9 * H), 0.05, 0.2))
    # fan geometry (px)
    alpha = math.radians(rng.uniform(55, 78))
    r0 = rng.uniform(5, 11) / mm
    top = rng.uniform(2, 30)
    ax_ = W / 2 + rng.uniform(-0.03, 0.03) * W
    ay_ = top - r0
    rmax = H - rng.uniform(4, 40) - ay_
    if rng.random() < 0.6:           # whole fan on screen: narrow the sector
        half = min(ax_, W - ax_) - 4
        if half < rmax * math.sin(alpha):
            need = math.asin(min(1.0, half / rmax))
            if need >= math.radians(45):
                alpha = need
            # otherwise the sector's sides are cut by the image frame
    rmax = float(rmax)

    def in_fan(x, y):
        dx, dy = x - ax_, y - ay_
        r = np.hypot(dx, dy)
        th = np.arctan2(dx, dy)
        return ((r >= r0) & (r <= rmax) & (np.abs(th) <= alpha)
                & (x >= 0) & (x <= W - 1) & (y >= 0) & (y <= H - 1))

    # ovary placement (px)
    Lp, Wp = L / mm, Wov / mm
    edge = rng.random() < 0.25
    for _ in range(50):
        rc = rng.uniform(r0 + 0.25 * (rmax - r0), r0 + 0.75 * (rmax - r0))
        lim = alpha - (0.05 if edge else 1.0) * math.atan2(Lp / 2, rc)
        tc = rng.uniform(-max(lim, 0.05), max(lim, 0.05))
        ocx, ocy = ax_ + rc * math.sin(tc), ay_ + rc * math.cos(tc)
        if 0 < ocx < W and 0 < ocy < H:
            break
    orot = rng.uniform(-0.6, 0.6) + (0 if rng.random() < 0.8 else math.pi / 2)
    oharm = _harmonics(rng, 5, 0.04)

    sep = rng.uniform(0.35, 1.1) / mm           # septum / wall thickness (px)
    fols = []
    cr, sr = math.cos(orot), math.sin(orot)
    for d in ds:
        R = d / 2 / mm
        asp = 1.0 + abs(rng.normal(0, 0.12 if d < 10 else 0.16))
        asp = min(asp, 1.45)
        rot = rng.uniform(0, math.pi)
        harm = _harmonics(rng, 4, 0.03 if d > 8 else 0.015)
        press = 0.86 if (scen == "stim" and d > 10) else 1.0
        ok = False
        for _t in range(60):
            if scen in ("afc", "pco") and rng.random() < 0.8:
                rho = rng.uniform(0.6, 0.97)
            else:
                rho = math.sqrt(rng.uniform(0, 1)) * (0.95 if scen != "stim" else 1.05)
            t = rng.uniform(0, 2 * math.pi)
            a_ = max(Lp / 2 - R * 0.6, 1.0)
            b_ = max(Wp / 2 - R * 0.6, 1.0)
            u, v = rho * a_ * math.cos(t), rho * b_ * math.sin(t)
            cx = ocx + u * cr - v * sr
            cy = ocy + u * sr + v * cr
            good = True
            for g in fols:
                need = (R + g.R) * (press if g.R * mm * 2 > 10 else 1.0)
                need = max(need, R + g.R + sep * 1.3) if (R * mm * 2 < 10 or g.R * mm * 2 < 10) else need
                if math.hypot(cx - g.cx, cy - g.cy) < need:
                    good = False
                    break
            if good:
                ok = True
                break
        if ok:
            fols.append(_Fol(cx, cy, R, asp, rot, harm))

    # ---------------- truth ------------------------------------------------
    follicles = []
    for k, f in enumerate(fols):
        others = [g for j, g in enumerate(fols) if j != k]
        m = _measure(f, others, sep, in_fan)
        if m is None:
            continue
        if not bool(in_fan(np.array(m["cx"]), np.array(m["cy"]))):
            continue
        d1, d2 = m["d1"] * mm, m["d2"] * mm
        follicles.append({"cx": round(m["cx"], 2), "cy": round(m["cy"], 2),
                          "diameters_mm": [round(d1, 3), round(d2, 3)],
                          "mean_diameter_mm": round((d1 + d2) / 2, 3),
                          "angle_deg": round(m["ang"], 1),
                          "cut_by_fan": m["vis"] < 0.999,
                          "visible_fraction": round(m["vis"], 3)})
    afc = int(sum(1 for f in follicles if 2.0 <= f["mean_diameter_mm"] <= 10.0))

    # ---------------- echo & attenuation maps (Cartesian) -------------------
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    m1, m2 = _fol_fields(fols, xx, yy, sep, 3.0)
    fluid = np.clip(0.5 + _fluid_level(m1, m2, sep) / 0.7, 0, 1)

    px_mm = 1.0 / mm
    E = (rng.uniform(0.2, 0.45) * np.exp(0.45 * _noise(rng, H, W, 6 * px_mm))
         * np.exp(0.25 * _noise(rng, H, W, 1.5 * px_mm))).astype(np.float32)
    Att = np.full((H, W), rng.uniform(0.25, 0.55) * mm / 10.0 * 2.3, np.float32)  # ~dB/cm -> Np/px
    # tissue layers / fascia lines
    for _ in range(int(rng.integers(0, 4))):
        ang = rng.uniform(-0.5, 0.5)
        pts = _curve(rng, rng.uniform(-0.2, 0.3) * W, rng.uniform(0.15, 1.0) * H, ang,
                     W * 1.3, 6, 0.12)
        E += rng.uniform(0.4, 1.2) * _soft(_tube(xx, yy, pts, rng.uniform(0.5, 1.5) * px_mm, 8), 3)

    # ovary stroma
    sd_ov, _ = _shape_sd(xx, yy, ocx, ocy, math.sqrt(Lp * Wp) / 2, oharm, Lp / Wp, orot)
    rim = rng.uniform(0.8, 2.5) * px_mm
    ov = np.maximum(_soft(sd_ov, rng.uniform(1, 3) * px_mm), _soft(m1 - rim, 2 * px_mm))
    if scen == "empty" and rng.random() < 0.3:
        ov *= 0
    str_lvl = rng.uniform(1.8, 3.5)
    stroma = str_lvl * np.exp(0.3 * _noise(rng, H, W, 0.8 * px_mm))
    if scen == "pco":
        core = _soft(sd_ov + 0.35 * math.sqrt(Lp * Wp) / 2, 4 * px_mm)
        stroma = stroma * (1 + 0.6 * core)
    E = E * (1 - ov) + stroma * ov

    # vessels (dark tubular), kept away from follicles
    away = np.clip((m1 - sep) / 2.0, 0, 1)
    vessels = np.zeros((H, W), np.float32)
    vwall = np.zeros((H, W), np.float32)
    if rng.random() < 0.45:             # iliac vessel near the ovary
        wv = rng.uniform(5, 10) * px_mm
        side = rng.choice([-1, 1])
        x0 = ocx + side * rng.uniform(0.4, 0.9) * Lp
        y0 = ocy + rng.uniform(0.2, 0.8) * Wp
        ang = rng.uniform(-0.7, 0.7)
        pts = _curve(rng, x0 - 1.5 * W * math.cos(ang), y0 - 1.5 * W * math.sin(ang), ang,
                     3.0 * W, 12, 0.08)
        dv = _tube(xx, yy, pts, wv, px_mm + 4)
        vessels = np.maximum(vessels, _soft(dv, 1.0))
        vwall = np.maximum(vwall, _soft(np.abs(dv) - 0.4 * px_mm, 1.0))
    if rng.random() < 0.4 and ov.max() > 0:    # small intra-ovarian vessels
        for _ in range(int(rng.integers(1, 4))):
            t = rng.uniform(0, 2 * math.pi)
            pts = _curve(rng, ocx + 0.3 * Lp * math.cos(t), ocy + 0.3 * Wp * math.sin(t),
                         rng.uniform(0, 2 * math.pi), rng.uniform(5, 15) * px_mm, 6, 0.35)
            dv = _tube(xx, yy, pts, rng.uniform(0.8, 2.2) * px_mm, px_mm + 4)
            vessels = np.maximum(vessels, _soft(dv, 1.0))
            vwall = np.maximum(vwall, _soft(np.abs(dv) - 0.25 * px_mm, 1.0))
    vessels *= away
    vwall *= away
    E = E * (1 - vessels) + vessels * rng.uniform(0.02, 0.08) + 0.8 * vwall * (1 - vessels)
    Att *= (1 - 0.7 * vessels)

    # bowel gas: bright curved interface with strong attenuation (shadow)
    if rng.random() < 0.35:
        for _ in range(int(rng.integers(1, 3))):
            for _t in range(10):
                bx, by = rng.uniform(0.1, 0.9) * W, rng.uniform(0.2, 0.85) * H
                if math.hypot(bx - ocx, by - ocy) > 0.7 * Lp:
                    break
            pts = _curve(rng, bx, by, rng.uniform(-0.4, 0.4), rng.uniform(6, 18) * px_mm, 5, 0.3)
            dg = _tube(xx, yy, pts, rng.uniform(0.8, 2.0) * px_mm, 6)
            gm = _soft(dg, 1.5) * away
            E += rng.uniform(4, 10) * gm
            Att += gm * rng.uniform(0.3, 1.0)

    # follicles: anechoic fluid with a faint floor, bright specular walls
    fl_lvl = rng.uniform(0.001, 0.006)
    E = E * (1 - fluid) + fluid * fl_lvl
    gy_, gx_ = np.gradient(_blur(fluid, 0.8))
    gm = np.hypot(gx_, gy_)
    bx, by = xx - ax_, yy - ay_
    br = np.hypot(bx, by) + 1e-3
    cos2 = ((gx_ * bx + gy_ * by) / (br * (gm + 1e-6))) ** 2
    E += rng.uniform(1.0, 3.0) * gm * cos2 * (1 - fluid)
    Att = Att * (1 - fluid * rng.uniform(0.85, 0.97))
    Att += rng.uniform(0.0, 0.15) * gm * (1 - cos2)          # refraction edge shadows

    # ---------------- acoustic simulation on the polar grid -----------------
    Nr = int(rmax - r0) + 1
    dth = 2.0 / rmax
    Nt = int(2 * alpha / dth) + 1
    rs = (r0 + np.arange(Nr, dtype=np.float32))[:, None]
    ths = np.linspace(-alpha, alpha, Nt, dtype=np.float32)[None, :]
    PX = ax_ + rs * np.sin(ths)
    PY = ay_ + rs * np.cos(ths)
    EA = _bilinear(np.stack([E, Att, ov * (1 - fluid)], -1), PX, PY)
    Ep, Ap, ov_p = EA[..., 0], EA[..., 1], EA[..., 2]
    T = np.exp(-np.cumsum(Ap, axis=0))
    mean_att = float(np.median(Att))
    tgc_r = (rs - r0)
    tgc = np.exp(mean_att * rng.uniform(0.75, 1.05) * tgc_r)
    # a hand-set TGC curve: smooth random wiggle in depth + near-field brightness
    wig = np.cumsum(rng.normal(0, 1, 6))
    wig = np.interp(np.linspace(0, 5, Nr), np.arange(6), wig - wig.mean())[:, None]
    tgc = tgc * np.exp(0.12 * wig) * (1 + rng.uniform(0.3, 1.5) * np.exp(-tgc_r / (rng.uniform(2, 5) * px_mm)))
    fall = np.exp(-rng.uniform(0.0, 0.6) * tgc_r / Nr)
    sig_ax = max(0.6, rng.uniform(0.2, 0.4) / 2.355 * px_mm)     # axial FWHM 0.2-0.4 mm
    lat_mm = rng.uniform(0.5, 1.0) / 2.355                        # lateral FWHM 0.5-1 mm
    sig_lat = max(0.6, lat_mm * px_mm / (0.6 * rmax * dth))
    pr = int(3 * sig_ax) + 2
    pt = int(3 * sig_lat) + 2
    h_, w_ = Nr + 2 * pr, Nt + 2 * pt
    fy = np.fft.fftfreq(h_).astype(np.float32)[:, None]
    fx = np.fft.fftfreq(w_).astype(np.float32)[None, :]
    gk = np.exp(-2.0 * math.pi ** 2 * ((fy * sig_ax) ** 2 + (fx * sig_lat) ** 2)).astype(np.float32)
    sqE = np.sqrt(Ep).astype(np.float32)
    norm = 1.0 / (4 * math.pi * sig_ax * sig_lat)
    wts = (1.0, rng.uniform(0.3, 0.8))
    I = np.zeros((Nr, Nt), np.float32)
    for wt in wts:
        z = np.zeros((h_, w_), np.complex64)
        z[pr:-pr, pt:-pt] = (rng.standard_normal((Nr, Nt), dtype=np.float32)
                             + 1j * rng.standard_normal((Nr, Nt), dtype=np.float32)) * sqE
        zb = np.fft.ifft2(np.fft.fft2(z) * gk)[pr:-pr, pt:-pt]
        I += wt * (zb.real ** 2 + zb.imag ** 2)
    I = I / (norm * sum(wts)) * T * tgc * fall
    noise_floor = rng.uniform(0.0005, 0.003)
    I = I + noise_floor * rng.exponential(1.0, I.shape)
    Ldb = 10 * np.log10(I + 1e-9)
    # reference: stroma (or tissue) median brightness
    sel = Ldb[ov_p > 0.9] if (ov_p > 0.9).sum() > 300 else Ldb
    ref = float(np.median(sel))
    if (ov_p > 0.9).sum() <= 300:     # no stroma seen: tissue median, darker
        ref += rng.uniform(3, 8)
    DR = rng.uniform(42, 60)
    pos = rng.uniform(0.5, 0.68)
    g = np.clip((Ldb - ref) / DR + pos, 0, 1)
    g = g ** rng.uniform(0.85, 1.25)
    if rng.random() < 0.4:   # speckle-reduction smoothing
        g = _blur(g, rng.uniform(0.5, 1.2))
    G = (g * 255).astype(np.float32)

    # ---------------- scan conversion ---------------------------------------
    dx, dy = xx - ax_, yy - ay_
    rr = np.hypot(dx, dy)
    tt = np.arctan2(dx, dy)
    fi = np.clip(rr - r0, 0, Nr - 1.001)
    fj = np.clip((tt + alpha) / ((2 * alpha) / (Nt - 1)), 0, Nt - 1.001)
    img = _bilinear(G, fj, fi)
    fan_a = (np.clip(rmax - rr + 0.5, 0, 1) * np.clip(rr - r0 + 0.5, 0, 1)
             * np.clip((alpha - np.abs(tt)) * rr + 0.5, 0, 1))
    img = img * fan_a
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))

    # ---------------- on-screen overlay ---------------------------------------
    draw = ImageDraw.Draw(out)
    col = int(rng.integers(200, 256))
    if rng.random() < 0.75:   # depth scale dots along the fan edge
        step = 10.0 / mm
        side = rng.choice([-1, 1])
        k = 1
        while r0 + k * step < rmax:
            rr_ = r0 + k * step
            x = ax_ + side * (rr_ * math.sin(alpha) + 6)
            y = ay_ + rr_ * math.cos(alpha)
            rdot = 2 if k % 5 == 0 else 1
            draw.ellipse([x - rdot, y - rdot, x + rdot, y + rdot], fill=col)
            k += 1
    if rng.random() < 0.6:    # header text
        f = _font(int(rng.integers(11, 17)))
        txt = [f"TV {rng.choice(['5.0', '6.5', '7.5', '9.0'])}MHz",
               f"Gn {int(rng.integers(40, 80))}  DR {int(DR) + 10}",
               f"D {rmax * mm / 10:.1f}cm",
               str(rng.choice(["R OV", "L OV", "OV-R", "OV-L", "GYN"])),
               f"FR {int(rng.integers(12, 40))}Hz"]
        y = 4
        for t_ in txt[:int(rng.integers(2, 6))]:
            draw.text((5, y), t_, fill=col, font=f)
            y += f.size + 2 if hasattr(f, "size") else 12
        draw.text((W - 90, 4), f"MI {rng.uniform(0.3, 1.2):.1f} TIS {rng.uniform(0.1, 0.6):.1f}",
                  fill=col, font=f)
    if rng.random() < 0.35:   # grey bar
        x0, y0 = W - 14, int(H * 0.3)
        for k in range(64):
            draw.rectangle([x0, y0 + 2 * (63 - k), x0 + 6, y0 + 2 * (63 - k) + 1], fill=4 * k)
    if follicles and rng.random() < 0.3:   # calipers on one follicle
        fsel = follicles[int(rng.integers(0, len(follicles)))]
        a = math.radians(fsel["angle_deg"])
        f = _font(int(rng.integers(11, 16)))
        lines = []
        for kk, (dmm, aa) in enumerate(((fsel["diameters_mm"][0], a),
                                        (fsel["diameters_mm"][1], a + math.pi / 2))):
            hl = dmm / mm / 2 * rng.uniform(0.97, 1.03)
            pts_ = [(fsel["cx"] + sg * hl * math.cos(aa), fsel["cy"] + sg * hl * math.sin(aa))
                    for sg in (-1, 1)]
            for (x, y) in pts_:
                draw.line([x - 4, y, x + 4, y], fill=col)
                draw.line([x, y - 4, x, y + 4], fill=col)
            if rng.random() < 0.7:
                for t_ in np.linspace(0.1, 0.9, 9):
                    x = pts_[0][0] + t_ * (pts_[1][0] - pts_[0][0])
                    y = pts_[0][1] + t_ * (pts_[1][1] - pts_[0][1])
                    draw.point((x, y), fill=col)
            lines.append(f"D{kk + 1} {dmm:.1f}mm")
        y = H - 2 * 16 - 6
        for t_ in lines:
            draw.text((6, y), t_, fill=col, font=f)
            y += 16
    grey = np.asarray(out, dtype=np.uint8).copy()
    meta = {"mm_per_px": mm, "follicles": [
        {"cx": f["cx"], "cy": f["cy"], "diameters_mm": f["diameters_mm"],
         "mean_diameter_mm": f["mean_diameter_mm"], "angle_deg": f["angle_deg"],
         "cut_by_fan": f["cut_by_fan"], "visible_fraction": f["visible_fraction"]}
        for f in follicles], "afc": afc}
    debug = dict(scenario=scen, fols=fols, sep=sep, fan=(ax_, ay_, r0, rmax, alpha),
                 in_fan=in_fan)
    return grey, meta, debug


def follicle_sample(seed, i):
    grey, meta, _ = _follicle_render(seed, i)
    return grey, meta


def follicle_label_map(seed, i):
    """Debug helper: integer map (0 = none, k = k-th drawn follicle in creation
    order) of the fluid regions as rendered, plus the debug dict."""
    grey, meta, dbg = _follicle_render(seed, i)
    H, W = grey.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    fols, sep = dbg["fols"], dbg["sep"]
    lab = np.zeros((H, W), np.int32)
    m1, m2 = _fol_fields(fols, xx, yy, sep, 3.0)
    fl = _fluid_level(m1, m2, sep) > 0
    best = np.full((H, W), 1e6, np.float32)
    for k, f in enumerate(fols):
        d = f.sd(xx, yy)
        sel = fl & (d < best)
        lab[sel] = k + 1
        best = np.where(sel, d, best)
    return lab, meta, dbg
