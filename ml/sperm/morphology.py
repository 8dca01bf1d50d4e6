"""Sperm morphology on a stained smear (WHO 6th ed.: normal forms, lower reference limit 4 %).

Pipeline: classical head finding (colour distance from the background, Otsu, an opening sized
in micrometres that removes tails and midpieces, connected components), orientation from image
moments, an upright crop of fixed physical size, and a small CNN that calls each head normal or
abnormal (and names the most likely defect). Scale comes from ``um_per_px``; without it the
scale is estimated from head thickness and a warning says so.

The synthetic smears (``synth``) imitate eosin-nigrosin, Papanicolaou and Diff-Quik-like stains
with randomised colours, and draw normal heads and tapered, pyriform, amorphous, round, small,
large and vacuolated heads and neck/midpiece defects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from ml import nn as mnn
from ml.base import Detection, ModelInfo, QualityWarning
from ml.renderers import cache as lab_cache
from ml.renderers import catalog

NAME = "sperm_morphology"
# 1.1: a stage drawing half of each pool from lab c, with photometric jitter and a head/not-head output
VERSION = "1.1.0"
GENERATOR = "ml.sperm.morphology"
GENERATOR_VERSION = "1.0"
DEFECTS: tuple[str, ...] = (
    "normal",
    "tapered",
    "pyriform",
    "amorphous",
    "round",
    "small",
    "large",
    "vacuolated",
    "neck_midpiece",
)
CROP_UM = 10.0  # crop side in micrometres
CROP_PX = 48
HEAD_HALF_WIDTH_UM = 1.4  # typical half-width of a head, used to estimate an unknown scale
TRAIN_STREAM, EVAL_STREAM = 100, 900
# The labs' smears (ml.renderers): their defect names in ours; a defect we have no class for
# (acrosome, tail, cytoplasm) still makes the head abnormal but trains no defect class.
LAB_DEFECTS = {
    "none": "normal",
    "tapered": "tapered",
    "pyriform": "pyriform",
    "amorphous": "amorphous",
    "round": "round",
    "small": "small",
    "large": "large",
    "vacuolated": "vacuolated",
    "bent_neck": "neck_midpiece",
    "thick_midpiece": "neck_midpiece",
}
LAB_SMEARS = 600  # smears rendered per lab for training
LAB_EVAL_SMEARS = 150  # held-out smears per training lab (stream 900) scored at the end of a stage
IGNORE = -1


# --------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------


def _stain(rng: np.random.Generator) -> dict[str, np.ndarray]:
    style = rng.choice(["pap", "eosin_nigrosin", "diffquik"])
    j = lambda c, s=0.06: np.clip(np.array(c, np.float32) + rng.normal(0, s, 3), 0, 1).astype(np.float32)  # noqa: E731
    if style == "eosin_nigrosin":
        bg = j([0.25, 0.2, 0.3], 0.08)
        head = j([0.95, 0.9, 0.92]) if rng.random() < 0.5 else j([0.85, 0.45, 0.6])
        return {
            "style": style,
            "bg": bg,
            "head": head,
            "acro": j(head * 0.9 + 0.1),
            "mid": j(head * 0.95),
            "tail": j(head * 0.8 + bg * 0.2),
        }
    if style == "pap":
        bg = j([0.93, 0.9, 0.88], 0.04)
        return {
            "style": style,
            "bg": bg,
            "head": j([0.3, 0.3, 0.6]),
            "acro": j([0.65, 0.68, 0.85]),
            "mid": j([0.8, 0.45, 0.5]),
            "tail": j([0.75, 0.65, 0.75]),
        }
    bg = j([0.9, 0.88, 0.92], 0.05)
    return {
        "style": style,
        "bg": bg,
        "head": j([0.45, 0.25, 0.55]),
        "acro": j([0.7, 0.6, 0.8]),
        "mid": j([0.55, 0.35, 0.6]),
        "tail": j([0.7, 0.6, 0.75]),
    }


def _head_mask(
    rng: np.random.Generator, defect: str, uu: np.ndarray, vv: np.ndarray, L: float, W: float, edge: float
) -> np.ndarray:
    """Head occupancy in head coordinates: u along the axis (front at +L/2), v across."""
    un = uu / (L / 2)
    if defect == "pyriform":  # pear: wide front, narrow base
        k = rng.uniform(0.45, 0.7)
        half_w = (W / 2) * (1 + k * un) / (1 + k * 0.3)
        half_w = np.maximum(half_w, W * 0.12)
        d = np.sqrt(un**2 + (vv / half_w) ** 2)
    elif defect == "amorphous":
        ang = np.arctan2(vv / (W / 2), un)
        rr = np.ones_like(ang)
        for k in range(2, 6):
            rr = rr + rng.uniform(0.12, 0.28) / k * 2 * np.cos(k * ang + rng.uniform(0, 2 * math.pi))
        d = np.sqrt(un**2 + (vv / (W / 2)) ** 2) / np.maximum(rr, 0.4)
    else:
        d = np.sqrt(un**2 + (vv / (W / 2)) ** 2)
    return np.clip(0.5 + (1 - d) * (W / 2) / edge, 0, 1).astype(np.float32)


def _draw_sperm(
    rng: Any, img: Any, yy: Any, xx: Any, cx: Any, cy: Any, theta: Any, upx: Any, defect: Any, st: Any, lines: Any
) -> Any:
    """Draw one spermatozoon with its head centred at (cx, cy) and axis angle theta (front direction)."""
    L, W = rng.uniform(4.0, 5.0), rng.uniform(2.6, 3.3)
    if W > L / 1.3:
        W = L / rng.uniform(1.3, 1.75)
    if defect == "tapered":
        L, W = rng.uniform(4.4, 5.6), 0.0
        W = L / rng.uniform(2.1, 2.8)
    elif defect == "round":
        L = rng.uniform(3.2, 4.4)
        W = L / rng.uniform(1.0, 1.08)
    elif defect == "small":
        s = rng.uniform(0.58, 0.72)
        L, W = L * s, W * s
    elif defect == "large":
        s = rng.uniform(1.3, 1.5)
        L, W = L * s, W * s
    Lp, Wp = L / upx, W / upx
    edge = max(0.6, rng.uniform(0.4, 0.9))
    sl = mnn.window(img.shape, cx, cy, Lp * 0.75 + 2)
    c, s_ = math.cos(theta), math.sin(theta)
    dx, dy = xx[sl] - cx, yy[sl] - cy
    uu, vv = dx * c + dy * s_, -dx * s_ + dy * c
    m = _head_mask(rng, defect, uu, vv, Lp, Wp, edge)
    # acrosome: the front part, lighter (absent in round heads)
    acro_frac = rng.uniform(0.4, 0.7) if defect != "round" else 0.0
    front = np.clip(0.5 + (uu - (Lp / 2 - acro_frac * Lp)) / 1.2, 0, 1) if acro_frac else np.zeros_like(uu)
    colour = st["head"][None, None] * (1 - front[..., None]) + st["acro"][None, None] * front[..., None]
    if defect == "vacuolated":
        for _ in range(int(rng.integers(2, 5))):
            rv = rng.uniform(0.1, 0.2) * Wp
            pu, pv = rng.uniform(-0.3, 0.3) * Lp, rng.uniform(-0.2, 0.2) * Wp
            vac = np.clip(0.5 + (rv - np.hypot(uu - pu, vv - pv)) / 0.7, 0, 1)
            colour = colour * (1 - vac[..., None]) + st["bg"][None, None] * vac[..., None]
    a = m[..., None] * rng.uniform(0.8, 1.0)
    img[sl] = img[sl] * (1 - a) + colour * a
    # midpiece and tail start at the back of the head
    bx, by = cx - (Lp / 2) * c, cy - (Lp / 2) * s_
    mid_dir = theta + math.pi
    mid_w = rng.uniform(0.55, 0.85) / upx
    if defect == "neck_midpiece":
        kind = rng.choice(["bent", "thick", "droplet"])
        if kind == "bent":
            mid_dir += rng.choice([-1, 1]) * rng.uniform(0.6, 1.4)
        elif kind == "thick":
            mid_w = rng.uniform(1.4, 2.0) / upx
    else:
        kind = None
        mid_dir += rng.normal(0, 0.08)
    mid_len = rng.uniform(3.5, 5.0) / upx
    ex, ey = bx + mid_len * math.cos(mid_dir), by + mid_len * math.sin(mid_dir)
    lines.append(("mid", [(bx, by), (ex, ey)], mid_w, st["mid"]))
    if kind == "droplet":
        rd = rng.uniform(0.4, 0.55) * W / upx
        t = rng.uniform(0.2, 0.6)
        lines.append(("dot", [(bx + t * (ex - bx), by + t * (ey - by))], rd, st["mid"]))
    pts = [(ex, ey)]
    ang = mid_dir
    for _ in range(int(rng.integers(8, 16))):
        ang += rng.normal(0, 0.25)
        step = rng.uniform(2.5, 4.0) / upx
        pts.append((pts[-1][0] + step * math.cos(ang), pts[-1][1] + step * math.sin(ang)))
    lines.append(("tail", pts, rng.uniform(0.35, 0.6) / upx, st["tail"]))
    return {"head_length_um": L, "head_width_um": W, "neck_kind": kind}


def render_smear(
    rng: np.random.Generator, n: int | None = None, defects: list[str] | None = None, um_per_px: float | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """A stained smear field with ``n`` spermatozoa; truth lists every head (centre, class)."""
    h = int(rng.integers(160, 240))
    w = int(rng.integers(160, 260))
    upx = float(um_per_px or rng.uniform(0.11, 0.22))
    st = _stain(rng)
    yy, xx = mnn.grid(h, w)
    img = np.ones((h, w, 3), np.float32) * st["bg"][None, None]
    img += (rng.uniform(0.01, 0.06) * mnn.smooth_noise(rng, h, w, rng.uniform(1, 6)))[..., None] * rng.uniform(
        0.5, 1, 3
    )
    n = int(n if n is not None else rng.integers(2, 7))
    heads: list[dict[str, Any]] = []
    lines: list[Any] = []
    min_d = 6.5 / upx
    for i in range(n):
        for _ in range(30):
            cx, cy = rng.uniform(0.1 * w, 0.9 * w), rng.uniform(0.1 * h, 0.9 * h)
            if all(math.hypot(cx - o["center"][0], cy - o["center"][1]) > min_d for o in heads):
                break
        else:
            continue
        defect = defects[i] if defects else (DEFECTS[0] if rng.random() < 0.5 else str(rng.choice(DEFECTS[1:])))
        info = _draw_sperm(rng, img, yy, xx, cx, cy, rng.uniform(0, 2 * math.pi), upx, defect, st, lines)
        heads.append({"center": [cx, cy], "defect": defect, "normal": defect == "normal", **info})
    # midpieces and tails, drawn under nothing but over the background (Pillow lines are fast)
    for kind, pts, width, colour in lines:
        layer = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(layer)
        if kind == "dot":
            (x, y), r = pts[0], width
            d.ellipse([x - r, y - r, x + r, y + r], fill=255)
        else:
            d.line([(float(x), float(y)) for x, y in pts], fill=255, width=max(1, round(width)), joint="curve")
        a = mnn.gauss_blur(np.asarray(layer, np.float32) / 255.0, 0.6)[..., None] * rng.uniform(0.6, 0.95)
        img = img * (1 - a) + colour[None, None] * a
    # debris and stain precipitate
    for _ in range(int(rng.integers(0, 8))):
        r = rng.uniform(0.3, 1.8) / upx
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        sl = mnn.window(img.shape, x, y, r)
        m = mnn.soft_ellipse(yy[sl], xx[sl], x, y, r, r * rng.uniform(0.5, 1), rng.uniform(0, 3))[..., None]
        colour = st["head"] * rng.uniform(0.6, 1.2)
        img[sl] = img[sl] * (1 - 0.7 * m) + np.clip(colour, 0, 1)[None, None] * 0.7 * m
    img = mnn.gauss_blur(img, float(rng.uniform(0.0, 1.3)))
    img = img * rng.uniform(0.85, 1.1) + rng.uniform(-0.05, 0.05)
    img = img + rng.normal(size=img.shape).astype(np.float32) * rng.uniform(0.005, 0.04)
    img = np.clip(img * rng.uniform(0.9, 1.1, 3).astype(np.float32), 0, 1)
    return (img * 255 + 0.5).astype(np.uint8), {"um_per_px": upx, "stain": st["style"], "heads": heads}


def sample(seed: int, i: int, stream: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    return render_smear(np.random.default_rng([seed, stream, i, 7]))


def synth(n: int, out: Path, seed: int = 0) -> None:
    """Write n smear PNGs with ``labels.json`` (heads: centre, normal, defect; um_per_px)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(n):
        img, truth = sample(seed, i)
        name = f"smear_{seed}_{i:05d}.png"
        mnn.save_png(img, out / name)
        items.append({"image": name, **truth})
    (out / "labels.json").write_text(
        json.dumps({"generator": GENERATOR, "version": GENERATOR_VERSION, "seed": seed, "items": items}, indent=1)
    )


