"""Independent synthetic andrology-lab image generator.

Two entry points (deterministic in (seed, i)):

    smear_sample(seed, i)                      -> (rgb uint8 HxWx3, meta)
    video_sample(seed, i, n_frames=100, fps=50) -> (list of uint8 HxW frames, meta)

Only the standard library, numpy and Pillow are used.

Coordinate convention (both functions): x = column, y = row, in pixels, with the
centre of pixel (row r, column c) at (x=c, y=r).  The image therefore spans
x in [-0.5, W-0.5), y in [-0.5, H-0.5).
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

_SMEAR_KEY = 0x5EA2
_VIDEO_KEY = 0x71DE0


# ----------------------------------------------------------------------------
# small numerical helpers
# ----------------------------------------------------------------------------
def _gauss_kernel(sigma):
    r = max(1, int(math.ceil(3.0 * sigma)))
    x = np.arange(-r, r + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / max(sigma, 1e-6)) ** 2)
    return k / k.sum(), r


def _blur(a, sigma):
    """Separable Gaussian blur over the first two axes (reflect padding)."""
    if sigma < 0.15:
        return a
    k, r = _gauss_kernel(sigma)
    out = a.astype(np.float32, copy=True)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        p = np.pad(out, pad, mode="reflect")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for j in range(2 * r + 1):
            sl = [slice(None)] * out.ndim
            sl[axis] = slice(j, j + n)
            acc += k[j] * p[tuple(sl)]
        out = acc
    return out


def _lowfreq(rng, H, W, cell_px, octaves=3, persistence=0.5):
    """Smooth random field, roughly unit std, feature size ~cell_px."""
    out = np.zeros((H, W), np.float32)
    amp = 1.0
    size = float(cell_px)
    for _ in range(octaves):
        gh = max(2, int(H / size) + 2)
        gw = max(2, int(W / size) + 2)
        g = rng.standard_normal((gh, gw)).astype(np.float32)
        im = Image.fromarray(g, mode="F").resize((W, H), Image.BICUBIC)
        out += amp * np.asarray(im, dtype=np.float32)
        amp *= persistence
        size /= 2.0
    s = out.std()
    return out / (s if s > 0 else 1.0)


def _dilate(mask):
    m = mask.copy()
    m[1:, :] |= mask[:-1, :]
    m[:-1, :] |= mask[1:, :]
    m[:, 1:] |= mask[:, :-1]
    m[:, :-1] |= mask[:, 1:]
    return m


def _od(rgb):
    """Optical density vector that turns white into colour `rgb` (0..255)."""
    t = np.clip(np.asarray(rgb, np.float32) / 255.0, 0.02, 0.999)
    return -np.log(t)


# ----------------------------------------------------------------------------
# SMEAR
# ----------------------------------------------------------------------------
_STAINS = {
    # name: background, post-acrosomal nucleus, acrosome, midpiece, tail,
    #       leukocyte nucleus, cytoplasm, residual cytoplasm
    "diff-quik": dict(bg=(236, 214, 232), nuc=(78, 42, 128), acro=(156, 122, 196),
                      mid=(160, 70, 140), tail=(150, 96, 170), wbc_nuc=(70, 30, 120),
                      cyto=(214, 178, 214), droplet=(190, 140, 200)),
    "papanicolaou": dict(bg=(232, 222, 236), nuc=(58, 66, 138), acro=(148, 158, 206),
                         mid=(196, 84, 118), tail=(170, 118, 168), wbc_nuc=(48, 44, 120),
                         cyto=(200, 190, 220), droplet=(150, 196, 170)),
}


def _head_profile(spec, u, v):
    """Boolean inside-test for one head in its local frame (um).
    u: along the head axis (anterior positive), v: lateral."""
    a = spec["L"] / 2.0
    t = u / a
    ok = np.abs(t) < 1.0
    tt = np.clip(t, -0.999999, 0.999999)
    q = np.where(tt >= 0, spec["q_front"], spec["q_back"])
    base = (1.0 - tt * tt) ** q
    h = 0.5 * spec["W"] * base * (1.0 + spec["alpha"] * tt)
    ph = (tt + 1.0) * (math.pi / 2.0)
    top = np.ones_like(tt)
    bot = np.ones_like(tt)
    for (k, e1, p1, e2, p2) in spec["fourier"]:
        top += e1 * np.sin(k * ph + p1)
        bot += e2 * np.sin(k * ph + p2)
    c = spec["bend"] * a * (tt * tt - 1.0 / 3.0)
    return ok & (v - c <= h * top) & (c - v <= h * bot)


def _normal_head_spec(rng):
    for _ in range(100):
        W = rng.uniform(2.6, 3.3)
        L = W * rng.uniform(1.50, 1.72)
        if 4.05 <= L <= 4.95:
            break
    return dict(L=L, W=W, q_front=rng.uniform(0.45, 0.55), q_back=rng.uniform(0.5, 0.62),
                alpha=rng.uniform(-0.02, 0.07), fourier=[], bend=0.0,
                acro=rng.uniform(0.43, 0.67), acro_curv=rng.uniform(0.05, 0.3),
                vacuoles=[])


def _abnormal_head(rng, spec, kind):
    """Modify a normal head spec to a WHO head defect `kind`."""
    if kind == "tapered":
        spec["W"] = rng.uniform(1.9, 2.5)
        spec["L"] = spec["W"] * rng.uniform(2.0, 2.6)
        spec["q_front"] = rng.uniform(0.55, 0.8)
        spec["q_back"] = rng.uniform(0.6, 0.9)
    elif kind == "pyriform":
        spec["alpha"] = rng.uniform(0.35, 0.6)
        spec["q_back"] = rng.uniform(0.8, 1.2)
        spec["q_front"] = rng.uniform(0.35, 0.45)
    elif kind == "round":
        d = rng.uniform(2.8, 3.9)
        spec["L"] = d * rng.uniform(1.0, 1.1)
        spec["W"] = d
        spec["q_front"] = spec["q_back"] = 0.5
        spec["alpha"] = 0.0
        if rng.random() < 0.5:          # globozoospermia: no acrosome
            spec["acro"] = 0.0
    elif kind == "amorphous":
        spec["W"] = rng.uniform(2.3, 3.8)
        spec["L"] = spec["W"] * rng.uniform(1.1, 2.0)
        spec["fourier"] = [(k, rng.uniform(0.1, 0.3) / k ** 0.5, rng.uniform(0, 6.3),
                            rng.uniform(0.1, 0.3) / k ** 0.5, rng.uniform(0, 6.3))
                           for k in (2, 3, 4, 5)]
        spec["bend"] = rng.uniform(-0.25, 0.25)
        spec["alpha"] = rng.uniform(-0.3, 0.3)
    elif kind == "small":
        s = rng.uniform(0.62, 0.76)
        spec["L"] *= s
        spec["W"] *= s
    elif kind == "large":
        s = rng.uniform(1.28, 1.45)
        spec["L"] *= s
        spec["W"] *= s
    elif kind == "vacuolated":
        a, b = spec["L"] / 2, spec["W"] / 2
        if rng.random() < 0.5:   # one large vacuole (> 20 % of head area)
            r = math.sqrt(rng.uniform(0.22, 0.32) * a * b)
            spec["vacuoles"] = [(rng.uniform(-0.2, 0.2) * a, rng.uniform(-0.15, 0.15) * b, r)]
        else:                    # several vacuoles, some post-acrosomal
            n = int(rng.integers(3, 6))
            spec["vacuoles"] = [(rng.uniform(-0.6, 0.6) * a, rng.uniform(-0.5, 0.5) * b,
                                 rng.uniform(0.25, 0.45)) for _ in range(n)]
    elif kind == "small_acrosome":
        spec["acro"] = rng.uniform(0.1, 0.32)
    elif kind == "large_acrosome":
        spec["acro"] = rng.uniform(0.8, 0.92)
    return spec


_HEAD_DEFECTS = ["tapered", "pyriform", "round", "amorphous", "small", "large",
                 "vacuolated", "small_acrosome", "large_acrosome", "double_head"]
_HEAD_W = [0.14, 0.10, 0.08, 0.26, 0.07, 0.05, 0.10, 0.08, 0.05, 0.03]
_NECK_DEFECTS = ["bent_neck", "thick_midpiece", "thin_midpiece", "asymmetric_insertion",
                 "excess_residual_cytoplasm"]
_NECK_W = [0.3, 0.2, 0.1, 0.15, 0.25]
_TAIL_DEFECTS = ["short_tail", "coiled_tail", "bent_tail", "double_tail"]
_TAIL_W = [0.25, 0.35, 0.3, 0.1]


def _sperm_spec(rng, normal):
    head = _normal_head_spec(rng)
    if not normal and rng.random() < 0.04:
        head["vacuoles"] = []
    elif normal and rng.random() < 0.2:   # <= 2 small vacuoles in the acrosome (allowed)
        a, b = head["L"] / 2, head["W"] / 2
        head["vacuoles"] = [(rng.uniform(0.45, 0.65) * a, rng.uniform(-0.3, 0.3) * b,
                             rng.uniform(0.12, 0.2)) for _ in range(int(rng.integers(1, 3)))]
    sp = dict(head=head, defects=[], double_head=False,
              mid_len=head["L"] * rng.uniform(0.95, 1.2), mid_w=rng.uniform(0.6, 0.9),
              neck_angle=rng.normal(0, 4.0), mid_offset=0.0, droplet=0.0,
              tail_len=rng.uniform(40.0, 50.0), tail_mode="normal", double_tail=False)
    if not normal and rng.random() < 0.04:
        pass
    if normal:
        if rng.random() < 0.25:   # small residual cytoplasm (< 1/3 head area) is allowed
            sp["droplet"] = rng.uniform(0.08, 0.2)
        return sp
    # choose defect categories (at least one)
    cats = []
    r = rng.random()
    if r < 0.7:
        cats.append("head")
    if rng.random() < 0.35 or not cats:
        cats.append("neck")
    if rng.random() < 0.2:
        cats.append("tail")
    if "head" in cats:
        k = str(rng.choice(_HEAD_DEFECTS, p=np.array(_HEAD_W) / sum(_HEAD_W)))
        sp["defects"].append(k)
        if k == "double_head":
            sp["double_head"] = True
        else:
            _abnormal_head(rng, head, k)
    if "neck" in cats:
        k = str(rng.choice(_NECK_DEFECTS, p=np.array(_NECK_W) / sum(_NECK_W)))
        sp["defects"].append(k)
        if k == "bent_neck":
            sp["neck_angle"] = float(rng.choice([-1, 1]) * rng.uniform(35, 100))
        elif k == "thick_midpiece":
            sp["mid_w"] = rng.uniform(1.5, 2.2)
        elif k == "thin_midpiece":
            sp["mid_w"] = rng.uniform(0.35, 0.45)
            sp["thin_mid"] = True
        elif k == "asymmetric_insertion":
            sp["mid_offset"] = float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.45))
            sp["neck_angle"] = float(rng.choice([-1, 1]) * rng.uniform(15, 35))
        else:
            sp["droplet"] = rng.uniform(0.45, 0.9)
    if "tail" in cats:
        k = str(rng.choice(_TAIL_DEFECTS, p=np.array(_TAIL_W) / sum(_TAIL_W)))
        sp["defects"].append(k)
        if k == "short_tail":
            sp["tail_len"] = rng.uniform(8.0, 20.0)
        elif k == "coiled_tail":
            sp["tail_mode"] = "coiled"
        elif k == "bent_tail":
            sp["tail_mode"] = "bent"
        else:
            sp["double_tail"] = True
    return sp


class _Canvas:
    """Optical-density canvas plus obstacle bookkeeping for overlap tests."""

    def __init__(self, H, W):
        self.H, self.W = H, W
        self.od = np.zeros((H, W, 3), np.float32)
        self.occ = np.zeros((H, W), np.int16)
        self.comps = []   # (owner, y0, x0, bool mask)

    def add_od(self, y0, x0, patch_od):
        h, w = patch_od.shape[:2]
        ys, xs = max(0, y0), max(0, x0)
        ye, xe = min(self.H, y0 + h), min(self.W, x0 + w)
        if ye <= ys or xe <= xs:
            return
        self.od[ys:ye, xs:xe] += patch_od[ys - y0:ye - y0, xs - x0:xe - x0]

    def add_obstacle(self, owner, y0, x0, cov, thr=0.3):
        m = cov > thr
        h, w = m.shape
        ys, xs = max(0, y0), max(0, x0)
        ye, xe = min(self.H, y0 + h), min(self.W, x0 + w)
        if ye <= ys or xe <= xs:
            return
        mm = m[ys - y0:ye - y0, xs - x0:xe - x0]
        self.occ[ys:ye, xs:xe] += mm
        self.comps.append((owner, ys, xs, mm))

    def overlapping(self, owner, y0, x0, cov, thr=0.3):
        m = np.pad(cov > thr, 1)
        m = _dilate(m)
        y0 -= 1
        x0 -= 1
        h, w = m.shape
        ys, xs = max(0, y0), max(0, x0)
        ye, xe = min(self.H, y0 + h), min(self.W, x0 + w)
        win = self.occ[ys:ye, xs:xe].astype(np.int32)
        for (o, cy, cx, cm) in self.comps:
            if o != owner:
                continue
            ch, cw = cm.shape
            oy0, ox0 = max(ys, cy), max(xs, cx)
            oy1, ox1 = min(ye, cy + ch), min(xe, cx + cw)
            if oy1 > oy0 and ox1 > ox0:
                win[oy0 - ys:oy1 - ys, ox0 - xs:ox1 - xs] -= cm[oy0 - cy:oy1 - cy, ox0 - cx:ox1 - cx]
        mm = m[ys - y0:ye - y0, xs - x0:xe - x0]
        return bool(np.any(win[mm] > 0))


def _render_head(spec_list, cx, cy, upp, col, S=4):
    """Analytic supersampled rendering of one or two heads.
    spec_list: [(spec, du, dv, dang)] offsets of each sub-head relative to (cx, cy, ang).
    Returns y0, x0, od patch (h,w,3), coverage (h,w), centroid (x, y)."""
    ang = col["ang"]
    rad_um = max(max(s["L"], s["W"]) / 2 + math.hypot(du, dv) for (s, du, dv, _) in spec_list) + 0.6
    r = int(math.ceil(rad_um / upp)) + 2
    x0, y0 = int(round(cx)) - r, int(round(cy)) - r
    n = 2 * r + 1
    off = (np.arange(n * S, dtype=np.float32) + 0.5) / S - 0.5
    X = (x0 + off)[None, :]
    Y = (y0 + off)[:, None]
    dx = (X - cx) * upp
    dy = (Y - cy) * upp
    nuc = np.zeros((n * S, n * S), np.float32)
    acro = np.zeros_like(nuc)
    vac = np.zeros_like(nuc)
    tex = col["tex"] * _lowfreq(col["rng"], n * S, n * S, max(3.0, 0.5 / upp * S), 2)
    for (spec, du, dv, dang) in spec_list:
        a = ang + dang
        ca, sa = math.cos(a), math.sin(a)
        # head centre offset (du along main axis, dv lateral)
        ox = du * math.cos(ang) - dv * math.sin(ang)
        oy = du * math.sin(ang) + dv * math.cos(ang)
        ddx, ddy = dx - ox, dy - oy
        u = ddx * ca + ddy * sa
        v = -ddx * sa + ddy * ca
        inside = _head_profile(spec, u, v)
        if not inside.any():
            continue
        score = u + spec["acro_curv"] * v * v
        if spec["acro"] > 0:
            thr = np.quantile(score[inside], 1.0 - spec["acro"])
            aw = 1.0 / (1.0 + np.exp(-(score - thr) / 0.12))
        else:
            aw = np.zeros(inside.shape, np.float32)
        # nucleus density: darker towards the posterior base, chromatin texture
        a2 = spec["L"] / 2
        dens = 1.0 + 0.15 * np.clip(-u / a2, 0, 1) + 0.08 * tex
        ins = inside.astype(np.float32)
        nuc += ins * (1.0 - aw) * dens
        acro += ins * aw * (1.0 + 0.05 * tex)
        for (vu, vv, vr) in spec["vacuoles"]:
            d2 = (u - vu) ** 2 + (v - vv) ** 2
            vac += (inside & (d2 < vr * vr)).astype(np.float32)
    def down(a):
        return a.reshape(n, S, n, S).mean(axis=(1, 3))
    nuc_c, acro_c, vac_c = down(nuc), down(acro), down(np.clip(vac, 0, 1))
    cov = np.clip(down(((nuc > 0) | (acro > 0)).astype(np.float32)), 0, 1)
    od = (nuc_c[..., None] * col["nuc"] + acro_c[..., None] * col["acro"])
    od *= (1.0 - 0.75 * vac_c[..., None])
    tot = cov.sum()
    if tot > 0:
        gy, gx = np.mgrid[0:n, 0:n]
        centroid = (float((cov * (gx + x0)).sum() / tot), float((cov * (gy + y0)).sum() / tot))
    else:
        centroid = (cx, cy)
    return y0, x0, od.astype(np.float32), cov.astype(np.float32), centroid


def _draw_lines(polys, upp, S=3):
    """polys: list of (points_px Nx2, width_px, value).  Returns y0, x0, coverage."""
    allp = np.concatenate([p for p, _, _ in polys], axis=0)
    wmax = max(w for _, w, _ in polys)
    pad = int(math.ceil(wmax)) + 2
    x0 = int(math.floor(allp[:, 0].min())) - pad
    y0 = int(math.floor(allp[:, 1].min())) - pad
    x1 = int(math.ceil(allp[:, 0].max())) + pad
    y1 = int(math.ceil(allp[:, 1].max())) + pad
    w, h = x1 - x0 + 1, y1 - y0 + 1
    im = Image.new("L", (w * S, h * S), 0)
    dr = ImageDraw.Draw(im)
    for pts, wid, val in polys:
        q = [((x - x0 + 0.5) * S - 0.5, (y - y0 + 0.5) * S - 0.5) for x, y in pts]
        ws = max(1, int(round(wid * S)))
        if len(q) >= 2:
            dr.line(q, fill=int(val), width=ws, joint="curve")
        rr = ws / 2.0
        for (qx, qy) in (q[0], q[-1]):
            dr.ellipse([qx - rr, qy - rr, qx + rr, qy + rr], fill=int(val))
    im = im.resize((w, h), Image.BOX)
    return y0, x0, np.asarray(im, np.float32) / 255.0


def _tail_path(rng, start, heading, length_um, mode, step_um=0.5):
    """Centerline (um) of a tail lying flat on the slide."""
    n = max(2, int(length_um / step_um))
    s = np.arange(n + 1) * step_um
    # smooth curvature: sum of a few random sinusoids (1/um)
    k = np.zeros_like(s)
    for _ in range(3):
        k += rng.normal(0, 0.03) * np.sin(2 * math.pi * s / rng.uniform(15, 60) + rng.uniform(0, 6.3))
    k += rng.normal(0, 0.01)
    th = heading + np.cumsum(k) * step_um
    if mode == "coiled":
        s0 = rng.uniform(0.05, 0.5) * length_um
        rc = rng.uniform(0.9, 2.0)
        th = th + np.where(s > s0, (s - s0) / rc * rng.choice([-1, 1]), 0.0)
    elif mode == "bent":
        s0 = rng.uniform(0.1, 0.5) * length_um
        th = th + np.where(s > s0, math.radians(rng.uniform(95, 160)) * rng.choice([-1, 1]), 0.0)
    x = start[0] + np.concatenate([[0], np.cumsum(np.cos(th[:-1]) * step_um)])
    y = start[1] + np.concatenate([[0], np.cumsum(np.sin(th[:-1]) * step_um)])
    return np.stack([x, y], 1), th


def _render_sperm(rng, cv, owner, sp, cx, cy, ang, upp, col):
    """Draw tail, midpiece, droplet and head(s).  Returns head record."""
    head = sp["head"]
    L = head["L"]
    # --- heads
    if sp["double_head"]:
        sep = head["W"] * rng.uniform(0.45, 0.6)
        d = math.radians(rng.uniform(5, 25))
        heads = [(head, 0.0, sep, -d), (dict(head), 0.0, -sep, d)]
    else:
        heads = [(head, 0.0, 0.0, 0.0)]
    colh = dict(nuc=col["nuc"] * sp["stain_k"], acro=col["acro"] * sp["stain_k"], ang=ang,
                tex=rng.uniform(0.5, 1.5), rng=rng)
    hy0, hx0, hod, hcov, centroid = _render_head(heads, cx, cy, upp, colh)
    # --- neck point (posterior end of the head), midpiece direction
    ca, sa = math.cos(ang), math.sin(ang)
    off = sp["mid_offset"] * head["W"]
    neck_um = np.array([cx * upp - (L / 2 - 0.15) * ca - off * sa,
                        cy * upp - (L / 2 - 0.15) * sa + off * ca])
    mdir = ang + math.pi + math.radians(sp["neck_angle"])
    mid_pts, th = _tail_path(rng, neck_um, mdir, sp["mid_len"], "normal", 0.25)
    tail_pts, _ = _tail_path(rng, mid_pts[-1], th[-1], sp["tail_len"], sp["tail_mode"], 0.5)
    polys_t = []
    n = len(tail_pts)
    seg = max(2, n // 6)
    for j in range(0, n - 1, seg):  # tapered tail in a few chunks
        frac = j / max(1, n - 1)
        wid = (0.5 - 0.22 * frac) / upp
        polys_t.append((tail_pts[j:j + seg + 1] / upp, max(wid, 0.9), 255))
    if sp["double_tail"]:
        t2, _ = _tail_path(rng, mid_pts[-1], th[-1] + rng.uniform(-0.6, 0.6), sp["tail_len"] * 0.9,
                           "normal", 0.5)
        polys_t.append((t2 / upp, max(0.45 / upp, 0.9), 255))
    ty0, tx0, tcov = _draw_lines(polys_t, upp)
    tod = tcov[..., None] * (col["tail"] * sp["stain_k"] * rng.uniform(0.35, 0.6))
    cv.add_od(ty0, tx0, tod)
    # midpiece
    mw = sp["mid_w"] / upp
    my0, mx0, mcov = _draw_lines([(mid_pts / upp, max(mw, 1.0), 255)], upp)
    mcol = col["mid"] * (0.4 if sp.get("thin_mid") else 0.7) * min(1.3, sp["mid_w"]) 
    cv.add_od(my0, mx0, mcov[..., None] * mcol * sp["stain_k"])
    cv.add_obstacle(owner, my0, mx0, mcov, thr=0.5)
    # residual cytoplasm droplet around the midpiece
    if sp["droplet"] > 0:
        area = sp["droplet"] * math.pi * L * head["W"] / 4.0
        ra = math.sqrt(area / math.pi) * 1.3
        rb = area / (math.pi * ra)
        j = int(rng.uniform(0.2, 0.8) * (len(mid_pts) - 1))
        pc = mid_pts[j] / upp
        rr = int(math.ceil(ra / upp)) + 3
        S = 3
        nn = 2 * rr + 1
        offs = (np.arange(nn * S) + 0.5) / S - 0.5
        x0, y0 = int(round(pc[0])) - rr, int(round(pc[1])) - rr
        X = (x0 + offs)[None, :] - pc[0]
        Y = (y0 + offs)[:, None] - pc[1]
        cm, sm = math.cos(th[j]), math.sin(th[j])
        u = (X * cm + Y * sm) * upp
        v = (-X * sm + Y * cm) * upp
        ins = ((u / ra) ** 2 + (v / rb) ** 2 < 1).astype(np.float32)
        dcov = ins.reshape(nn, S, nn, S).mean(axis=(1, 3))
        cv.add_od(y0, x0, dcov[..., None] * col["droplet"] * sp["stain_k"] * 0.6)
        if sp["droplet"] > 0.3:
            cv.add_obstacle(owner, y0, x0, dcov)
    # head last (on top; OD is additive anyway)
    cv.add_od(hy0, hx0, hod)
    cv.add_obstacle(owner, hy0, hx0, hcov)
    return dict(owner=owner, y0=hy0, x0=hx0, cov=hcov, centroid=centroid)


def _render_cell(rng, cv, owner, kind, cx, cy, upp, col):
    """Leukocyte / round germ cell / lymphocyte / epithelial cell."""
    if kind == "neutrophil":
        R = rng.uniform(4.5, 6.5)
    elif kind == "lymphocyte":
        R = rng.uniform(3.2, 4.2)
    elif kind == "epithelial":
        R = rng.uniform(14, 22)
    else:  # round (immature germ) cell
        R = rng.uniform(4.5, 8.0)
    S = 2
    r = int(math.ceil(R * 1.35 / upp)) + 2
    n = 2 * r + 1
    offs = (np.arange(n * S, dtype=np.float32) + 0.5) / S - 0.5
    x0, y0 = int(round(cx)) - r, int(round(cy)) - r
    X = ((x0 + offs)[None, :] - cx) * upp
    Y = ((y0 + offs)[:, None] - cy) * upp
    rad = np.sqrt(X * X + Y * Y)
    phi = np.arctan2(Y, X)
    rr = np.full_like(rad, R)
    irregular = 0.25 if kind == "epithelial" else 0.06
    for k in (2, 3, 5):
        rr = rr + R * rng.uniform(0, irregular) / k * np.sin(k * phi + rng.uniform(0, 6.3))
    cell = (rad < rr).astype(np.float32)
    nuc = np.zeros_like(cell)
    if kind == "neutrophil":
        nl = int(rng.integers(2, 6))
        a0 = rng.uniform(0, 6.3)
        rc = R * rng.uniform(0.35, 0.5)
        for j in range(nl):
            t = a0 + j * rng.uniform(0.9, 1.4)
            px, py = rc * math.cos(t), rc * math.sin(t)
            la, lb = rng.uniform(1.1, 1.6), rng.uniform(0.8, 1.2)
            ct, st = math.cos(t), math.sin(t)
            uu = (X - px) * ct + (Y - py) * st
            vv = -(X - px) * st + (Y - py) * ct
            nuc = np.maximum(nuc, ((uu / lb) ** 2 + (vv / la) ** 2 < 1).astype(np.float32))
        cyto_k = rng.uniform(0.5, 0.9)
    else:
        fr = {"lymphocyte": (0.75, 0.88), "epithelial": (0.12, 0.2)}.get(kind, (0.4, 0.65))
        rn = R * rng.uniform(*fr)
        ox, oy = rng.normal(0, 0.1 * (R - rn), 2)
        nuc = (np.hypot(X - ox, Y - oy) < rn).astype(np.float32)
        cyto_k = rng.uniform(0.25, 0.5) if kind == "epithelial" else rng.uniform(0.5, 1.0)
    gran = 1.0 + 0.25 * _lowfreq(rng, n * S, n * S, max(3.0, 0.6 / upp * S), 2)
    def down(a):
        return a.reshape(n, S, n, S).mean(axis=(1, 3))
    cell_c = down(cell)
    nuc_c = down(nuc * cell * gran)
    cyto_c = down(cell * (1 - nuc) * gran)
    od = cyto_c[..., None] * col["cyto"] * cyto_k + nuc_c[..., None] * col["wbc_nuc"] * rng.uniform(0.8, 1.2)
    cv.add_od(y0, x0, od.astype(np.float32))
    cv.add_obstacle(owner, y0, x0, cell_c)


def _render_debris(rng, cv, owner, cx, cy, upp, col, kind):
    S = 2
    if kind == "granule":
        R = rng.uniform(0.2, 0.7)
    elif kind == "headlike":
        R = rng.uniform(1.4, 2.4)
    else:
        R = rng.uniform(0.6, 2.2)
    r = int(math.ceil(R * 1.6 / upp)) + 2
    n = 2 * r + 1
    offs = (np.arange(n * S, dtype=np.float32) + 0.5) / S - 0.5
    x0, y0 = int(round(cx)) - r, int(round(cy)) - r
    X = ((x0 + offs)[None, :] - cx) * upp
    Y = ((y0 + offs)[:, None] - cy) * upp
    phi = np.arctan2(Y, X)
    rad = np.hypot(X * rng.uniform(0.7, 1.0), Y)
    rr = np.full_like(rad, R)
    for k in (2, 3, 4, 6):
        rr = rr + R * rng.uniform(0, 0.25) / k * np.sin(k * phi + rng.uniform(0, 6.3))
    m = (rad < rr).astype(np.float32)
    cov = _blur(m.reshape(n, S, n, S).mean(axis=(1, 3)), 0.15 / upp)
    if kind != "granule":
        cov = cov * (0.7 + 0.3 * _lowfreq(rng, n, n, max(2.0, 0.5 / upp), 1).clip(-1, 1))
    choice = rng.integers(0, 4)
    c = [col["nuc"], col["mid"], col["cyto"] * 2.0, col["tail"]][choice]
    dens = rng.uniform(0.2, 0.8) if kind != "granule" else rng.uniform(0.5, 1.5)
    cv.add_od(y0, x0, (cov[..., None] * c * dens).astype(np.float32))
    if R >= 1.0:
        cv.add_obstacle(owner, y0, x0, cov)


def smear_sample(seed, i):
    rng = np.random.default_rng([int(seed), int(i), _SMEAR_KEY])
    H = int(rng.integers(400, 901))
    W = int(rng.integers(400, 901))
    upp = float(rng.uniform(0.08, 0.2))
    stain_name = "diff-quik" if rng.random() < 0.55 else "papanicolaou"
    base = _STAINS[stain_name]
    col = {}
    for k, v in base.items():
        jit = np.clip(np.asarray(v, np.float32) + rng.normal(0, 8, 3), 5, 250)
        col[k] = _od(jit) * rng.uniform(0.85, 1.15)
    bg_od = col.pop("bg")
    cv = _Canvas(H, W)

    # background: seminal plasma / protein film, mottled, uneven stain
    mott = _lowfreq(rng, H, W, rng.uniform(40, 140) / (upp / 0.12), octaves=3)
    fine = _blur(rng.standard_normal((H, W)).astype(np.float32), rng.uniform(0.8, 2.0))
    fine /= fine.std() + 1e-6
    bgk = np.clip(1.0 + rng.uniform(0.05, 0.25) * mott + rng.uniform(0.03, 0.12) * fine, 0.2, 3)
    cv.od += bgk[..., None] * bg_od * rng.uniform(0.5, 1.2)

    area_um2 = H * W * upp * upp
    n_sperm = int(np.clip(round(area_um2 * math.exp(rng.uniform(math.log(1 / 700), math.log(1 / 110)))), 5, 40))
    p_norm = float(rng.uniform(0.05, 0.30))
    owner = 0
    placed = []   # (cx, cy) in px
    heads_out = []
    margin_um = 3.2
    mpx = margin_um / upp + 2

    # cells first (so sperm can be placed touching them)
    n_cells = int(rng.choice([0, 1, 2, 3, 4, 6], p=[0.2, 0.25, 0.2, 0.15, 0.12, 0.08]))
    cell_pos = []
    for _ in range(n_cells):
        kind = str(rng.choice(["neutrophil", "round", "lymphocyte", "epithelial"],
                              p=[0.45, 0.35, 0.15, 0.05]))
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        owner += 1
        _render_cell(rng, cv, owner, kind, cx, cy, upp, col)
        cell_pos.append((cx, cy, kind))

    # debris
    n_deb = int(rng.integers(3, 45))
    for _ in range(n_deb):
        kind = str(rng.choice(["granule", "blob", "headlike"], p=[0.72, 0.2, 0.08]))
        if kind == "granule" and rng.random() < 0.5 and placed:
            pass
        owner += 1
        _render_debris(rng, cv, owner, rng.uniform(0, W), rng.uniform(0, H), upp, col, kind)
    # stain precipitate clusters
    for _ in range(int(rng.integers(0, 4))):
        ccx, ccy = rng.uniform(0, W), rng.uniform(0, H)
        for _ in range(int(rng.integers(5, 25))):
            owner += 1
            _render_debris(rng, cv, owner, ccx + rng.normal(0, 3 / upp), ccy + rng.normal(0, 3 / upp),
                           upp, col, "granule")

    for k in range(n_sperm):
        normal = bool(rng.random() < p_norm)
        sp = _sperm_spec(rng, normal)
        sp["stain_k"] = rng.uniform(0.8, 1.2)
        ang = rng.uniform(-math.pi, math.pi)
        # position: mostly random, sometimes deliberately close to a head or cell
        r = rng.random()
        if r < 0.14 and placed:
            px, py = placed[int(rng.integers(len(placed)))]
            d = rng.uniform(0.5, 1.1) * sp["head"]["L"] / upp
            t = rng.uniform(0, 2 * math.pi)
            cx, cy = px + d * math.cos(t), py + d * math.sin(t)
        elif r < 0.2 and cell_pos:
            px, py, _ = cell_pos[int(rng.integers(len(cell_pos)))]
            d = rng.uniform(4.0, 7.0) / upp
            t = rng.uniform(0, 2 * math.pi)
            cx, cy = px + d * math.cos(t), py + d * math.sin(t)
        else:
            cx, cy = rng.uniform(0, W), rng.uniform(0, H)
        cx = float(np.clip(cx, mpx, W - 1 - mpx))
        cy = float(np.clip(cy, mpx, H - 1 - mpx))
        owner += 1
        rec = _render_sperm(rng, cv, owner, sp, cx, cy, ang, upp, col)
        rec["normal"] = normal and not sp["defects"]
        rec["defects"] = list(sp["defects"])
        rec["L"], rec["W"] = sp["head"]["L"], sp["head"]["W"]
        rec["acro"] = sp["head"]["acro"]
        rec["ang"] = ang
        heads_out.append(rec)
        placed.append((cx, cy))

    # overlap flags (after everything is placed)
    for rec in heads_out:
        rec["overlapping"] = cv.overlapping(rec["owner"], rec["y0"], rec["x0"], rec["cov"])

    # ----- optics: uneven stain, illumination, blur, noise
    od = cv.od
    uneven = 1.0 + rng.uniform(0.03, 0.2) * _lowfreq(rng, H, W, max(H, W) / rng.uniform(1.5, 4), 2)
    od *= np.clip(uneven, 0.5, 1.6)[..., None]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    xn, yn = (xx / W - 0.5) * 2, (yy / H - 0.5) * 2
    g = rng.normal(0, 0.08, 2)
    vig = rng.uniform(0.0, 0.25)
    illum = (1.0 + g[0] * xn + g[1] * yn) * (1.0 - vig * 0.5 * (xn ** 2 + yn ** 2))
    lamp = np.array([1.0, rng.uniform(0.95, 1.02), rng.uniform(0.9, 1.02)], np.float32)
    lamp *= rng.uniform(0.88, 1.0)
    img = 255.0 * illum[..., None] * lamp * np.exp(-od)
    sig = float(rng.choice([rng.uniform(0.09, 0.2), rng.uniform(0.2, 0.4)], p=[0.75, 0.25])) / upp
    sharp = _blur(img, 0.3)
    soft = _blur(img, sig)
    if rng.random() < 0.35:   # one side of the field slightly out of focus
        d = np.clip(0.5 + (rng.normal() * xn + rng.normal() * yn) * 0.6, 0, 1)[..., None]
        soft2 = _blur(img, sig + rng.uniform(0.15, 0.4) / upp)
        img = soft * (1 - d) + soft2 * d
    else:
        img = soft if sig > 0.3 else sharp
    noise = rng.uniform(1.0, 6.0)
    img = img + rng.normal(0, 1, img.shape).astype(np.float32) * noise * np.sqrt(np.clip(img, 1, 255) / 200.0)
    rgb = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        import io
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=int(rng.integers(60, 96)))
        buf.seek(0)
        rgb = np.asarray(Image.open(buf).convert("RGB")).copy()

    meta = {
        "um_per_px": upp,
        "stain": stain_name,
        "focus_sigma_px": sig,
        "heads": [
            {"x": rec["centroid"][0], "y": rec["centroid"][1], "normal": bool(rec["normal"]),
             "overlapping": bool(rec["overlapping"]), "defects": rec["defects"],
             "length_um": float(rec["L"]), "width_um": float(rec["W"]),
             "acrosome_frac": float(rec["acro"]),
             "angle_deg": float(math.degrees(rec["ang"]))}
            for rec in heads_out
        ],
    }
    return rgb, meta


# ----------------------------------------------------------------------------
# VIDEO
# ----------------------------------------------------------------------------
def _kinematics(pos, fps, upp):
    """CASA VCL, VSL, VAP (um/s) for a contiguous run of exact head positions (n,2 px)."""
    n = len(pos)
    if n < 2:
        return 0.0, 0.0, 0.0
    p = np.asarray(pos, np.float64)
    dur = (n - 1) / fps
    vcl = np.sum(np.hypot(*np.diff(p, axis=0).T)) * upp / dur
    vsl = float(np.hypot(*(p[-1] - p[0]))) * upp / dur
    sm = np.empty_like(p)
    for k in range(n):
        h = min(2, k, n - 1 - k)     # centred window that shrinks at the ends
        sm[k] = p[k - h:k + h + 1].mean(axis=0)
    vap = np.sum(np.hypot(*np.diff(sm, axis=0).T)) * upp / dur
    return float(vcl), float(vsl), float(vap)


def _simulate(rng, grade, T, fps):
    """Average path + head oscillation for T frames, in um relative to start.
    Returns dict with head (T,2) um, path heading (T,), lat(T,), params."""
    t = np.arange(T) / fps
    dt = 1.0 / fps
    n1 = int(min(T, round(fps)))
    for attempt in range(60):
        if grade == "d":
            return dict(head=np.zeros((T, 2)), theta=np.full(T, rng.uniform(-math.pi, math.pi)),
                        A=0.0, f=0.0, phi=0.0, curv=rng.normal(0, 0.015), mode="immotile")
        mode = "straight"
        th0 = rng.uniform(-math.pi, math.pi)
        if grade == "a":
            v = rng.uniform(28, 75)
            om = rng.normal(0, 0.25)
            sth = rng.uniform(0.03, 0.3)
            A = rng.uniform(1.5, 6.0)
            bcf = rng.uniform(10, 30)
        elif grade == "b":
            v = rng.uniform(7, 32)
            om = rng.normal(0, 0.7)
            sth = rng.uniform(0.1, 0.8)
            A = rng.uniform(1.0, 3.0)
            bcf = rng.uniform(5, 25)
        else:
            mode = str(rng.choice(["circle", "inplace", "meander"], p=[0.4, 0.4, 0.2]))
            if mode == "circle":
                rc = rng.uniform(1.0, 4.0)
                om = rng.choice([-1, 1]) * rng.uniform(3, 10)
                v = abs(om) * rc
                sth = rng.uniform(0.0, 0.2)
                A = rng.uniform(1.0, 2.5)
            elif mode == "inplace":
                v = rng.uniform(0, 1.5)
                om = rng.normal(0, 0.3)
                sth = rng.uniform(0.05, 0.5)
                A = rng.uniform(1.0, 3.0)
            else:
                v = rng.uniform(1, 4)
                om = 0.0
                sth = rng.uniform(1.0, 3.0)
                A = rng.uniform(1.0, 2.5)
            bcf = rng.uniform(5, 20)
        f = bcf / 2.0          # each beat cycle crosses the average path twice
        phi = rng.uniform(0, 2 * math.pi)
        theta = th0 + om * t + sth * np.concatenate([[0], np.cumsum(rng.normal(0, math.sqrt(dt), T - 1))])
        vv = v * (1 + 0.05 * np.sin(2 * math.pi * f * t + phi))
        step = np.stack([np.cos(theta), np.sin(theta)], 1) * (vv * dt)[:, None]
        P = np.concatenate([[[0.0, 0.0]], np.cumsum(step[:-1], axis=0)])
        lat = A * np.sin(2 * math.pi * f * t + phi)
        nrm = np.stack([-np.sin(theta), np.cos(theta)], 1)
        head = P + lat[:, None] * nrm
        # grade check on exact positions: first second and whole duration
        ok = True
        if T >= 2:
            vsl1 = np.hypot(*(head[n1 - 1] - head[0])) / ((n1 - 1) / fps) if n1 >= 2 else 0
            vslT = np.hypot(*(head[-1] - head[0])) / ((T - 1) / fps)
            vcl = np.sum(np.hypot(*np.diff(head, axis=0).T)) / ((T - 1) / fps)
            if vcl > 260:
                ok = False
            if grade == "a":
                ok &= vsl1 >= 27 and vslT >= 27
            elif grade == "b":
                ok &= 6 <= vsl1 <= 23 and 6 <= vslT <= 23
            else:
                ok &= vsl1 <= 4 and vslT <= 4 and vcl >= 5
        if ok:
            break
    return dict(head=head, theta=theta, A=A, f=f, phi=phi, mode=mode,
                curv=(np.sign(om) * rng.uniform(0.01, 0.03) if mode == "circle" else rng.normal(0, 0.006)))


def _disc_points(delta):
    g = np.arange(-1 + delta / 2, 1, delta)
    X, Y = np.meshgrid(g, g)
    m = X * X + Y * Y < 1
    x, y = X[m], Y[m]
    w = np.sqrt(1 - (x * x + y * y))
    w = w / w.mean()
    return x.astype(np.float32), y.astype(np.float32), w.astype(np.float32)


def _splat(Hp, Wp, x, y, w):
    ix = np.floor(x).astype(np.int64)
    iy = np.floor(y).astype(np.int64)
    fx = (x - ix).astype(np.float32)
    fy = (y - iy).astype(np.float32)
    ok = (ix >= 0) & (ix < Wp - 1) & (iy >= 0) & (iy < Hp - 1)
    ix, iy, fx, fy, w = ix[ok], iy[ok], fx[ok], fy[ok], w[ok]
    idx = iy * Wp + ix
    allidx = np.concatenate([idx, idx + 1, idx + Wp, idx + Wp + 1])
    allw = np.concatenate([w * (1 - fx) * (1 - fy), w * fx * (1 - fy), w * (1 - fx) * fy, w * fx * fy])
    return np.bincount(allidx, allw, minlength=Hp * Wp).reshape(Hp, Wp)


def video_sample(seed, i, n_frames=100, fps=50.0):
    rng = np.random.default_rng([int(seed), int(i), _VIDEO_KEY])
    n_frames = int(n_frames)
    fps = float(fps)
    if n_frames < 1:
        raise ValueError("n_frames must be >= 1")
    W = int(rng.integers(640, 801))
    H = int(np.clip(round(W * rng.uniform(0.72, 0.78)), 480, 600))
    upp = float(rng.uniform(0.4, 1.2))
    depth = float(rng.choice([10.0, 20.0], p=[0.35, 0.65]))
    conc_target = float(math.exp(rng.uniform(math.log(5), math.log(150))))
    field_um3 = W * H * upp * upp * depth
    lam1 = conc_target * field_um3 * 1e-6          # expected count, undiluted
    dilution = 2 if (lam1 > 350 and rng.random() < 0.85) or rng.random() < 0.1 else 1
    lam = lam1 / dilution
    N0 = int(max(1, min(700, rng.poisson(lam))))
    Wum, Hum = W * upp, H * upp
    T = n_frames
    Tsim = max(T, int(round(fps)))
    dur = (Tsim - 1) / fps
    # grade mix: wide, including extremes
    mot = float(np.clip(rng.beta(0.7, 0.7) if rng.random() < 0.85 else rng.choice([0.02, 0.97]), 0, 1))
    prog_share = float(rng.beta(1.3, 0.9))
    a_share = float(rng.beta(1.0, 1.0))
    pa = mot * prog_share * a_share
    pb = mot * prog_share * (1 - a_share)
    pc = mot * (1 - prog_share)
    pd = 1 - mot
    gp = np.clip(np.array([pa, pb, pc, pd]), 0, None)
    gp /= gp.sum()

    # candidates: N0 in field at frame 0 + Poisson in a surrounding ring
    reach = 60.0
    M = float(min(400.0, 80.0 * dur + reach))
    dens = lam / (Wum * Hum)
    ext_area = (Wum + 2 * M) * (Hum + 2 * M) - Wum * Hum
    n_out = int(rng.poisson(dens * ext_area))
    starts = [np.array([rng.uniform(-0.5, W - 0.5) * upp, rng.uniform(-0.5, H - 0.5) * upp]) for _ in range(N0)]
    infield0 = [True] * N0
    for _ in range(n_out):
        while True:
            p = np.array([rng.uniform(-M, Wum + M), rng.uniform(-M, Hum + M)]) - 0.5 * upp
            if not (-0.5 * upp <= p[0] < Wum - 0.5 * upp and -0.5 * upp <= p[1] < Hum - 0.5 * upp):
                break
        starts.append(p)
        infield0.append(False)

    sperm = []
    for k, p0 in enumerate(starts):
        g = str(rng.choice(["a", "b", "c", "d"], p=gp))
        if not infield0[k]:
            # quick reject: immotile / slow sperm far from the field never show up
            dx = max(-0.5 * upp - p0[0], 0, p0[0] - (Wum - 0.5 * upp))
            dy = max(-0.5 * upp - p0[1], 0, p0[1] - (Hum - 0.5 * upp))
            dist = math.hypot(dx, dy)
            vmax = {"a": 80.0, "b": 35.0, "c": 8.0, "d": 0.0}[g]
            if dist > reach + vmax * dur + 8:
                continue
        sim = _simulate(rng, g, Tsim, fps)
        head_um = sim["head"] + p0
        sp = dict(grade=g, head_um=head_um, sim=sim, infield0=infield0[k])
        sperm.append(sp)

    # deliberate crossings: a new sperm that meets an existing motile one mid-video
    motile = [s for s in sperm if s["grade"] in "ab" and s["infield0"]]
    for _ in range(int(rng.integers(0, 3)) if (motile and T > 10) else 0):
        sA = motile[int(rng.integers(len(motile)))]
        tc = int(rng.integers(T // 4, max(T // 4 + 1, 3 * T // 4)))
        g = str(rng.choice(["a", "b"]))
        sim = _simulate(rng, g, Tsim, fps)
        shift = sA["head_um"][tc] + rng.normal(0, 1.5, 2) - sim["head"][tc]
        sperm.append(dict(grade=g, head_um=sim["head"] + shift, sim=sim, infield0=False, crossing=True))

    # per-sperm appearance
    for sp in sperm:
        sp["L"] = rng.uniform(4.0, 5.0)
        sp["Wd"] = rng.uniform(2.6, 3.3)
        sp["mid"] = rng.uniform(4.0, 5.0)
        sp["tail"] = rng.uniform(41.0, 50.0)
        z = rng.uniform(0, depth)
        sp["z"] = z
        sp["lam"] = rng.uniform(20, 35)
        sp["A1"] = rng.uniform(3.5, 7.5) if sp["grade"] != "d" else rng.uniform(0.5, 3.0)
        sp["psi"] = rng.uniform(0, 2 * math.pi)
        sp["roll0"] = rng.uniform(0.6, 1.0)

    # frame-0 bookkeeping / ground truth
    def inimg(xy):
        return (-0.5 <= xy[..., 0]) & (xy[..., 0] < W - 0.5) & (-0.5 <= xy[..., 1]) & (xy[..., 1] < H - 0.5)

    listed = []
    for sp in sperm:
        px = sp["head_um"][:T] / upp
        m = inimg(px)
        sp["px"] = px
        sp["in"] = m
        if m.any():
            listed.append(sp)

    # ---------------- rendering setup
    pad = 24

    def _good(n):
        while True:
            m = n
            for p in (2, 3, 5):
                while m % p == 0:
                    m //= p
            if m == 1:
                return n
            n += 1
    Hp, Wp = _good(H + 2 * pad), _good(W + 2 * pad)
    neg_phase = bool(rng.random() < 0.5)
    sig_n0 = rng.uniform(0.7, 1.3)
    sig_w = sig_n0 * rng.uniform(2.0, 3.5)
    halo_k = rng.uniform(0.6, 0.9)
    drift_amp = rng.uniform(0.0, 0.45)
    drift_T = rng.uniform(2.0, 10.0)
    drift_ph = rng.uniform(0, 2 * math.pi)
    fy = np.fft.fftfreq(Hp)[:, None].astype(np.float32)
    fx = np.fft.rfftfreq(Wp)[None, :].astype(np.float32)
    f2 = (fx * fx + fy * fy) * (2 * math.pi ** 2)

    # rendered set: all sperm whose head comes within `reach` of the field
    rend = []
    for sp in sperm:
        p = sp["head_um"][:T]
        near = ((p[:, 0] > -reach) & (p[:, 0] < Wum + reach) & (p[:, 1] > -reach) & (p[:, 1] < Hum + reach))
        if near.any():
            rend.append(sp)
    N = len(rend)
    zf = rng.uniform(0.3, 0.7) * depth
    # head template
    a_px_max = 2.5 * 1.45 / upp
    hx_t, hy_t, hw_t = _disc_points(min(0.25, 0.5 / a_px_max))
    P = len(hx_t)
    K = int(math.ceil(55.0 / (0.5 * upp)))
    sgrid = (np.arange(K, dtype=np.float32) + 0.5) / K   # fraction of flagellum
    if N:
        Ls = np.array([s["L"] for s in rend], np.float32)
        Ws = np.array([s["Wd"] for s in rend], np.float32)
        dz = np.array([abs(s["z"] - zf) for s in rend], np.float32)
        dscale = 1.0 + 0.4 * np.clip(dz / 8.0, 0, 1) ** 2
        contrast = 1.0 / (1.0 + (dz / 6.0) ** 2) * np.array([rng.uniform(0.75, 1.15) for _ in rend], np.float32)
        flag = np.array([s["mid"] + s["tail"] for s in rend], np.float32)
        midfrac = np.array([s["mid"] for s in rend], np.float32) / flag
        lam_w = np.array([s["lam"] for s in rend], np.float32)
        A0 = np.array([s["sim"]["A"] for s in rend], np.float32)
        A1 = np.array([s["A1"] for s in rend], np.float32)
        fr = np.array([s["sim"]["f"] for s in rend], np.float32)
        ph = np.array([s["sim"]["phi"] for s in rend], np.float32)
        curv = np.array([s["sim"]["curv"] for s in rend], np.float32)
        psi = np.array([s["psi"] for s in rend], np.float32)
        roll0 = np.array([s["roll0"] for s in rend], np.float32)
        moving = np.array([s["grade"] != "d" for s in rend])
        frozen_t = np.array([rng.uniform(0, 1) for _ in rend], np.float32)
        HX = np.stack([s["head_um"][:T, 0] for s in rend]) / upp   # (N,T) px
        HY = np.stack([s["head_um"][:T, 1] for s in rend]) / upp
        TH = np.stack([s["sim"]["theta"][:T] for s in rend])
        s_um = sgrid[None, :] * flag[:, None]                        # (N,K)
        env = A0[:, None] + (A1 - A0)[:, None] * sgrid[None, :]
        wline = np.where(sgrid[None, :] < midfrac[:, None], 0.55, 0.30 * (1 - 0.6 * sgrid[None, :]))
        ds_px = flag / K / upp
        tail_w = (wline * ds_px[:, None] * (0.6 / upp) * contrast[:, None]).astype(np.float32)
        head_area = math.pi * (Ls / 2) * (Ws / 2) / upp ** 2 * dscale ** 2
        head_w = (head_area / P)[:, None] * hw_t[None, :] * (contrast / dscale ** 2)[:, None]

    # static scene: debris, round cells (density on padded canvas)
    static = np.zeros((Hp, Wp), np.float32)
    yy, xx = np.mgrid[0:Hp, 0:Wp].astype(np.float32)
    n_cells = int(rng.choice([0, 1, 2, 3, 5], p=[0.3, 0.25, 0.2, 0.15, 0.1]))
    for _ in range(n_cells):
        cx, cy = rng.uniform(0, Wp), rng.uniform(0, Hp)
        R = rng.uniform(3.5, 7.5) / upp
        rr = int(R * 1.3) + 3
        x0, x1 = int(max(0, cx - rr)), int(min(Wp, cx + rr))
        y0, y1 = int(max(0, cy - rr)), int(min(Hp, cy + rr))
        if x1 <= x0 or y1 <= y0:
            continue
        X, Y = xx[y0:y1, x0:x1] - cx, yy[y0:y1, x0:x1] - cy
        r = np.hypot(X, Y)
        ang = np.arctan2(Y, X)
        Rr = R * (1 + 0.05 * np.sin(3 * ang + rng.uniform(0, 6)))
        body = np.clip(Rr - r + 0.5, 0, 1)
        gran = 1 + 0.4 * _lowfreq(rng, y1 - y0, x1 - x0, max(2.0, 1.2 / upp), 1)
        nuc = np.clip(R * rng.uniform(0.35, 0.6) - np.hypot(X - rng.normal(0, R * 0.1), Y) + 0.5, 0, 1)
        static[y0:y1, x0:x1] += body * rng.uniform(0.35, 0.7) * gran + nuc * rng.uniform(0.1, 0.4)
    n_deb = int(rng.integers(5, 80))
    moving_deb = []
    for _ in range(n_deb):
        cx, cy = rng.uniform(0, Wp), rng.uniform(0, Hp)
        kind = rng.random()
        if kind < 0.2:      # head-sized oval particle (confounder)
            a, b = rng.uniform(1.5, 2.6) / upp, rng.uniform(1.2, 1.7) / upp
        elif kind < 0.7:
            a = b = rng.uniform(0.4, 1.2) / upp
        else:
            a, b = rng.uniform(1.0, 5.0) / upp, rng.uniform(0.7, 3.0) / upp
        amp = rng.uniform(0.3, 1.2)
        if a * upp < 1.3 and rng.random() < 0.5:
            moving_deb.append((cx, cy, a, amp))
            continue
        rr = int(max(a, b) * 1.3) + 3
        x0, x1 = int(max(0, cx - rr)), int(min(Wp, cx + rr))
        y0, y1 = int(max(0, cy - rr)), int(min(Hp, cy + rr))
        if x1 <= x0 or y1 <= y0:
            continue
        t0 = rng.uniform(0, math.pi)
        X, Y = xx[y0:y1, x0:x1] - cx, yy[y0:y1, x0:x1] - cy
        u = X * math.cos(t0) + Y * math.sin(t0)
        v = -X * math.sin(t0) + Y * math.cos(t0)
        ang = np.arctan2(v, u)
        rn = np.hypot(u / a, v / b) * (1 + 0.15 * np.sin(3 * ang + rng.uniform(0, 6)) * (kind >= 0.2))
        static[y0:y1, x0:x1] += np.clip((1 - rn) * max(a, b) + 0.5, 0, 1) * amp
    # Brownian small debris
    if moving_deb:
        md = np.array(moving_deb, np.float32)
        dxy = np.cumsum(rng.normal(0, 0.12 / upp, (len(md), T, 2)), axis=1).astype(np.float32)
        mx_t, my_t, mw_t = _disc_points(0.3)
        mp = len(mx_t)

    # background (static) and optics
    bg_level = rng.uniform(30, 70) if neg_phase else rng.uniform(105, 170)
    gain = (rng.uniform(90, 170) if neg_phase else -rng.uniform(55, 95))
    yn = (np.arange(H, dtype=np.float32)[:, None] / H - 0.5) * 2
    xn = (np.arange(W, dtype=np.float32)[None, :] / W - 0.5) * 2
    vig = rng.uniform(0.05, 0.4)
    gr = rng.normal(0, 0.06, 2)
    bg = bg_level * (1 - vig * 0.5 * (xn ** 2 + yn ** 2)) * (1 + gr[0] * xn + gr[1] * yn)
    bg = bg + rng.uniform(1, 5) * _lowfreq(rng, H, W, rng.uniform(60, 200), 3)
    for _ in range(int(rng.integers(0, 4))):     # out-of-focus dust on the optics
        cx, cy, R = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(8, 40)
        r = np.hypot(xn * W / 2 + W / 2 - cx, yn * H / 2 + H / 2 - cy)
        bg = bg + rng.uniform(-6, 6) * np.exp(-((r - R) / (R * 0.25)) ** 2)
    bg = bg.astype(np.float32)
    noise_sd = rng.uniform(1.5, 6.0)
    fixed_pattern = (rng.normal(0, 1, (H, W)) * rng.uniform(0.0, 1.5)).astype(np.float32)
    bg += fixed_pattern
    static_F = np.fft.rfft2(static)

    frames = []
    for t in range(T):
        tt = t / fps
        D = np.zeros((Hp, Wp), np.float32)
        if N:
            th = TH[:, t]
            ct, st = np.cos(th)[:, None], np.sin(th)[:, None]
            tph = np.where(moving, tt, frozen_t)
            phase = 2 * math.pi * fr[:, None] * tph[:, None] + ph[:, None] - 2 * math.pi * s_um / lam_w[:, None]
            y = env * np.sin(phase) + 0.5 * curv[:, None] * s_um ** 2
            y0 = env[:, :1] * np.sin(phase[:, :1] + 2 * math.pi * s_um[:, :1] / lam_w[:, None])
            # head yaw follows the tail tangent at the neck
            dyds = -2 * math.pi / lam_w * A0 * np.cos(2 * math.pi * fr * tph + ph)
            hang = th + np.arctan(-dyds) * 0.8
            hc, hs = np.cos(hang)[:, None], np.sin(hang)[:, None]
            hxp = HX[:, t][:, None] + pad
            hyp = HY[:, t][:, None] + pad
            # neck (posterior end of head)
            nx = hxp - hc * (Ls[:, None] / 2) / upp
            ny = hyp - hs * (Ls[:, None] / 2) / upp
            along = -s_um / upp
            lat = (y - y0) / upp
            tx = nx + along * ct - lat * st
            tyy = ny + along * st + lat * ct
            roll = roll0[:, None] * 0 + np.where(moving, 0.62 + 0.38 * np.abs(np.cos(math.pi * fr * tt + psi)), roll0)[:, None]
            au = hx_t[None, :] * (Ls[:, None] / 2 / upp) * dscale[:, None]
            av = hy_t[None, :] * (Ws[:, None] / 2 / upp) * dscale[:, None] * roll
            px = hxp + au * hc - av * hs
            py = hyp + au * hs + av * hc
            hw = head_w * (1.0 / roll) ** 0.3
            D += _splat(Hp, Wp, np.concatenate([px.ravel(), tx.ravel()]).astype(np.float32),
                        np.concatenate([py.ravel(), tyy.ravel()]).astype(np.float32),
                        np.concatenate([hw.ravel(), tail_w.ravel()]).astype(np.float32))
        if moving_deb:
            ax = md[:, 0:1] + dxy[:, t, 0:1] + mx_t[None, :] * md[:, 2:3]
            ay = md[:, 1:2] + dxy[:, t, 1:2] + my_t[None, :] * md[:, 2:3]
            aw = (math.pi * md[:, 2:3] ** 2 / mp) * mw_t[None, :] * md[:, 3:4]
            D += _splat(Hp, Wp, ax.ravel(), ay.ravel(), aw.ravel().astype(np.float32))
        sn = sig_n0 * (1 + drift_amp * math.sin(2 * math.pi * tt / drift_T + drift_ph))
        sw = sig_w * sn / sig_n0
        R = np.exp(-f2 * sn * sn) - halo_k * np.exp(-f2 * sw * sw)
        F = np.fft.rfft2(D) + static_F
        resp = np.fft.irfft2(F * R, s=(Hp, Wp))[pad:pad + H, pad:pad + W]
        g_t = gain * (sig_n0 / sn) ** 0.5 * (1 + rng.normal(0, 0.004))
        fr_img = bg * (1 + rng.normal(0, 0.004)) + g_t * resp
        fr_img += rng.standard_normal((H, W), dtype=np.float32) * noise_sd
        frames.append(np.clip(fr_img + 0.5, 0, 255).astype(np.uint8))

    # ---------------- meta
    counts = {"a": 0, "b": 0, "c": 0, "d": 0}
    n0 = 0
    out_sperm = []
    for sp in listed:
        m = sp["in"]
        px = sp["px"]
        if m[0]:
            n0 += 1
            counts[sp["grade"]] += 1
        positions = [[float(px[t, 0]), float(px[t, 1])] if m[t] else None for t in range(T)]
        # longest contiguous in-field run
        best, cur, bs, cs = 0, 0, 0, 0
        for t in range(T):
            if m[t]:
                if cur == 0:
                    cs = t
                cur += 1
                if cur > best:
                    best, bs = cur, cs
            else:
                cur = 0
        run = px[bs:bs + best]
        if sp["grade"] == "d":
            vcl = vsl = vap = 0.0
        else:
            vcl, vsl, vap = _kinematics(run, fps, upp)
        out_sperm.append({
            "grade": sp["grade"], "positions_px": positions,
            "vcl_um_s": vcl, "vsl_um_s": vsl, "vap_um_s": vap,
            "track_frames": [int(bs), int(bs + best - 1)],
            "alh_um": float(sp["sim"]["A"]), "bcf_hz": float(2 * sp["sim"]["f"]),
            "motion": sp["sim"]["mode"], "z_um": float(sp["z"]),
        })
    field_um3 = W * upp * H * upp * depth
    conc = n0 / field_um3 * dilution * 1e12 / 1e6
    if n0:
        pr = 100.0 * (counts["a"] + counts["b"]) / n0
        npc = 100.0 * counts["c"] / n0
        im = 100.0 - pr - npc
    else:
        pr = npc = im = 0.0
    meta = {
        "um_per_px": upp, "depth_um": depth, "dilution": dilution, "fps": fps,
        "concentration_e6_per_ml": conc,
        "pr_pct": pr, "np_pct": npc, "im_pct": im,
        "n_frame0": n0,
        "grade_counts_frame0": counts,
        "phase": "negative" if neg_phase else "positive",
        "sperm": out_sperm,
    }
    return frames, meta
