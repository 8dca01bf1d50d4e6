"""Where the day-3 cell count fails: images whose cell outlines are weaker than the cytoplasm's texture.

    python bench/ml_day3_identifiability.py [--n N] [--seed S]

For each held-out generated day-3 image (the model's held-out stream, as its card) this measures, from
the image and its exact cell circles, how well the outlines stand out: a line filter (Gaussian 3 px
minus Gaussian 1 px, positive on a dark thin line) along each cell's circle (best of radii 0.93-1.07),
its median over the cells, divided by the filter's spread inside the cells (more than 3 px from any
outline). It then prints the count's within-one rate per quintile of that ratio, and per cell count
for ratios below and above 1. Not part of the test run; it asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml import nn as mnn
from ml.embryo import model as em
from ml.embryo.generate import MAX_CELLS, MIN_CELLS, sample_day3


def outline_ratio(img: np.ndarray, truth: dict[str, Any]) -> float:
    g = mnn.to_gray(img).astype(np.float32)
    line = mnn.gauss_blur(g, 3.0) - mnn.gauss_blur(g, 1.0)
    h, w = g.shape
    yy, xx = np.mgrid[0:h, 0:w]
    near = np.full((h, w), np.inf)
    inside = np.zeros((h, w), bool)
    for (x, y), r in zip(truth["cell_centres"], truth["cell_radii"], strict=True):
        d = np.hypot(xx - x, yy - y)
        near = np.minimum(near, np.abs(d - r))
        inside |= d < r
    texture = float(line[inside & (near > 3)].std())
    ang = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    per_cell = []
    for (x, y), r in zip(truth["cell_centres"], truth["cell_radii"], strict=True):
        best = -math.inf
        for k in np.linspace(0.93, 1.07, 8):
            px = np.clip(np.round(x + r * k * np.cos(ang)).astype(int), 0, w - 1)
            py = np.clip(np.round(y + r * k * np.sin(ang)).astype(int), 0, h - 1)
            best = max(best, float(np.median(line[py, px])))
        per_cell.append(best)
    return float(np.median(per_cell)) / max(texture, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=2027)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, meta = mnn.load_weights(em.NAME_DAY3)
    xs, cells, ratios = [], [], []
    for i in range(args.n):
        img, truth = sample_day3(args.seed, i, em.EVAL_STREAM)
        xs.append(em.preprocess_t(img, None, em.input_size(meta))[0])
        cells.append(truth["cells"])
        ratios.append(outline_ratio(img, truth))
    out = mnn.predict(model, torch.from_numpy(np.stack(xs)))
    pred = em.count_probabilities(out["count"][:, 0], out["ncls"], em.count_readout(meta)).argmax(1) + MIN_CELLS
    t, r = np.array(cells), np.array(ratios)
    hit = np.abs(pred.numpy() - t) <= 1
    print(f"{meta['name']} v{meta['version']}: n={args.n} (held-out stream {em.EVAL_STREAM}, seed {args.seed})")
    print(f"within one cell: {hit.mean():.3f}\n")
    print("outline / texture ratio   images  within one")
    edges = np.quantile(r, np.linspace(0, 1, 6))
    for lo, hi in itertools.pairwise(edges):
        s = (r >= lo) & (r <= hi)
        print(f"  {lo:5.2f} - {hi:5.2f}          {int(s.sum()):6d}  {hit[s].mean():10.3f}")
    print("\ncells   ratio < 1 (n, within one)   ratio >= 1 (n, within one)")
    for c in range(MIN_CELLS, MAX_CELLS + 1):
        lo, hi = (t == c) & (r < 1), (t == c) & (r >= 1)
        print(
            f"  {c:2d}    {int(lo.sum()):4d}  {hit[lo].mean():.3f}"
            f"              {int(hi.sum()):4d}  {hit[hi].mean():.3f}"
        )


if __name__ == "__main__":
    main()
