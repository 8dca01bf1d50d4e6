"""Synthetic phase-contrast-like sperm videos with exact ground truth.

Every video draws its own optics and sample: magnification (um/px), chamber depth, dilution,
concentration, motility mix, head size, polarity (bright head on a dark halo or the reverse), halo
strength, tail contrast, illumination gradient and vignetting, flicker, blur, noise, debris (small
particles and large round cells). Ground truth: the head position of every sperm in every frame
(in px, including those outside the field), track ids, the WHO grade and true kinematics per sperm
(computed with the same definitions as the analyzer on the exact positions), and the exact number
of heads in the field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml._ops import _gaussian_t
from ml.sperm.casa import kinematics

CHAMBERS_UM = (10.0, 20.0, 100.0)  # Makler, Leja-type slide, improved Neubauer
DILUTIONS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


def _splat(
    img: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    amps: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    angle: np.ndarray,
    radius: int,
) -> None:
    """Add anisotropic Gaussian blobs centred at sub-pixel positions (vectorised, in place)."""
    if len(xs) == 0:
        return
    h, w = img.shape
    ix, iy = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    off = np.arange(-radius, radius + 2)
    gx = ix[:, None, None] + off[None, None, :]
    gy = iy[:, None, None] + off[None, :, None]
    dx = gx - xs[:, None, None]
    dy = gy - ys[:, None, None]
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = dx * c + dy * s
    v = -dx * s + dy * c
    val = amps[:, None, None] * np.exp(-0.5 * ((u / sx[:, None, None]) ** 2 + (v / sy[:, None, None]) ** 2))
    gx, gy = np.broadcast_to(gx, val.shape), np.broadcast_to(gy, val.shape)
    ok = (gx >= 0) & (gx < w) & (gy >= 0) & (gy < h)
    flat = (gy[ok] * w + gx[ok]).astype(np.int64)
    img += np.bincount(flat, weights=val[ok], minlength=h * w).reshape(h, w)


def simulate_paths(
    rng: np.random.Generator,
    n: int,
    n_frames: int,
    fps: float,
    mix: np.ndarray,
    box_um: tuple[float, float, float, float],
) -> dict[str, np.ndarray]:
    """Head paths (n, frames, 2) in um and per-sperm motion parameters."""
    t = np.arange(n_frames) / fps
    x0 = rng.uniform(box_um[0], box_um[2], n)
    y0 = rng.uniform(box_um[1], box_um[3], n)
    kind = rng.choice(4, size=n, p=mix)  # 0 rapid, 1 slow, 2 non-progressive, 3 immotile
    speed = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.uniform(26, 90, n), rng.uniform(5.5, 24, n), rng.uniform(0, 3.5, n)],
        0.0,
    )
    heading0 = rng.uniform(0, 2 * np.pi, n)
    turn = rng.normal(0, 0.35, n) * (kind < 2)  # rad/s: large circles and gentle curves
    amp = np.select([kind < 2, kind == 2], [rng.uniform(0.3, 2.5, n), rng.uniform(1.2, 3.0, n)], 0.0)
    beat = rng.uniform(3, 14, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    # some non-progressive sperm swim in small circles instead of wobbling on the spot
    circling = (kind == 2) & (rng.random(n) < 0.35)
    circ_r = rng.uniform(2.5, 6.0, n)
    circ_w = rng.uniform(2.0, 5.0, n) * rng.choice([-1, 1], n)
    heading = heading0[:, None] + turn[:, None] * t[None, :]
    # the average path: integrate the speed along the heading (exact for constant turn)
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(np.abs(turn) > 1e-6, turn, 1.0)[:, None]
        ax = np.where(
            np.abs(turn)[:, None] > 1e-6,
            (np.sin(heading) - np.sin(heading0)[:, None]) / safe,
            np.cos(heading0)[:, None] * t[None, :],
        )
        ay = np.where(
            np.abs(turn)[:, None] > 1e-6,
            -(np.cos(heading) - np.cos(heading0)[:, None]) / safe,
            np.sin(heading0)[:, None] * t[None, :],
        )
    mx = x0[:, None] + speed[:, None] * ax
    my = y0[:, None] + speed[:, None] * ay
    lat = amp[:, None] * np.sin(2 * np.pi * beat[:, None] * t[None, :] + phase[:, None])
    px = mx - np.sin(heading) * lat
    py = my + np.cos(heading) * lat
    cang = circ_w[:, None] * t[None, :] + phase[:, None]
    px = np.where(circling[:, None], x0[:, None] + circ_r[:, None] * np.cos(cang), px)
    py = np.where(circling[:, None], y0[:, None] + circ_r[:, None] * np.sin(cang), py)
    # immotile heads: a tiny thermal jitter only
    jit = rng.normal(0, 0.02, (n, n_frames, 2))
    px = np.where((kind == 3)[:, None], x0[:, None] + jit[..., 0], px)
    py = np.where((kind == 3)[:, None], y0[:, None] + jit[..., 1], py)
    motion_dir = np.where(circling[:, None], cang + np.sign(circ_w)[:, None] * np.pi / 2, heading)
    return {"pos": np.stack([px, py], axis=2), "kind": kind, "dir": motion_dir, "beat": beat, "phase": phase}


def make_video(
    rng: np.random.Generator,
    *,
    width: int = 640,
    height: int = 480,
    n_frames: int = 50,
    fps: float = 50.0,
    um_per_px: float | None = None,
    concentration: float | None = None,
    depth_um: float | None = None,
    dilution: float | None = None,
    max_in_field: int | None = None,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """One video (list of uint8 HxW frames) and its ground truth. n_frames=1 gives a still frame."""
    um = float(um_per_px if um_per_px is not None else rng.uniform(0.4, 1.0))
    field_w, field_h = width * um, height * um
    area_mm2 = field_w * field_h * 1e-6
    conc = float(concentration if concentration is not None else math.exp(rng.uniform(math.log(5), math.log(150))))
    # the laboratory picks a chamber and dilution that put a countable number of heads in the field
    cap = max_in_field or max(30, int(field_w * field_h / 800.0))
    if depth_um is None or dilution is None:
        options = []
        for d in CHAMBERS_UM if depth_um is None else (depth_um,):
            for f in DILUTIONS if dilution is None else (dilution,):
                expected = conc / f * area_mm2 * d * 1e-3 * 1e3  # nL -> 10^6/mL x nL = count
                if 20 <= expected <= cap:
                    options.append((d, f))
        if not options:  # fall back to the closest feasible count
            d0 = depth_um or 20.0
            f0 = dilution or 1.0
            options = [(d0, f0)]
        depth_um, dilution = options[rng.integers(len(options))]
    volume_nl = area_mm2 * depth_um * 1e-3 * 1e3  # mm^2 x mm = uL; x 1000 = nL
    duration = (n_frames - 1) / fps
    margin = 100.0 * duration + 30.0  # heads may swim in from outside the field
    box = (-margin, -margin, field_w + margin, field_h + margin)
    box_area_mm2 = (field_w + 2 * margin) * (field_h + 2 * margin) * 1e-6
    n_total = int(rng.poisson(conc / dilution * box_area_mm2 * depth_um))
    mix = rng.dirichlet([1.5, 1.0, 0.7, 1.0])
    paths = simulate_paths(rng, n_total, n_frames, fps, mix, box)
    pos_px = paths["pos"] / um
    inside = (pos_px[..., 0] >= 0) & (pos_px[..., 0] < width) & (pos_px[..., 1] >= 0) & (pos_px[..., 1] < height)

    # --- optics and rendering parameters
    polarity = rng.choice([-1.0, 1.0])
    background = rng.uniform(70, 180)
    contrast = rng.uniform(35, 90)
    halo = rng.uniform(0.0, 0.6)
    head_a = rng.uniform(2.0, 2.6, n_total)  # um, semi-axes of the head ellipse
    head_b = head_a * rng.uniform(0.55, 0.75, n_total)
    head_amp = contrast * rng.uniform(0.75, 1.25, n_total)
    tail_rel = rng.uniform(0.1, 0.35)
    tail_len = rng.uniform(35, 50)
    blur = rng.uniform(0.0, 1.0)
    noise = rng.uniform(2.0, 9.0)
    gx, gy = rng.uniform(-0.25, 0.25, 2)
    vignette = rng.uniform(0.0, 0.3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    nx, ny = xx / width - 0.5, yy / height - 0.5
    illum = 1 + gx * nx + gy * ny - vignette * (nx**2 + ny**2) * 2
    # debris: small particles and large round cells, static
    n_small = int(rng.integers(0, max(2, n_total // 3)))
    n_cells = int(rng.integers(0, 4))
    deb = np.zeros((height, width))
    _splat(
        deb,
        rng.uniform(0, width, n_small),
        rng.uniform(0, height, n_small),
        rng.choice([-1, 1], n_small) * contrast * rng.uniform(0.2, 0.7, n_small),
        np.full(n_small, max(0.5, 0.35 / um)),
        np.full(n_small, max(0.5, 0.35 / um)),
        np.zeros(n_small),
        radius=3,
    )
    for _ in range(n_cells):
        r = rng.uniform(4, 7) / um
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        d = np.hypot(xx - cx, yy - cy)
        deb += polarity * contrast * 0.35 * (np.clip(1 - np.abs(d - r) / (0.8 / um), 0, None))
    head_r = math.ceil(3.5 * 2.6 / um)
    tail_pts = np.linspace(0.35, 1.0, 14)  # fraction along the tail
    frames = []
    for f in range(n_frames):
        img = np.zeros((height, width))
        vis = np.flatnonzero(
            (pos_px[:, f, 0] > -60 / um)
            & (pos_px[:, f, 0] < width + 60 / um)
            & (pos_px[:, f, 1] > -60 / um)
            & (pos_px[:, f, 1] < height + 60 / um)
        )
        hx, hy = pos_px[vis, f, 0], pos_px[vis, f, 1]
        ang = paths["dir"][vis, f] if n_frames > 1 else paths["dir"][vis, 0]
        a, b = head_a[vis] / um, head_b[vis] / um
        amp = polarity * head_amp[vis]
        _splat(img, hx, hy, amp, a / 1.6, b / 1.6, ang, head_r)
        if halo > 0:
            _splat(img, hx, hy, -amp * halo * 0.45, a / 0.8, b / 0.8, ang, head_r)
        # tail: behind the head, a travelling wave whose amplitude grows along the tail
        t_now = f / fps
        beat = paths["beat"][vis]
        moving = paths["kind"][vis] < 3
        ca, sa = np.cos(ang), np.sin(ang)
        for frac in tail_pts:
            s_um = frac * tail_len
            wave = 2.5 * frac * np.sin(2 * np.pi * (beat * t_now - frac) + paths["phase"][vis]) * moving
            tx = hx - (ca * s_um + -sa * wave) / um
            ty = hy - (sa * s_um + ca * wave) / um
            wdt = np.full(len(vis), max(0.45, 0.45 / um))
            _splat(img, tx, ty, amp * tail_rel * (1.1 - frac), wdt, wdt, np.zeros(len(vis)), 2)
        frames.append(img)
    stack = torch.from_numpy(np.stack(frames) + deb[None])[:, None].float()
    if blur > 0.05:
        stack = _gaussian_t(stack, blur)
    arr = stack[:, 0].numpy().astype(np.float64)
    flicker = 1 + rng.normal(0, 0.01, (n_frames, 1, 1))
    arr = (background + arr) * illum[None] * flicker
    arr += rng.normal(0, noise, arr.shape)
    out = [np.clip(fr, 0, 255).round().astype(np.uint8) for fr in arr]

    # --- ground truth
    grades = {0: "a", 1: "b", 2: "c", 3: "d"}
    tracks = []
    for i in range(n_total):
        if not inside[i].any():
            continue
        k = kinematics(paths["pos"][i], fps) if n_frames > 1 else None
        g = "d" if paths["kind"][i] == 3 else (k["grade"] if k else grades[int(paths["kind"][i])])
        if g == "d" and paths["kind"][i] != 3:
            g = "c"  # a moving sperm whose head barely moves is non-progressive, not immotile
        entry: dict[str, Any] = {
            "id": i,
            "grade": g,
            "inside": inside[i].tolist(),
            "positions_px": np.round(pos_px[i], 3).tolist(),
        }
        if k:
            entry.update({key: k[key] for key in ("vcl", "vsl", "vap", "lin", "str", "wob", "alh", "bcf")})
        tracks.append(entry)
    counts = inside.sum(axis=0)
    first = [tr for tr in tracks if tr["inside"][0]]
    grade_pct = {g: 100.0 * sum(tr["grade"] == g for tr in first) / max(1, len(first)) for g in "abcd"}
    gt = {
        "width": width,
        "height": height,
        "n_frames": n_frames,
        "fps": fps,
        "um_per_px": um,
        "depth_um": depth_um,
        "dilution": dilution,
        "volume_nl": volume_nl,
        "count_first_frame": int(counts[0]),
        "count_mean": float(counts.mean()),
        "concentration_first_frame": float(counts[0]) * dilution / volume_nl,
        "concentration_mean": float(counts.mean()) * dilution / volume_nl,
        "sample_concentration": conc,
        "grade_percent": grade_pct,
        "progressive_motility": grade_pct["a"] + grade_pct["b"],
        "total_motility": grade_pct["a"] + grade_pct["b"] + grade_pct["c"],
        "polarity": int(polarity),
        "noise": noise,
        "blur": blur,
        "tracks": tracks,
    }
    return out, gt


def synth(
    n: int, out: Path, seed: int = 0, *, n_frames: int = 50, fps: float = 50.0, width: int = 640, height: int = 480
) -> None:
    """Write n videos as multi-frame TIFFs with ground truth JSON beside them."""
    from ml.io import save_frames_tiff

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    index = []
    for i in range(n):
        frames, gt = make_video(rng, width=width, height=height, n_frames=n_frames, fps=fps)
        name = f"sperm_{i:04d}"
        save_frames_tiff(frames, out / f"{name}.tif")
        (out / f"{name}.json").write_text(json.dumps(gt))
        index.append(
            {
                "file": f"{name}.tif",
                "truth": f"{name}.json",
                "params": {
                    "um_per_px": gt["um_per_px"],
                    "depth_um": gt["depth_um"],
                    "dilution": gt["dilution"],
                    "fps": fps,
                },
            }
        )
    (out / "index.json").write_text(json.dumps(index, indent=1))
