"""Rendered lab images kept on disk: the labs' generators take 0.1-0.4 s an image, ml's own 0.01 s.

A pool is ``n`` images of one lab and kind at one (seed, stream), stored as grey uint8 shrunk
(antialiased) to at most ``MAX_SIDE`` px on the long side, with canonical truth whose pixel
coordinates follow the shrink. Training crops a 72-112 px square around an object that spans most
of the frame, so nothing it sees is lost; the analyzers shrink full-size images the same way
before cropping (``ml.nn.affine_crop``). A pool is rebuilt exactly from its address, so deleting the
cache only costs time. Location: ``$FERTIVISION_ML_CACHE`` or ``~/.cache/fertivision/ml``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ml import nn as mnn
from ml.renderers import catalog

MAX_SIDE = 320


def cache_dir() -> Path:
    root = os.environ.get("FERTIVISION_ML_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "fertivision" / "ml"


def shrink(img: np.ndarray, truth: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """Grey uint8 image at most MAX_SIDE px long, and the truth with its pixel coordinates scaled."""
    g = mnn.to_gray(img)
    h, w = g.shape
    f = min(1.0, MAX_SIDE / max(h, w))
    if f < 1.0:
        g = mnn.resize(g, (round(h * f), round(w * f)))
    out = dict(truth)
    if out.get("cell_centres"):
        out["cell_centres"] = [[(x + 0.5) * f - 0.5, (y + 0.5) * f - 0.5] for x, y in out["cell_centres"]]
    return (np.clip(g, 0.0, 1.0) * 255 + 0.5).astype(np.uint8), out


def _path(lab: str, kind: str, seed: int, stream: int, n: int, family: str = "embryo") -> Path:
    v = catalog.version(lab, family)
    return cache_dir() / f"{lab}_{kind}_v{v}_seed{seed}_stream{stream}_n{n}.npz"


def _load(path: Path, n: int) -> list[tuple[np.ndarray, dict[str, Any]]]:
    with np.load(path) as z:
        truths = json.loads(str(z["truth"]))
        return [(z[f"img{i}"], truths[i]) for i in range(n)]


def embryo_pool(
    lab: str, kind: str, seed: int, stream: int, n: int, log: Callable[[str], None] | None = None
) -> list[tuple[np.ndarray, dict[str, Any]]]:
    """``n`` images of ``kind`` from ``lab`` at (seed, stream), from the cache or rendered into it."""
    path = _path(lab, kind, seed, stream, n)
    if path.exists():
        return _load(path, n)
    items = []
    t0 = time.time()
    for i in range(n):
        img, truth = catalog.embryo_sample(lab, kind, seed, i, stream)
        items.append(shrink(img, truth))
        if log and (i + 1) % 500 == 0:
            log(f"rendered {i + 1}/{n} {lab}/{kind} images ({time.time() - t0:.0f}s)")
    save(path, items)
    return items


SMEAR_MIN_UM_PER_PX = 0.1  # smears are kept at 0.1 um/px or coarser (the head crops sample 0.21 um/px)


def shrink_smear(img: np.ndarray, truth: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """RGB uint8 smear at SMEAR_MIN_UM_PER_PX or coarser, with the head centres and scale following."""
    rgb = mnn.to_rgb(img)
    h, w = rgb.shape[:2]
    f = min(1.0, float(truth["um_per_px"]) / SMEAR_MIN_UM_PER_PX)
    if f < 1.0:
        rgb = mnn.resize(rgb, (round(h * f), round(w * f)))
    heads = [
        {**hd, "center": [(hd["center"][0] + 0.5) * f - 0.5, (hd["center"][1] + 0.5) * f - 0.5]}
        for hd in truth["heads"]
    ]
    out = {**truth, "um_per_px": float(truth["um_per_px"]) / f, "heads": heads}
    return (np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8), out


def smear_pool(
    lab: str, seed: int, stream: int, n: int, log: Callable[[str], None] | None = None
) -> list[tuple[np.ndarray, dict[str, Any]]]:
    """``n`` stained smears from ``lab`` at (seed, stream), from the cache or rendered into it."""
    path = _path(lab, "smear", seed, stream, n, family="sperm")
    if path.exists():
        return _load(path, n)
    items = []
    t0 = time.time()
    for i in range(n):
        img, truth = catalog.smear_sample(lab, seed, i, stream)
        items.append(shrink_smear(img, truth))
        if log and (i + 1) % 200 == 0:
            log(f"rendered {i + 1}/{n} {lab}/smear images ({time.time() - t0:.0f}s)")
    save(path, items, compress=True)
    return items


LAB_STREAM = 100  # the labs' training images; 800 validates, 900 is held out (as for ml's own generators)
LAB_POOL = 3000  # images rendered per lab and kind for training


def lab_draw(
    labs: tuple[str, ...],
    kind: str,
    seed: int,
    stream: int,
    n: int,
    log: Callable[[str], None] | None = None,
    lab_pool: int = LAB_POOL,
) -> list[tuple[str, int, np.ndarray, dict[str, Any]]]:
    """``n`` training images of ``kind`` (oocyte, day3, blastocyst, smear) spread evenly over ``labs``:
    (lab, index, image, truth).

    A training stage draws a new pool per seed stream; the labs' images are few (LAB_POOL each,
    rendered once), so the pool of stream s takes the next slice of each lab's images, wrapping
    around: the caller jitters every use afresh. (``lab_pool``: fewer, for smoke runs.)
    """
    if not labs or n <= 0:
        return []
    per = -(-n // len(labs))
    out = []
    for lab in labs:
        if kind == "smear":
            items = smear_pool(lab, seed, LAB_STREAM, lab_pool, log)
        else:
            items = embryo_pool(lab, kind, seed, LAB_STREAM, lab_pool, log)
        start = (stream * per) % lab_pool
        for j in range(per):
            k = (start + j) % lab_pool
            out.append((lab, k, items[k][0], items[k][1]))
    return out[:n]


def stage_record(labs: tuple[str, ...], family: str, lab_share: float, lab_pool: int) -> dict[str, Any]:
    """What a training stage's history records of its labs (nothing for a stage without labs)."""
    if not labs:
        return {}
    return {
        "labs": list(labs),
        "lab_share": lab_share,
        "lab_stream": LAB_STREAM,
        "lab_images": lab_pool,
        "lab_versions": {lab: catalog.version(lab, family) for lab in labs},
        "photometric": mnn.PHOTOMETRIC,
    }


def save(path: Path, items: list[tuple[np.ndarray, dict[str, Any]]], compress: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    arrays: dict[str, Any] = {f"img{i}": img for i, (img, _t) in enumerate(items)}
    arrays["truth"] = np.array(json.dumps([t for _i, t in items]))
    (np.savez_compressed if compress else np.savez)(tmp, **arrays)
    tmp.replace(path)  # a half-written pool is never read


__all__ = [
    "LAB_POOL",
    "LAB_STREAM",
    "MAX_SIDE",
    "cache_dir",
    "embryo_pool",
    "lab_draw",
    "save",
    "shrink",
    "shrink_smear",
    "smear_pool",
    "stage_record",
]
