"""How the learned analyzers' accuracy moves when images do not look like our generator's.

    python bench/ml_robustness.py [--n N] [--seed S]

The analyzers will also meet images from an independent generator (issue 4). This script takes
held-out generated images (the models' held-out streams, as the cards) and changes how they look, not what they
show: upscaled 3x with fresh sensor noise (a larger frame), JPEG at quality 60, gamma 0.6. It
prints oocyte maturity accuracy, day-3 cell count within one, blastocyst expansion within one and
TE accuracy per variant, through the analyzers' own ``analyze()``. Not part of the test run.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.embryo import generate as embryo_gen
from ml.embryo.model import EVAL_STREAM as EMBRYO_STREAM
from ml.oocyte import generate as oocyte_gen
from ml.oocyte.model import EVAL_STREAM as OOCYTE_STREAM
from ml.registry import load_analyzer


def variants(rng: np.random.Generator) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    def upscaled(img: np.ndarray) -> np.ndarray:
        h, w = img.shape[:2]
        big = np.asarray(Image.fromarray(img).resize((w * 3, h * 3), Image.Resampling.BICUBIC)).astype(np.float32)
        return np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)

    def jpeg(img: np.ndarray) -> np.ndarray:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=60)
        return np.asarray(Image.open(buf))

    def gamma(img: np.ndarray) -> np.ndarray:
        return np.clip(255 * (img / 255.0) ** 0.6, 0, 255).astype(np.uint8)

    return {"as generated": lambda img: img, "upscaled x3 + noise": upscaled, "JPEG q60": jpeg, "gamma 0.6": gamma}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="images per kind")
    ap.add_argument("--seed", type=int, default=2027)
    args = ap.parse_args()
    torch.set_num_threads(1)
    looks = variants(np.random.default_rng(7))
    oocyte, embryo = load_analyzer("oocyte"), load_analyzer("embryo")
    hits = {k: np.zeros(4) for k in looks}
    graded = 0
    for i in range(args.n):
        img, t = oocyte_gen.sample(args.seed, i, OOCYTE_STREAM)
        for k, f in looks.items():
            hits[k][0] += oocyte.analyze([f(img)], {}).interpretation["maturity"] == t["label"]
        img, t = embryo_gen.sample_day3(args.seed, i, EMBRYO_STREAM)
        for k, f in looks.items():
            hits[k][1] += abs(embryo.analyze([f(img)], {"day": 3}).interpretation["cell_count"] - t["cells"]) <= 1
        img, t = embryo_gen.sample_blastocyst(args.seed, i, EMBRYO_STREAM)
        graded += t["te"] is not None
        for k, f in looks.items():
            it = embryo.analyze([f(img)], {"day": 5}).interpretation
            hits[k][2] += abs(it["expansion"] - t["expansion"]) <= 1
            hits[k][3] += t["te"] is not None and it.get("te") == t["te"]
    print(
        f"n={args.n} per kind (held-out streams {OOCYTE_STREAM}/{EMBRYO_STREAM}, seed {args.seed}; "
        f"{graded} blastocysts graded)"
    )
    print(f"{'images':22s} {'oocyte':>8s} {'day3 +-1':>9s} {'exp +-1':>8s} {'TE':>7s}")
    for k, v in hits.items():
        rates = v / np.array([args.n, args.n, args.n, max(graded, 1)])
        print(f"{k:22s} " + " ".join(f"{r:8.3f}" for r in rates))


if __name__ == "__main__":
    main()
