"""Synthetic embryo images with exact labels: day-3 cleavage embryos and day-5/6 blastocysts.

Day 3: 2-10 blastomeres (translucent, overlapping in projection, outlines visible), even or
uneven sizes, optional visible nuclei, multinucleated cells, fragments; fragmentation % is
measured exactly from the drawn masks (area of all fragments / area of cells + fragments, in
projection, a fragment over a cell included).

Day 5/6: Gardner expansion 1-6 (cavity fraction, zona thickness, herniation, hatched), ICM
(many tight / several loose / very few cells) and TE (many cohesive / few loose / very few
large cells), ICM and TE only drawn as graded from expansion 3.

Zona pellucida: 0.16-0.24 of the outer radius, as measured on human embryos (about 15-18 um of
a 75-80 um radius, days 1-3); an expanding blastocyst (4-5) stretches it, its volume kept, so it
thins with the square of the radius ratio.

Randomised: frame, magnification, position, zona thickness and contrast, optics (bright field
or Hoffman-like relief), polarity, granularity, debris, blur, noise, colour cast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ml import nn as mnn
from ml.embryo.grading import GRADES_ABC, istanbul_grade

GENERATOR = "ml.embryo.generate"
# 1.2: thinned zona of expansion 4-5 visible; 1.3: zona distinct from the cells; 1.4: day-3 fragmentation
# counts every drawn fragment (blastocyst images unchanged from 1.3); 1.5: zona of published thickness
GENERATOR_VERSION = "1.5"
MIN_CELLS, MAX_CELLS = 2, 10
# zona pellucida thickness before expansion, as a fraction of the outer radius (see the module docstring)
ZONA_THICKNESS = (0.16, 0.24)


def _canvas(rng: np.random.Generator) -> tuple[int, int]:
    h = int(rng.integers(96, 150))
    return h, int(np.clip(h + rng.integers(-24, 25), 90, 170))


def _optics(rng: np.random.Generator) -> dict[str, float]:
    return {
        "edge": float(rng.uniform(0.6, 1.4)),
        "relief": float(rng.uniform(0.05, 0.35) if rng.random() < 0.55 else 0.0),
        "angle": float(rng.uniform(0, 2 * math.pi)),
        "line": float(rng.uniform(0.06, 0.2)),  # darkness of membranes
        "pol": float(rng.choice([-1.0, 1.0]) if rng.random() < 0.25 else -1.0),  # cytoplasm darker (usual) or lighter
    }


def _zona(
    rng: Any,
    img: Any,
    yy: Any,
    xx: Any,
    cx: Any,
    cy: Any,
    rz: Any,
    zt: Any,
    op: Any,
    gap: tuple[float, float] | None = None,
) -> Any:
    h, w = img.shape
    zona = np.clip(
        mnn.soft_ellipse(yy, xx, cx, cy, rz, rz, 0, op["edge"])
        - mnn.soft_ellipse(yy, xx, cx, cy, rz - zt, rz - zt, 0, op["edge"]),
        0,
        1,
    )
    if gap is not None:  # an opening where the trophectoderm herniates (expansion 5)
        ang = np.arctan2(yy - cy, xx - cx)
        dif = np.abs((ang - gap[0] + math.pi) % (2 * math.pi) - math.pi)
        zona = zona * np.clip((dif - gap[1]) / 0.08, 0, 1)
    # the zona must read as its own band (brighter or darker than the medium), not vanish into the cells
    zc = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.07, 0.2))
    img += zona * (zc + rng.uniform(0, 0.03) * mnn.smooth_noise(rng, h, w, 1.0))
    img -= op["line"] * 0.8 * mnn.rim(zona, 0.6)
    return zona


def _cell(img: Any, mask: Any, op: Any, tex: Any, k: Any = 1.0, sl: Any = (slice(None), slice(None))) -> Any:
    img[sl] += k * op["pol"] * mask * (tex[sl] if isinstance(tex, np.ndarray) else tex)
    img[sl] -= k * op["line"] * mnn.rim(mask, 0.55)


def _nucleus(rng: Any, img: Any, yy: Any, xx: Any, x: Any, y: Any, r: Any, op: Any) -> Any:
    sl = mnn.window(img.shape, x, y, r)
    m = mnn.soft_ellipse(yy[sl], xx[sl], x, y, r, r * rng.uniform(0.8, 1), rng.uniform(0, 3.2), 0.7)
    img[sl] += m * rng.uniform(0.06, 0.15)
    img[sl] -= op["line"] * 0.8 * mnn.rim(m, 0.5)


def _fragments(
    rng: np.random.Generator,
    yy: np.ndarray,
    xx: np.ndarray,
    centre: tuple[float, float],
    rin: float,
    cells: np.ndarray,
    target: float,
    edge: float,
) -> tuple[np.ndarray, float]:
    """Fragments inside the zona (radius ``rin``) up to about ``target`` fragmentation; returns their
    mask and the fragmentation %: fragment area / (cell area + fragment area), in projection.

    Every drawn fragment counts, also one lying over a cell: it shows in the image and an
    embryologist scores it. (Generator 1.3 counted only the part outside the cells, so an embryo
    labelled 3 % could show a carpet of fragments over its cells, five times the labelled area.)
    """
    cell_area = float((cells > 0.5).sum())
    union = np.zeros(cells.shape, np.float32)
    area = 0.0
    tries = 0
    while target > 0.005 and tries < 200:
        tries += 1
        rf = rin * rng.uniform(0.03, 0.1)
        d, a = rng.uniform(0, rin - rf), rng.uniform(0, 2 * math.pi)
        fx, fy = centre[0] + d * math.cos(a), centre[1] + d * math.sin(a)
        sl = mnn.window(cells.shape, fx, fy, rf * 1.3)
        m = mnn.wobbly_disk(yy[sl], xx[sl], fx, fy, rf, rng, 0.15, edge)
        new_local = np.maximum(union[sl], m)
        new_area = area + float((new_local > 0.5).sum() - (union[sl] > 0.5).sum())
        if new_area / max(new_area + cell_area, 1) > target + 0.03:
            continue
        union[sl] = new_local
        area = new_area
        if area / max(area + cell_area, 1) >= target:
            break
    return union, 100.0 * area / max(area + cell_area, 1)


def render_day3(rng: np.random.Generator, n_cells: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    h, w = _canvas(rng)
    yy, xx = mnn.grid(h, w)
    img = mnn.background(rng, h, w)
    op = _optics(rng)
    s = min(h, w)
    rz = rng.uniform(0.3, 0.44) * s
    cx = w / 2 + rng.uniform(-1, 1) * max(0.0, w / 2 - rz - 2)
    cy = h / 2 + rng.uniform(-1, 1) * max(0.0, h / 2 - rz - 2)
    zt = rng.uniform(*ZONA_THICKNESS) * rz
    rin = rz - zt
    _zona(rng, img, yy, xx, cx, cy, rz, zt, op)

    n = int(n_cells if n_cells is not None else rng.integers(MIN_CELLS, MAX_CELLS + 1))
    u = rng.random()
    target_frag = rng.uniform(0, 0.1) if u < 0.4 else (rng.uniform(0.1, 0.25) if u < 0.7 else rng.uniform(0.25, 0.5))
    uneven = bool(rng.random() < 0.35) and n > 1
    multinucleated = bool(rng.random() < 0.25)
    fill = rng.uniform(0.55, 0.8) * (1 - 0.6 * target_frag)
    base = rin * math.sqrt(fill / n) * (1.0 if n < 5 else rng.uniform(1.05, 1.25))
    if uneven:
        while True:
            f = np.exp(rng.normal(0, 0.35, size=n))
            if f.std() / f.mean() > 0.25:
                break
    else:
        f = rng.uniform(0.93, 1.07, size=n)
    radii = base * f / math.sqrt(np.mean(f**2))
    radii = np.minimum(radii, rin * 0.92)
    centres: list[tuple[float, float]] = []
    for r in radii:
        best, best_cost = None, 1e9
        for _ in range(40):
            d = rng.uniform(0, max(rin - r, 0.5)) ** 0.8 * max(rin - r, 0.5) ** 0.2
            a = rng.uniform(0, 2 * math.pi)
            c = (cx + d * math.cos(a), cy + d * math.sin(a))
            cost = max([(r + rj) / max(math.dist(c, cj), 1e-3) for cj, rj in zip(centres, radii, strict=False)] + [0])
            if cost < best_cost:
                best, best_cost = c, cost
        centres.append(best)  # type: ignore[arg-type]
    cells_union = np.zeros((h, w), np.float32)
    tex = rng.uniform(0.04, 0.15) + rng.uniform(0.005, 0.04) * mnn.smooth_noise(rng, h, w, rng.uniform(0.6, 1.5))
    show_nuclei = rng.random() < 0.5
    mn_cells = (
        set(rng.choice(n, size=min(n, int(rng.integers(1, 3))), replace=False).tolist()) if multinucleated else set()
    )
    for i, ((x, y), r) in enumerate(zip(centres, radii, strict=True)):
        sl = mnn.window(img.shape, x, y, r * 1.2)
        m = mnn.wobbly_disk(yy[sl], xx[sl], x, y, r, rng, rng.uniform(0.0, 0.05), op["edge"])
        cells_union[sl] = np.maximum(cells_union[sl], m)
        _cell(img, m, op, tex, k=rng.uniform(0.6, 1.0), sl=sl)
        if i in mn_cells:
            for _ in range(int(rng.integers(2, 4))):
                rn = r * rng.uniform(0.14, 0.22)
                d, a = rng.uniform(0, r * 0.55), rng.uniform(0, 2 * math.pi)
                _nucleus(rng, img, yy, xx, x + d * math.cos(a), y + d * math.sin(a), rn, op)
        elif show_nuclei and rng.random() < 0.8:
            rn = r * rng.uniform(0.2, 0.3)
            d, a = rng.uniform(0, r * 0.4), rng.uniform(0, 2 * math.pi)
            _nucleus(rng, img, yy, xx, x + d * math.cos(a), y + d * math.sin(a), rn, op)
    if op["relief"]:
        img += op["relief"] * mnn.relief(cells_union, op["angle"], 1.0)

    frag_union, frag_pct = _fragments(rng, yy, xx, (cx, cy), rin, cells_union, target_frag, op["edge"])
    if frag_pct:
        _cell(img, frag_union, op, tex * rng.uniform(0.8, 1.4))
    img = mnn.add_debris(rng, img, int(rng.integers(0, 8)), (0.5, 0.025 * s))
    out = mnn.finish(rng, img)
    truth = {
        "day": 3,
        "cells": n,
        "cell_centres": [[float(x), float(y)] for x, y in centres],
        "cell_radii": [float(r) for r in radii],
        "fragmentation_pct": round(frag_pct, 2),
        "uneven": uneven,
        "multinucleated": multinucleated,
        "grade": istanbul_grade(frag_pct, uneven, multinucleated),
        "center": [cx, cy],
        "zona_outer_radius_px": rz,
        "zona_thickness_px": zt,
    }
    return out, truth


def _ring_cells(
    rng: Any,
    img: Any,
    yy: Any,
    xx: Any,
    cx: Any,
    cy: Any,
    re: Any,
    n: Any,
    thick: Any,
    op: Any,
    tex: Any,
    gap: Any = None,
) -> Any:
    """Trophectoderm: a ring of n cells of thickness ``thick`` inside radius re, with boundaries."""
    h, w = img.shape
    ring = np.clip(
        mnn.soft_ellipse(yy, xx, cx, cy, re, re, 0, op["edge"])
        - mnn.soft_ellipse(yy, xx, cx, cy, re - thick, re - thick, 0, op["edge"]),
        0,
        1,
    )
    ang = np.arctan2(yy - cy, xx - cx)
    a0 = rng.uniform(0, 2 * math.pi)
    bounds = np.sort((a0 + np.cumsum(rng.uniform(0.6, 1.4, size=n)) / 1.0) % (2 * math.pi))
    bounds = (bounds - bounds[0]) * (2 * math.pi) / (bounds[-1] - bounds[0] + 2 * math.pi / n) + a0
    lines = np.zeros((h, w), np.float32)
    rr = np.hypot(yy - cy, xx - cx)
    for b in bounds:
        dif = np.abs((ang - b + math.pi) % (2 * math.pi) - math.pi) * np.maximum(rr, 1)
        lines = np.maximum(lines, np.clip(1 - dif / 0.9, 0, 1))
        if rng.random() < 0.85:  # a flattened nucleus between boundaries
            an = b + math.pi / n
            rn = re - thick / 2
            _nucleus(rng, img, yy, xx, cx + rn * math.cos(an), cy + rn * math.sin(an), max(thick * 0.4, 1.0), op)
    _cell(img, ring, op, tex)
    img -= op["line"] * 1.6 * lines * ring
    return ring


def _icm(
    rng: Any, img: Any, yy: Any, xx: Any, x: Any, y: Any, size: Any, grade: Any, op: Any, tex: Any
) -> tuple[Any, int]:
    """ICM cluster: A many small tight cells, B several loose, C very few. Returns (mask, cells)."""
    if grade == "A":
        k, rc, spread = int(rng.integers(12, 22)), size * rng.uniform(0.22, 0.3), size * 0.75
    elif grade == "B":
        k, rc, spread = int(rng.integers(5, 9)), size * rng.uniform(0.3, 0.4), size * 1.3
    else:
        k, rc, spread = int(rng.integers(1, 4)), size * rng.uniform(0.3, 0.45), size * 1.0
    union = np.zeros_like(img)
    for _ in range(k):
        d, a = rng.uniform(0, spread) ** 1.0, rng.uniform(0, 2 * math.pi)
        m = mnn.soft_ellipse(
            yy,
            xx,
            x + d * math.cos(a),
            y + d * math.sin(a),
            rc,
            rc * rng.uniform(0.7, 1),
            rng.uniform(0, 3.2),
            op["edge"],
        )
        img -= op["line"] * 1.2 * mnn.rim(m, 0.5)
        union = np.maximum(union, m)
    img += op["pol"] * union * tex * rng.uniform(1.3, 2.0)
    return union, k


def render_blastocyst(rng: np.random.Generator, expansion: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    h, w = _canvas(rng)
    yy, xx = mnn.grid(h, w)
    img = mnn.background(rng, h, w)
    op = _optics(rng)
    s = min(h, w)
    e = int(expansion if expansion is not None else rng.integers(1, 7))
    tex = rng.uniform(0.05, 0.15) + rng.uniform(0.005, 0.04) * mnn.smooth_noise(rng, h, w, rng.uniform(0.6, 1.5))
    icm_g = te_g = None
    if e >= 3:
        icm_g = str(rng.choice(GRADES_ABC))
        te_g = str(rng.choice(GRADES_ABC))
    # overall size in the frame: expanded embryos are larger relative to the original zona
    re_frac = {1: 1.0, 2: 1.0, 3: 1.0, 4: rng.uniform(1.15, 1.4), 5: rng.uniform(1.15, 1.4), 6: rng.uniform(1.15, 1.4)}[
        e
    ]
    rz0 = rng.uniform(0.22, 0.3) * s * (1.35 / re_frac if e >= 4 else 1.0) * rng.uniform(0.95, 1.3)
    # an expanded blastocyst stretches the zona, keeping its volume
    zt = rz0 * rng.uniform(*ZONA_THICKNESS) / (1.0 if e <= 3 else re_frac**2)
    rz = rz0 * re_frac if e in (4, 5) else rz0
    rz = min(rz, 0.46 * s)
    cx = w / 2 + rng.uniform(-1, 1) * max(0.0, w / 2 - rz - 2)
    cy = h / 2 + rng.uniform(-1, 1) * max(0.0, h / 2 - rz - 2)
    rin = rz - zt
    truth: dict[str, Any] = {"day": int(rng.choice([5, 6])), "expansion": e, "icm": icm_g, "te": te_g}
    if e <= 2:
        _zona(rng, img, yy, xx, cx, cy, rz, zt, op)
        # compacting cell mass with a cavity of the given fraction (by area, a proxy for volume)
        frac = rng.uniform(0.12, 0.42) if e == 1 else rng.uniform(0.55, 0.8)
        mass = mnn.soft_ellipse(yy, xx, cx, cy, rin * 0.98, rin * 0.98, 0, op["edge"])
        _cell(img, mass, op, tex)
        for _ in range(int(rng.integers(8, 20))):
            r = rin * rng.uniform(0.15, 0.3)
            d, a = rng.uniform(0, rin - r), rng.uniform(0, 2 * math.pi)
            m = mnn.soft_ellipse(yy, xx, cx + d * math.cos(a), cy + d * math.sin(a), r, r * rng.uniform(0.7, 1), a)
            img -= op["line"] * 0.5 * mnn.rim(m, 0.5) * mass
        rc = rin * math.sqrt(frac)
        d, a = rng.uniform(0, rin - rc) * 0.9, rng.uniform(0, 2 * math.pi)
        cav = mnn.wobbly_disk(yy, xx, cx + d * math.cos(a), cy + d * math.sin(a), rc, rng, 0.05, op["edge"])
        img -= op["pol"] * cav * mass * tex * rng.uniform(0.8, 1.0)
        img -= op["line"] * 0.8 * mnn.rim(cav, 0.6)
        truth["cavity_fraction"] = round(frac, 3)
    else:
        gap = None
        bx, by, br = cx, cy, rin
        if e == 5:
            ga = rng.uniform(0, 2 * math.pi)
            gw = rng.uniform(0.25, 0.5)
            gap = (ga, gw)
            hr = rin * rng.uniform(0.35, 0.65)
            hx, hy = (
                cx + (rz + hr * rng.uniform(0.2, 0.7)) * math.cos(ga),
                cy + (rz + hr * rng.uniform(0.2, 0.7)) * math.sin(ga),
            )
        if e == 6:
            # hatched: the blastocyst sits free; an empty zona may lie beside it or be gone
            br = rin * rng.uniform(0.8, 1.0)
            if rng.random() < 0.6:
                za = rng.uniform(0, 2 * math.pi)
                zx, zy = cx + br * 1.6 * math.cos(za), cy + br * 1.6 * math.sin(za)
                zr = br * rng.uniform(0.7, 1.0)
                shell = np.clip(
                    mnn.soft_ellipse(yy, xx, zx, zy, zr, zr * rng.uniform(0.5, 0.9), za, op["edge"])
                    - mnn.soft_ellipse(yy, xx, zx, zy, zr - zt, (zr - zt) * rng.uniform(0.45, 0.85), za, op["edge"]),
                    0,
                    1,
                )
                img += shell * rng.uniform(-0.08, 0.15)
                img -= op["line"] * mnn.rim(shell, 0.6)
        else:
            _zona(rng, img, yy, xx, cx, cy, rz, zt, op, gap)
        n_te = {"A": int(rng.integers(22, 36)), "B": int(rng.integers(10, 16)), "C": int(rng.integers(4, 8))}[
            te_g or "B"
        ]
        thick = (
            br * {"A": rng.uniform(0.09, 0.14), "B": rng.uniform(0.06, 0.1), "C": rng.uniform(0.035, 0.06)}[te_g or "B"]
        )
        ring = _ring_cells(rng, img, yy, xx, bx, by, br * 0.96, n_te, thick, op, tex)
        if e == 5:
            bulge = mnn.soft_ellipse(yy, xx, hx, hy, hr, hr, 0, op["edge"])
            inner = mnn.soft_ellipse(yy, xx, hx, hy, hr - thick, hr - thick, 0, op["edge"])
            herni = np.clip(bulge - inner, 0, 1) * (1 - mnn.soft_ellipse(yy, xx, cx, cy, rin, rin, 0, 1))
            _cell(img, herni, op, tex)
            img -= op["line"] * 0.6 * mnn.rim(bulge, 0.6)
            ring = np.maximum(ring, herni)
        ia = rng.uniform(0, 2 * math.pi)
        isize = br * rng.uniform(0.2, 0.3)
        dist = br - thick - isize * 0.9
        _, icm_cells = _icm(
            rng, img, yy, xx, bx + dist * math.cos(ia), by + dist * math.sin(ia), isize, icm_g or "B", op, tex
        )
        # the observables behind the grades, for auxiliary training targets (images are unchanged)
        truth.update(te_cells=n_te, te_thickness_rel=round(float(thick / br), 4), icm_cells=icm_cells)
        if op["relief"]:
            img += op["relief"] * mnn.relief(ring, op["angle"], 1.0)
    img = mnn.add_debris(rng, img, int(rng.integers(0, 8)), (0.5, 0.025 * s))
    out = mnn.finish(rng, img)
    truth.update({"center": [cx, cy], "zona_outer_radius_px": rz, "zona_thickness_px": zt})
    return out, truth


def sample_day3(seed: int, i: int, stream: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    rng = np.random.default_rng([seed, stream, i, 3])
    return render_day3(rng, n_cells=MIN_CELLS + i % (MAX_CELLS - MIN_CELLS + 1))


def sample_blastocyst(seed: int, i: int, stream: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    rng = np.random.default_rng([seed, stream, i, 5])
    return render_blastocyst(rng, expansion=1 + i % 6)


def synth(n: int, out: Path, seed: int = 0) -> None:
    """Write n day-3 and n blastocyst PNGs with ``labels.json`` (exact ground truth) to ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(n):
        for tag, fn in (("day3", sample_day3), ("blastocyst", sample_blastocyst)):
            img, truth = fn(seed, i)
            name = f"embryo_{tag}_{seed}_{i:05d}.png"
            mnn.save_png(img, out / name)
            items.append({"image": name, **truth})
    (out / "labels.json").write_text(
        json.dumps({"generator": GENERATOR, "version": GENERATOR_VERSION, "seed": seed, "items": items}, indent=1)
    )
