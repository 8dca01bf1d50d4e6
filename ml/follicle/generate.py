"""Synthetic 2D transvaginal-ultrasound-like ovary images with exact follicle ground truth.

Each image draws its own pixel spacing, size, sector (fan) or linear field, ovary size and stroma
echogenicity, follicle count and sizes (baseline cohort for AFC or a stimulated cohort with packed,
nearly touching follicles), speckle grain and anisotropy, depth attenuation and time-gain
compensation, posterior acoustic enhancement, log compression, clutter (bright specks, acoustic
shadows, an elongated vessel outside the ovary). Ground truth per follicle: centre (px), the two
orthogonal diameters (mm, the ellipse axes), mean diameter, angle.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml._ops import _gaussian_t


def _smooth_noise(rng: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    t = torch.from_numpy(rng.normal(0, 1, (1, 1, h, w)).astype(np.float32))
    out = _gaussian_t(t, sigma)[0, 0].numpy()
    return out / (out.std() + 1e-9)


def _place_follicles(
    rng: np.random.Generator, ovary: tuple[float, float, float, float, float], mm: float, stimulated: bool
) -> list[dict[str, float]]:
    """Non-overlapping ellipses (small gaps, occasionally touching) inside the ovary ellipse (px units)."""
    ocx, ocy, oa, ob, oang = ovary
    if stimulated:
        n_target = int(rng.integers(3, 18))
        sizes = rng.uniform(8, 25, n_target)
        n_small = int(rng.integers(0, 8))
        sizes = np.concatenate([np.sort(sizes)[::-1], rng.uniform(2, 8, n_small)])
    else:
        n_target = int(rng.integers(2, 26))
        sizes = rng.uniform(2, 10, n_target)
        if rng.random() < 0.3:
            sizes = np.concatenate([rng.uniform(10, 16, int(rng.integers(1, 3))), sizes])
    out: list[dict[str, float]] = []
    for d_mean in sizes:
        aspect = rng.uniform(1.0, 1.35)
        minor = 2 * d_mean / (1 + aspect)
        major = minor * aspect
        a, b = major / 2 / mm, minor / 2 / mm
        ang = rng.uniform(0, math.pi)
        for _ in range(60):
            rr = math.sqrt(rng.random()) * 0.92
            th = rng.uniform(0, 2 * math.pi)
            ux, uy = rr * math.cos(th) * oa, rr * math.sin(th) * ob
            cx = ocx + ux * math.cos(oang) - uy * math.sin(oang)
            cy = ocy + ux * math.sin(oang) + uy * math.cos(oang)
            # keep the follicle inside the ovary: its far point must lie within the ovary ellipse
            dx, dy = cx - ocx, cy - ocy
            u = (dx * math.cos(oang) + dy * math.sin(oang)) / oa
            v = (-dx * math.sin(oang) + dy * math.cos(oang)) / ob
            if math.hypot(u, v) + a / min(oa, ob) > 0.97:
                continue
            gap = (rng.uniform(-0.15, 0.6) if stimulated else rng.uniform(0.3, 2.0)) / mm
            ok = all(math.hypot(cx - f["cx"], cy - f["cy"]) > a + f["a"] + gap for f in out)
            if ok:
                out.append({"cx": cx, "cy": cy, "a": a, "b": b, "angle": ang})
                break
    return out


def make_image(
    rng: np.random.Generator,
    *,
    mm_per_px: float | None = None,
    stimulated: bool | None = None,
    size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One grey uint8 image and its ground truth."""
    if stimulated is None:
        stimulated = bool(rng.random() < 0.5)
    h, w = size or (int(rng.integers(380, 560)), int(rng.integers(440, 640)))
    ovary_len_mm = rng.uniform(45, 70) if stimulated else rng.uniform(25, 42)
    mm = float(mm_per_px or max(rng.uniform(0.07, 0.16), ovary_len_mm * 1.35 / min(h, w)))
    fan = rng.random() < 0.6
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if fan:
        apex = (w / 2 + rng.uniform(-0.05, 0.05) * w, -rng.uniform(0.05, 0.25) * h)
        half = math.radians(rng.uniform(38, 60))
        r_max = h - apex[1] - rng.uniform(0, 0.05) * h
        rad = np.hypot(xx - apex[0], yy - apex[1])
        ang = np.arctan2(xx - apex[0], yy - apex[1])
        valid = (np.abs(ang) < half) & (rad < r_max) & (rad > -apex[1] + 0.02 * h)
        depth = rad - (-apex[1])
    else:
        valid = np.ones((h, w), dtype=bool)
        depth = yy.copy()
    # ovary: inside the valid area, away from its edges
    oa = ovary_len_mm / 2 / mm
    ob = oa * rng.uniform(0.6, 0.85)
    oang = rng.uniform(-0.5, 0.5)
    for _ in range(100):
        ocx, ocy = rng.uniform(oa, w - oa), rng.uniform(ob + 0.15 * h, h - ob)
        # the whole ovary (its outline, a little enlarged) must lie inside the imaged area
        th = np.linspace(0, 2 * math.pi, 48, endpoint=False)
        ex = ocx + 1.08 * (oa * np.cos(th) * math.cos(oang) - ob * np.sin(th) * math.sin(oang))
        ey = ocy + 1.08 * (oa * np.cos(th) * math.sin(oang) + ob * np.sin(th) * math.cos(oang))
        ix, iy = ex.round().astype(int), ey.round().astype(int)
        if ((ix >= 2) & (ix < w - 2) & (iy >= 2) & (iy < h - 2)).all() and valid[iy, ix].all():
            break
    ovary = (ocx, ocy, oa, ob, oang)
    fols = _place_follicles(rng, ovary, mm, stimulated)

    # echogenicity map
    base = 0.45 + 0.08 * _smooth_noise(rng, h, w, 12 / mm / 4)
    dx, dy = xx - ocx, yy - ocy
    u = (dx * math.cos(oang) + dy * math.sin(oang)) / oa
    v = (-dx * math.sin(oang) + dy * math.cos(oang)) / ob
    r_ov = np.sqrt(u * u + v * v)
    stroma = rng.uniform(0.3, 0.75)
    ovary_mask = r_ov < 1
    echo = np.where(ovary_mask, stroma + 0.05 * _smooth_noise(rng, h, w, 2 / mm), base)
    rim = np.exp(-(((r_ov - 1) * oa * mm / 1.0) ** 2)) * rng.uniform(0.0, 0.25)
    echo = echo + rim
    fmask = np.zeros((h, w), dtype=bool)
    enh = np.zeros((h, w), dtype=np.float32)
    for f in fols:
        dxf, dyf = xx - f["cx"], yy - f["cy"]
        ca, sa = math.cos(f["angle"]), math.sin(f["angle"])
        uf = (dxf * ca + dyf * sa) / f["a"]
        vf = (-dxf * sa + dyf * ca) / f["b"]
        theta = np.arctan2(vf, uf)
        wobble = 1 + 0.02 * np.sin(3 * theta + rng.uniform(0, 6.3))
        inside = np.sqrt(uf * uf + vf * vf) < wobble
        fmask |= inside
        # posterior acoustic enhancement: a brighter band below the fluid
        below = (np.abs(dxf) < f["a"] * 0.9) & (dyf > 0)
        enh += below * np.exp(-dyf.clip(0) / (8 / mm)) * rng.uniform(0.1, 0.3)
    fluid = rng.uniform(0.02, 0.12)
    echo = np.where(fmask, fluid, echo * (1 + enh))
    # clutter: bright specks, acoustic shadows below some of them, a vessel outside the ovary
    for _ in range(int(rng.integers(0, 6))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rr = rng.uniform(0.3, 1.0) / mm
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * rr * rr))
        echo = echo + spot * rng.uniform(0.5, 1.2)
        if rng.random() < 0.4:
            shadow = (np.abs(xx - cx) < rr * 1.5) & (yy > cy)
            echo = np.where(shadow & ~fmask, echo * rng.uniform(0.4, 0.7), echo)
    if rng.random() < 0.4:
        vy = ocy + rng.choice([-1, 1]) * (ob + rng.uniform(4, 10) / mm)
        slope = rng.uniform(-0.3, 0.3)
        width = rng.uniform(3, 7) / mm / 2
        vessel = (np.abs(yy - (vy + slope * (xx - ocx))) < width) & (r_ov > 1.1)
        echo = np.where(vessel, fluid * 1.5, echo)
    echo = np.clip(echo, 0.01, None)
    # speckle: correlated complex Gaussian field, anisotropic grain, Rayleigh amplitude
    grain = rng.uniform(0.25, 0.6) / mm * 0.25
    sx, sy = grain * rng.uniform(1.2, 2.2), grain
    re = rng.normal(0, 1, (2, 1, h, w)).astype(np.float32)
    t = torch.from_numpy(re)
    # anisotropic blur: blur rows with sx, columns with sy via two separable passes
    t = _gaussian_t(t, max(0.6, sy))
    tx = _gaussian_t(t.transpose(2, 3).contiguous(), max(0.6, sx * 0.7)).transpose(2, 3)
    z = tx[:, 0].numpy()
    amp = np.sqrt(z[0] ** 2 + z[1] ** 2)
    amp = amp / (amp.mean() + 1e-9)
    # attenuation with depth and a time-gain compensation curve that does not quite cancel it
    att = np.exp(-rng.uniform(0.0, 1.2) * depth / h)
    tgc = 1 + 0.3 * np.sin(depth / h * math.pi * rng.uniform(0.5, 2) + rng.uniform(0, 6.3)) * rng.uniform(0, 1)
    gain = rng.uniform(0.8, 1.5)
    inten = echo * amp * att * tgc * gain
    k = rng.uniform(10, 40)
    img = np.log1p(k * inten) / math.log1p(k * 1.6)
    img = _gaussian_t(torch.from_numpy(img.astype(np.float32))[None, None], rng.uniform(0.3, 1.0))[0, 0].numpy()
    img = img * 255 + rng.normal(0, rng.uniform(1, 5), img.shape)
    img = np.where(valid, img, rng.uniform(0, 6))
    out = np.clip(img, 0, 255).astype(np.uint8)
    follicles: list[dict[str, Any]] = []
    for f in fols:
        d1, d2 = 2 * f["a"] * mm, 2 * f["b"] * mm
        follicles.append(
            {
                "cx": f["cx"],
                "cy": f["cy"],
                "diameters_mm": [d1, d2],
                "mean_diameter_mm": (d1 + d2) / 2,
                "angle": f["angle"],
            }
        )
    means = [f["mean_diameter_mm"] for f in follicles]
    gt = {
        "mm_per_px": mm,
        "width": w,
        "height": h,
        "stimulated": stimulated,
        "fan": fan,
        "follicles": follicles,
        "afc": int(sum(2 <= m <= 10 for m in means)),
    }
    return out, gt


def synth(n: int, out: Path, seed: int = 0) -> None:
    """Write n PNG images with ground-truth JSON beside them and an index.json with their parameters."""
    from PIL import Image

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    index = []
    for i in range(n):
        img, gt = make_image(rng)
        name = f"follicle_{i:04d}"
        Image.fromarray(img).save(out / f"{name}.png")
        (out / f"{name}.json").write_text(json.dumps(gt))
        index.append({"file": f"{name}.png", "truth": f"{name}.json", "params": {"mm_per_px": gt["mm_per_px"]}})
    (out / "index.json").write_text(json.dumps(index, indent=1))
