"""Synthetic oocyte images with exact maturity labels.

GV: a germinal vesicle (round nucleus, often with a nucleolus) is visible in the ooplasm.
MI: no GV, no polar body. MII: the first polar body sits in the perivitelline space.
Degenerate: dark / coarsely granular / fragmented / shrunken, irregular ooplasm.

Everything else is randomised widely: frame size, magnification, position, zona thickness,
perivitelline space, optics (bright field or Hoffman-like relief), contrast polarity, granularity,
cumulus remnants, debris, blur, noise, colour cast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ml import nn as mnn

GENERATOR = "ml.oocyte.generate"
GENERATOR_VERSION = "1.1"
CLASSES: tuple[str, ...] = ("GV", "MI", "MII", "degenerate")


def render(rng: np.random.Generator, label: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """One image (uint8 grey or RGB) and its ground truth."""
    if label is None:
        label = int(rng.integers(0, len(CLASSES)))
    h = int(rng.integers(96, 150))
    w = int(np.clip(h + rng.integers(-24, 25), 90, 170))
    yy, xx = mnn.grid(h, w)
    img = mnn.background(rng, h, w)
    s = min(h, w)
    rz = rng.uniform(0.25, 0.42) * s
    cx = w / 2 + rng.uniform(-1, 1) * max(0.0, w / 2 - rz - 2)
    cy = h / 2 + rng.uniform(-1, 1) * max(0.0, h / 2 - rz - 2)
    zt = rng.uniform(0.07, 0.18) * rz
    rin = rz - zt
    ecc = rng.uniform(0.9, 1.0)
    theta = rng.uniform(0, math.pi)
    pvs = rng.uniform(0.03, 0.3) * rin
    rpb = 0.0
    if label == 2:
        rpb = rng.uniform(0.11, 0.2) * rin
        pvs = max(pvs, 2.0 * rpb + 1)
    ro = rin - pvs
    edge = rng.uniform(0.6, 1.5)
    optic_angle = rng.uniform(0, 2 * math.pi)
    relief_k = rng.uniform(0, 0.35) if rng.random() < 0.6 else 0.0

    zona = mnn.soft_ellipse(yy, xx, cx, cy, rz, rz * ecc, theta, edge) - mnn.soft_ellipse(
        yy, xx, cx, cy, rin, rin * ecc, theta, edge
    )
    zona = np.clip(zona, 0, 1)
    zc = rng.uniform(-0.12, 0.22)
    img += zona * (zc + rng.uniform(0, 0.04) * mnn.smooth_noise(rng, h, w, 1.0))
    img -= rng.uniform(0.03, 0.2) * mnn.rim(zona, 0.7)

    # ooplasm centre may sit off-centre inside the zona
    off = rng.uniform(0, 0.5) * pvs
    oa = rng.uniform(0, 2 * math.pi)
    ocx, ocy = cx + off * math.cos(oa), cy + off * math.sin(oa)
    degenerate_kind = None
    oc = -rng.uniform(0.04, 0.25)
    gran_amp = rng.uniform(0.01, 0.07)
    gran_sigma = rng.uniform(0.5, 1.2)
    if label == 3:
        degenerate_kind = str(rng.choice(["dark", "fragmented", "shrunken", "vacuolated"]))
    if degenerate_kind == "shrunken":
        ro *= rng.uniform(0.5, 0.72)
        ooplasm = mnn.wobbly_disk(yy, xx, ocx, ocy, ro, rng, rng.uniform(0.15, 0.3), edge)
        oc = -rng.uniform(0.25, 0.5)
        gran_amp, gran_sigma = rng.uniform(0.06, 0.15), rng.uniform(1.2, 2.5)
    elif degenerate_kind == "fragmented":
        ooplasm = np.zeros_like(img)
        for _ in range(int(rng.integers(3, 9))):
            rr = ro * rng.uniform(0.2, 0.45)
            d = rng.uniform(0, ro - rr)
            a = rng.uniform(0, 2 * math.pi)
            ooplasm = np.maximum(
                ooplasm, mnn.wobbly_disk(yy, xx, ocx + d * math.cos(a), ocy + d * math.sin(a), rr, rng, 0.2, edge)
            )
        oc = -rng.uniform(0.15, 0.45)
        gran_amp = rng.uniform(0.04, 0.12)
    else:
        ooplasm = mnn.soft_ellipse(yy, xx, ocx, ocy, ro, ro * rng.uniform(0.93, 1.0), rng.uniform(0, math.pi), edge)
    if degenerate_kind == "dark":
        oc = -rng.uniform(0.35, 0.6)
        gran_amp, gran_sigma = rng.uniform(0.07, 0.18), rng.uniform(1.2, 3.0)
    texture = oc + gran_amp * mnn.smooth_noise(rng, h, w, gran_sigma)
    # a darker granular centre is common in healthy oocytes too
    if rng.random() < 0.4:
        texture = texture - rng.uniform(0.02, 0.08) * mnn.soft_ellipse(
            yy, xx, ocx, ocy, ro * rng.uniform(0.3, 0.6), ro * rng.uniform(0.3, 0.6), 0, ro * 0.3
        )
    gv = None
    if label == 0:
        rg = rng.uniform(0.17, 0.28) * ro
        dg = rng.uniform(0, ro - 1.35 * rg)
        ag = rng.uniform(0, 2 * math.pi)
        gx, gy = ocx + dg * math.cos(ag), ocy + dg * math.sin(ag)
        nuc = mnn.soft_ellipse(yy, xx, gx, gy, rg, rg * rng.uniform(0.85, 1), rng.uniform(0, math.pi), edge)
        texture = texture * (1 - 0.85 * nuc) + nuc * (oc + rng.uniform(0.1, 0.28))
        texture = texture - rng.uniform(0.05, 0.18) * mnn.rim(nuc, 0.6)
        if rng.random() < 0.85:
            rn = rg * rng.uniform(0.18, 0.3)
            dn = rng.uniform(0, rg - rn)
            an = rng.uniform(0, 2 * math.pi)
            nucleolus = mnn.soft_ellipse(yy, xx, gx + dn * math.cos(an), gy + dn * math.sin(an), rn, rn, 0, 0.7)
            texture = texture + rng.choice([-1, 1]) * rng.uniform(0.08, 0.2) * nucleolus
        gv = [gx, gy, rg]
    if degenerate_kind == "vacuolated":
        oc2 = -rng.uniform(0.3, 0.5)
        texture = texture + (oc2 - oc)
        for _ in range(int(rng.integers(3, 8))):
            rv = ro * rng.uniform(0.08, 0.22)
            dv = rng.uniform(0, ro - rv)
            av = rng.uniform(0, 2 * math.pi)
            vac = mnn.soft_ellipse(yy, xx, ocx + dv * math.cos(av), ocy + dv * math.sin(av), rv, rv, 0, edge)
            texture = texture * (1 - vac) + vac * rng.uniform(-0.05, 0.1)
    img += ooplasm * texture
    img -= rng.uniform(0.02, 0.15) * mnn.rim(ooplasm, 0.6)
    if relief_k:
        img += relief_k * mnn.relief(ooplasm + 0.6 * zona, optic_angle, 1.2)

    pb = None
    if label == 2 or (label == 3 and rng.random() < 0.3):
        if rpb == 0:
            rpb = rng.uniform(0.1, 0.2) * ro
        a = rng.uniform(0, 2 * math.pi)
        d = ro + rpb * rng.uniform(0.75, 1.0)
        px, py = ocx + d * math.cos(a), ocy + d * math.sin(a)
        body = mnn.soft_ellipse(yy, xx, px, py, rpb, rpb * rng.uniform(0.75, 1.0), a + rng.uniform(-0.4, 0.4), edge)
        body = body * (1 - ooplasm)
        img += body * (oc * rng.uniform(0.6, 1.3) + gran_amp * mnn.smooth_noise(rng, h, w, 0.8))
        img -= rng.uniform(0.03, 0.15) * mnn.rim(body, 0.6)
        if relief_k:
            img += relief_k * mnn.relief(body, optic_angle, 1.0)
        pb = [px, py, rpb]
    # tiny granules in the perivitelline space (all classes): smaller than any polar body
    for _ in range(int(rng.integers(0, 4))):
        rr = rng.uniform(0.015, 0.045) * ro
        a = rng.uniform(0, 2 * math.pi)
        d = rng.uniform(ro, rin)
        img -= rng.uniform(0.03, 0.15) * mnn.soft_ellipse(yy, xx, cx + d * math.cos(a), cy + d * math.sin(a), rr, rr)

    # cumulus remnants around the zona
    if rng.random() < 0.6:
        for _ in range(int(rng.integers(1, 5))):
            a0 = rng.uniform(0, 2 * math.pi)
            span = rng.uniform(0.3, 1.6)
            cc = rng.choice([-1, 1]) * rng.uniform(0.05, 0.2)
            cells = np.zeros_like(img)
            for _k in range(int(rng.integers(5, 30))):
                a = a0 + rng.uniform(-span / 2, span / 2)
                d = rz + rng.uniform(-0.02, 0.35) * rz
                rr = rng.uniform(0.03, 0.07) * rz
                cell = mnn.soft_ellipse(
                    yy, xx, cx + d * math.cos(a), cy + d * math.sin(a), rr, rr * rng.uniform(0.6, 1), a
                )
                cells = np.maximum(cells, cell)
            img += cc * cells
            img -= 0.5 * abs(cc) * mnn.rim(cells, 0.5)
    img = mnn.add_debris(rng, img, int(rng.integers(0, 10)), (0.5, 0.03 * s))
    out = mnn.finish(rng, img)
    truth = {
        "label": CLASSES[label],
        "label_index": label,
        "center": [cx, cy],
        "zona_outer_radius_px": rz,
        "ooplasm_radius_px": ro,
        "germinal_vesicle": gv,
        "polar_body": pb,
        "degenerate_kind": degenerate_kind,
    }
    return out, truth


def sample(seed: int, i: int, stream: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    """The i-th image of a seeded stream: the same (seed, i, stream) always gives the same image."""
    rng = np.random.default_rng([seed, stream, i])
    return render(rng, label=i % len(CLASSES))


def synth(n: int, out: Path, seed: int = 0) -> None:
    """Write n PNG images and ``labels.json`` (exact ground truth) to ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    for i in range(n):
        img, truth = sample(seed, i)
        name = f"oocyte_{seed}_{i:05d}.png"
        mnn.save_png(img, out / name)
        labels.append({"image": name, **truth})
    (out / "labels.json").write_text(
        json.dumps({"generator": GENERATOR, "version": GENERATOR_VERSION, "seed": seed, "items": labels}, indent=1)
    )