# --------------------------------------------------------------------------------------------
# Classical head finding
# --------------------------------------------------------------------------------------------


def _stain_distance(rgb: np.ndarray) -> np.ndarray:
    border = np.concatenate(
        [rgb[:4].reshape(-1, 3), rgb[-4:].reshape(-1, 3), rgb[:, :4].reshape(-1, 3), rgb[:, -4:].reshape(-1, 3)]
    )
    bg = np.median(np.concatenate([border, rgb.reshape(-1, 3)[:: max(1, rgb.shape[0] * rgb.shape[1] // 4000)]]), axis=0)
    d = np.sqrt(((rgb - bg[None, None]) ** 2).sum(axis=2))
    return mnn.gauss_blur(d.astype(np.float32), 0.8)


def estimate_scale(mask: np.ndarray) -> float | None:
    """um/px from the thickest structures (heads): erosion depth ~ head half-width."""
    depth = np.zeros(mask.shape, np.int32)
    cur = mask.copy()
    for k in range(1, 40):
        cur = mnn.erode(cur, 1)
        if not cur.any():
            break
        depth[cur] = k
    lab, n = mnn.label_components(mask)
    if n == 0:
        return None
    maxd = np.zeros(n + 1)
    np.maximum.at(maxd, lab.ravel(), depth.ravel())
    d = maxd[1:]
    d = d[d >= max(2.0, 0.5 * d.max())]
    if d.size == 0:
        return None
    return HEAD_HALF_WIDTH_UM / (float(np.median(d)) + 0.5)


def find_heads(frame: np.ndarray, um_per_px: float | None) -> tuple[list[dict[str, Any]], float, list[QualityWarning]]:
    """Head candidates: centre, orientation, size (px), and the um/px used."""
    rgb = mnn.to_rgb(frame)
    d = _stain_distance(rgb)
    thr = max(mnn.otsu(d), 0.06)
    # hysteresis: the pale acrosome is often fainter than the threshold but joined to the dark base
    low = d > 0.4 * thr
    mask = d > thr
    for _ in range(12):
        grown = mnn.dilate(mask, 1) & low
        if np.array_equal(grown, mask):
            break
        mask = grown
    warnings: list[QualityWarning] = []
    upx = um_per_px
    if upx is None:
        upx = estimate_scale(mask) or 0.15
        warnings.append(
            QualityWarning(
                "SCALE_ESTIMATED",
                f"um_per_px not given; estimated {upx:.3f} from head "
                "thickness. Head size classes (small/large) are unreliable without calibration.",
            )
        )
    r_open = max(1, round(0.75 / upx))  # removes midpieces/tails narrower than ~1.5 um
    core = mnn.dilate(mnn.erode(mask, r_open), r_open) & mask
    lab, n = mnn.label_components(core)
    heads = []
    min_area = 0.35 * math.pi * (1.0 / upx) ** 2  # well below the smallest head (~1.6 x 1.0 um semi-axes)
    for k in range(1, n + 1):
        ys, xs = np.nonzero(lab == k)
        if ys.size < min_area:
            continue
        cy, cx = float(ys.mean()), float(xs.mean())
        cov = np.cov(np.stack([xs - cx, ys - cy])) if ys.size > 2 else np.eye(2)
        evals, evecs = np.linalg.eigh(cov)
        major = evecs[:, 1]
        angle = math.atan2(major[1], major[0])
        length = 4 * math.sqrt(max(evals[1], 1e-6))
        width = 4 * math.sqrt(max(evals[0], 1e-6))
        if length * upx > 12.0:  # clumps and overlaps: not a single head
            continue
        heads.append(
            {"center": (cx, cy), "angle": angle, "length_px": length, "width_px": width, "area_px": int(ys.size)}
        )
    return heads, float(upx), warnings


def head_crop(
    frame: np.ndarray, head: Mapping[str, Any], upx: float, rng: np.random.Generator | None = None
) -> np.ndarray:
    """2 x CROP_PX x CROP_PX: standardised grey and stain distance, head axis horizontal."""
    rgb = mnn.to_rgb(frame)
    cx, cy = head["center"]
    half = CROP_UM / 2 / upx
    angle = head["angle"]
    if rng is not None:
        half *= rng.uniform(0.93, 1.07)  # calibration error
        cx += rng.normal(0, 0.3) / upx
        cy += rng.normal(0, 0.3) / upx
        angle += rng.normal(0, 0.1)
    crop = mnn.affine_crop(rgb, cx, cy, half, CROP_PX, angle)
    grey = crop @ np.array([0.299, 0.587, 0.114], np.float32)
    d = _stain_distance(crop)
    return np.stack([mnn.standardize(grey), d / (np.percentile(d, 99) + 1e-3) - 0.5]).astype(np.float32)


def _match(heads: list[dict[str, Any]], truth: list[dict[str, Any]], upx: float) -> list[tuple[int, int]]:
    pairs, used = [], set()
    for i, h in enumerate(heads):
        best, bd = None, 2.0 / upx
        for j, t in enumerate(truth):
            dd = math.dist(h["center"], t["center"])
            if dd < bd and j not in used:
                best, bd = j, dd
        if best is not None:
            used.add(best)
            pairs.append((i, best))
    return pairs


def _defect_index(t: Mapping[str, Any]) -> int:
    d = t.get("defect", "normal" if t["normal"] else None)
    name = d if d in DEFECTS else LAB_DEFECTS.get(str(d))
    return DEFECTS.index(name) if name is not None else IGNORE


def make_pool(
    n_images: int,
    seed: int,
    stream: int,
    jitter: bool,
    labs: tuple[str, ...] = (),
    log: Any = None,
    lab_pool: int = LAB_SMEARS,
    lab_share: float = catalog.LAB_SHARE,
) -> dict[str, torch.Tensor]:
    """Head crops cut by the classical finder from ``n_images`` smears, with their calls; with
    ``labs``, a share ``lab_share`` of the smears from those labs' generators (ml.renderers) instead, and photometric
    jitter on every smear. A candidate that is no drawn head (debris, a leukocyte, a clump) is kept
    as a ``head`` = 0 example; an overlapping drawn head (WHO: not assessed) is left out."""
    n_lab = round(n_images * lab_share) if labs else 0
    smears: list[tuple[np.ndarray, dict[str, Any], np.random.Generator | None]] = []
    for i in range(n_images - n_lab):
        img, truth = sample(seed, i, stream)
        rng = np.random.default_rng([seed, stream, i, 1]) if jitter else None
        smears.append((mnn.photometric_jitter(rng, img) if rng is not None and labs else img, truth, rng))
    for lab, k, img, truth in lab_cache.lab_draw(labs, "smear", seed, stream, n_lab, log, lab_pool):
        rng = np.random.default_rng([seed, stream, k, 2, ord(lab)])
        smears.append((mnn.photometric_jitter(rng, img), truth, rng))
    return _crops([(img, truth) for img, truth, _r in smears], [r for _i, _t, r in smears], with_others=bool(labs))


def _crops(
    smears: list[tuple[np.ndarray, dict[str, Any]]],
    rngs: list[np.random.Generator | None] | None,
    with_others: bool = True,
) -> dict[str, torch.Tensor]:
    """The finder's candidates in ``smears`` as crops with their calls (``head`` 0: no drawn head)."""
    xs, ys, ds, hs = [], [], [], []
    for (img, truth), rng in zip(smears, rngs or [None] * len(smears), strict=True):
        heads, upx, _ = find_heads(img, truth["um_per_px"])
        pairs = dict(_match(heads, truth["heads"], upx))
        for hi, head in enumerate(heads):
            ti = pairs.get(hi)
            if ti is None and not with_others:
                continue  # ml's own smears before lab stages: only drawn heads were classified
            t = truth["heads"][ti] if ti is not None else None
            if t is not None and t.get("overlapping"):
                continue
            xs.append(head_crop(img, head, upx, rng))
            hs.append(int(t is not None))
            ys.append(int(not t["normal"]) if t is not None else IGNORE)
            ds.append(_defect_index(t) if t is not None else IGNORE)
    return {
        "x": torch.from_numpy(np.stack(xs)),
        "y": torch.tensor(ys),
        "defect": torch.tensor(ds),
        "head": torch.tensor(hs),
    }


# --------------------------------------------------------------------------------------------
# Training, evaluation, analysis
# --------------------------------------------------------------------------------------------


def _loss(out: dict[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> torch.Tensor:
    loss = mnn.masked_ce(out["abnormal"], b["y"], IGNORE)
    known = b["defect"] != IGNORE
    if known.any():
        loss = loss + 0.5 * F.cross_entropy(out["defect"][known], b["defect"][known])
    if "head" in out:  # lab stages: is the candidate a sperm head at all? (IGNORE: not taught here)
        loss = loss + mnn.masked_ce(out["head"], b["head"], IGNORE)
    return loss


@torch.no_grad()
def _metrics(model: torch.nn.Module, data: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Normal/abnormal accuracy on the candidates that are drawn heads; with a ``head`` output, how
    well it tells heads from the other candidates."""
    out = mnn.predict(model, data["x"])
    is_head = data["head"] == 1
    pred = out["abnormal"].argmax(1)[is_head]
    y = data["y"][is_head]
    m: dict[str, Any] = {"n_heads": int(y.shape[0]), "accuracy": float((pred == y).float().mean())}
    m["sensitivity_abnormal"] = float((pred[y == 1] == 1).float().mean()) if bool((y == 1).any()) else None
    m["specificity_normal"] = float((pred[y == 0] == 0).float().mean()) if bool((y == 0).any()) else None
    known = data["defect"][is_head] != IGNORE
    m["defect_accuracy"] = float(
        (out["defect"].argmax(1)[is_head][known] == data["defect"][is_head][known]).float().mean()
    )
    if "head" in out:
        ph = out["head"].argmax(1) == 1
        m["candidates"] = int(data["head"].shape[0])
        m["head_call_accuracy"] = float((ph == is_head).float().mean())
    return m


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    smoke: bool = False,
    log: Any = print,
    resume: bool = False,
    steps: int | None = None,
    pools: int = 2,
    labs: tuple[str, ...] = (),
    lab_share: float = catalog.LAB_SHARE,
) -> dict[str, Any]:
    """Train the head classifier on crops cut by the classical finder from generated smears.

    ``resume=True`` continues from the weights in ``out_dir`` on fresh smears (new seed streams, a
    lower learning rate); ``labs`` (e.g. ``("c",)``): half of every pool's smears come
    from those laboratories' generators (ml.renderers), every smear gets photometric jitter, and the
    network also learns to tell a sperm head from the finder's other candidates (a ``head`` output).
    """
    mnn.set_determinism(seed)
    n_img, default_steps, n_eval = (6, 3, 4) if smoke else (700, 1500, 200)
    steps = steps or default_steps
    heads: dict[str, int] = {"abnormal": 2, "defect": len(DEFECTS), **({"head": 2} if labs else {})}
    history: list[dict[str, Any]] = []
    if resume:
        model, prev = mnn.load_weights(NAME, out_dir)
        history = mnn.resumed_history(prev, TRAIN_STREAM, CROP_PX)
        model = mnn.with_heads(model, {**heads, **({"head": 2} if "head" in model.config["heads"] else {})})
        model.train()
    else:
        model = mnn.SmallNet(2, heads, widths=(16, 32, 64, 96))
    stream0, refresh_every = mnn.stage_streams(TRAIN_STREAM, len(history), steps, pools)
    lr = 1e-3 if history else 3e-3
    lab_pool = 4 if smoke else LAB_SMEARS
    refreshed = [0]

    def refresh(k: int) -> dict[str, torch.Tensor]:
        refreshed[0] += 1
        return make_pool(
            n_img, seed, stream0 + k, jitter=True, labs=labs, log=log, lab_pool=lab_pool, lab_share=lab_share
        )

    data = make_pool(n_img, seed, stream0, jitter=True, labs=labs, log=log, lab_pool=lab_pool, lab_share=lab_share)
    tlog = mnn.train_loop(
        model,
        data,
        _loss,
        steps=steps,
        seed=seed + len(history),
        lr=lr,
        refresh=None if smoke else refresh,
        refresh_every=0 if smoke else refresh_every,
        log=log,
    )
    history.append(
        {
            "steps": steps,
            "lr": lr,
            "seed": seed,
            "seed_streams": [stream0, stream0 + refreshed[0]],
            "images": n_img * (1 + refreshed[0]),
            "generator_version": GENERATOR_VERSION,
            "input_size": CROP_PX,
            **lab_cache.stage_record(labs, "sperm", lab_share, lab_pool),
        }
    )
    metrics = _metrics(model, make_pool(n_eval, seed + 1, EVAL_STREAM, jitter=False))
    for lab in labs:
        held = lab_cache.smear_pool(lab, seed, EVAL_STREAM, 8 if smoke else LAB_EVAL_SMEARS, log)
        lab_m = _metrics(model, _crops(held, None))
        metrics.update({f"lab_{lab}_{k}": v for k, v in lab_m.items() if k in ("accuracy", "head_call_accuracy")})
    metrics["train_final_loss"] = tlog.final_loss
    meta = mnn.write_model(
        model,
        out_dir,
        name=NAME,
        version=VERSION,
        kind="sperm",
        generator=GENERATOR,
        generator_version=GENERATOR_VERSION,
        seed=seed,
        steps=sum(h["steps"] for h in history),
        train_images=sum(h["images"] for h in history),
        metrics=metrics,
        labels={"abnormal": ["normal", "abnormal"], "defect": list(DEFECTS)},
        eval_command=f"python -m ml evaluate sperm --param preparation=smear (stream {EVAL_STREAM}, seed {seed + 1})",
        intended_use="Decision support for the normal-forms percentage of a stained semen smear (WHO 6th edition, "
        "lower reference limit 4 %): each head found is shown with its call so the andrologist can review it.",
        limitations=[
            "Trained on generated smears only; real staining, debris and overlapping cells differ.",
            "Needs um_per_px for the size classes (small/large heads); without it the scale is estimated.",
            "Overlapping heads and clumps are skipped, not classified.",
            "Accuracy is scored on heads the classical finder matched to a drawn head (head_recall says how many "
            "were found); unmatched candidates such as debris are not scored.",
            "Acrosome size, tail defects and excess residual cytoplasm are modelled only coarsely.",
            "WHO asks for >= 200 spermatozoa assessed; the result reports how many heads were classified.",
        ],
        extra={"crop_um": CROP_UM, "crop_px": CROP_PX, "history": history},
    )
    return {"model": NAME, "sha256": meta["sha256"], "final_loss": tlog.final_loss, "steps": steps, **metrics}


def evaluate(n: int = 150, seed: int = 12345, weights_dir: Path | None = None) -> dict[str, Any]:
    """Accuracy (normal vs abnormal) on heads found in ``n`` held-out generated smears, plus detection."""
    model, _ = mnn.load_weights(NAME, weights_dir)
    found = total = 0
    for i in range(n):
        img, truth = sample(seed, i, EVAL_STREAM)
        heads, upx, _ = find_heads(img, truth["um_per_px"])
        found += len(_match(heads, truth["heads"], upx))
        total += len(truth["heads"])
    m = _metrics(model, make_pool(n, seed, EVAL_STREAM, jitter=False))
    m["n_images"] = n
    m["head_recall"] = found / max(total, 1)
    return m


class SmearMorphology:
    """Loaded head classifier; A's SpermAnalyzer calls ``analyze_smear`` for preparation=smear."""

    def __init__(self, weights_dir: Path | None = None) -> None:
        self.net, meta = mnn.load_weights(NAME, weights_dir)
        self.model = ModelInfo(name=meta["name"], version=meta["version"], sha256=meta["sha256"])

    def analyze_smear(
        self, frame: np.ndarray, params: Mapping[str, Any]
    ) -> tuple[list[Detection], float, int, list[QualityWarning]]:
        """Detections (one box per classified head), normal forms %, number of heads, warnings."""
        um_per_px = mnn.param_float(params or {}, "um_per_px", hi=10.0)
        heads, upx, warnings = find_heads(frame, um_per_px)
        if not heads:
            warnings.append(QualityWarning("NO_HEADS_FOUND", "No sperm heads were found in the smear."))
            return [], float("nan"), 0, warnings
        x = torch.from_numpy(np.stack([head_crop(frame, h, upx) for h in heads]))
        out = mnn.predict(self.net, x)
        if "head" in out:  # the finder's candidates the network does not take for a sperm head
            keep = (torch.softmax(out["head"], 1)[:, 1] >= 0.5).numpy()
            heads = [h for h, k in zip(heads, keep, strict=True) if k]
            out = {k: v[torch.from_numpy(keep)] for k, v in out.items()}
            if not heads:
                warnings.append(QualityWarning("NO_HEADS_FOUND", "No sperm heads were found in the smear."))
                return [], float("nan"), 0, warnings
        p_abn = torch.softmax(out["abnormal"], 1)[:, 1].numpy()
        p_def = torch.softmax(out["defect"], 1).numpy()
        dets = []
        for h, pa, pd in zip(heads, p_abn, p_def, strict=True):
            normal = bool(pa < 0.5)
            cx, cy = h["center"]
            r = h["length_px"] / 2 + 2
            defect = DEFECTS[int(pd[1:].argmax()) + 1] if not normal else "normal"
            dets.append(
                Detection(
                    type="box",
                    label="normal" if normal else "abnormal",
                    confidence=round(float(1 - pa if normal else pa), 4),
                    box=(cx - r, cy - r, cx + r, cy + r),
                    attributes={
                        "defect": defect,
                        "head_length_um": round(h["length_px"] * upx, 2),
                        "head_width_um": round(h["width_px"] * upx, 2),
                    },
                )
            )
        n_normal = sum(d.label == "normal" for d in dets)
        if len(dets) < 200:
            warnings.append(
                QualityWarning(
                    "FEW_HEADS", f"{len(dets)} heads classified; WHO recommends at least 200 (combine several fields)."
                )
            )
        return dets, 100.0 * n_normal / len(dets), len(dets), warnings


def load(weights_dir: Path | None = None) -> SmearMorphology:
    return SmearMorphology(weights_dir)


def models(weights_dir: Path | None = None) -> list[dict[str, Any]]:
    return mnn.describe_models([NAME], weights_dir)
