"""Held-out evaluation of the follicle analyzer on freshly generated images with exact truth."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ml.base import judge
from ml.follicle.analyzer import FollicleAnalyzer
from ml.follicle.detect import match
from ml.follicle.generate import make_image

ACCEPTANCE = {
    "f1_ge_3mm": (">=", 0.9),
    "diameter_mae_mm": ("<=", 1.0),
    "afc_within_1_fraction": (">=", 0.9),
}


def score(result: Any, gt: dict[str, Any], min_mm: float = 3.0) -> dict[str, Any]:
    """TP/FP/FN for follicles >= min_mm, diameter errors of matched ones, AFC of the image."""
    mm = gt["mm_per_px"]
    dets = [d for d in result.detections if d.label == "follicle"]
    pred = [
        (d.attributes["centre_px"][0], d.attributes["centre_px"][1], d.attributes["mean_diameter_mm"] / mm)
        for d in dets
    ]
    truth = [(f["cx"], f["cy"], f["mean_diameter_mm"] / mm) for f in gt["follicles"]]
    pairs = match(pred, truth)
    mp = {i: j for i, j in pairs}
    mt = {j: i for i, j in pairs}
    big = [j for j, f in enumerate(gt["follicles"]) if f["mean_diameter_mm"] >= min_mm]
    tp = sum(j in mt for j in big)
    fn = len(big) - tp
    # a detection matching a small (< min_mm) follicle is neither a hit nor a false alarm
    fp = sum(1 for i, d in enumerate(dets) if i not in mp and d.attributes["mean_diameter_mm"] >= min_mm)
    errs: list[float] = []
    axis_errs: list[float] = []
    for i, j in pairs:
        f = gt["follicles"][j]
        if f["mean_diameter_mm"] >= min_mm:
            errs.append(abs(dets[i].attributes["mean_diameter_mm"] - f["mean_diameter_mm"]))
            d_meas = sorted(dets[i].attributes["diameters_mm"])
            d_true = sorted(f["diameters_mm"])
            axis_errs += [abs(a - b) for a, b in zip(d_meas, d_true, strict=True)]
    afc_m = result.measurement("afc")
    afc = afc_m.value if afc_m and afc_m.value is not None else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "errors": errs, "axis_errors": axis_errs, "afc": afc, "afc_true": gt["afc"]}


def evaluate(n: int = 60, seed: int = 2000, weights_dir: Any = None) -> dict[str, Any]:
    """Metrics on n generated images from a seed disjoint from the test and synth defaults."""
    rng = np.random.default_rng(seed)
    analyzer = FollicleAnalyzer()
    tp = fp = fn = 0
    errs: list[float] = []
    afc_ok = 0
    afc_abs = []
    times = []
    axis_errs: list[float] = []
    for _ in range(n):
        img, gt = make_image(rng)
        t0 = time.perf_counter()
        res = analyzer.analyze([img], {"mm_per_px": gt["mm_per_px"]})
        times.append(time.perf_counter() - t0)
        s = score(res, gt)
        tp, fp, fn = tp + s["tp"], fp + s["fp"], fn + s["fn"]
        errs += s["errors"]
        axis_errs += s["axis_errors"]
        afc_abs.append(abs(s["afc"] - s["afc_true"]))
        afc_ok += abs(s["afc"] - s["afc_true"]) <= 1
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    metrics: dict[str, Any] = {
        "n_images": n,
        "follicles_ge_3mm": tp + fn,
        "precision_ge_3mm": precision,
        "recall_ge_3mm": recall,
        "f1_ge_3mm": f1,
        "diameter_mae_mm": float(np.mean(errs)) if errs else math.nan,
        "axis_mae_mm": float(np.mean(axis_errs)) if axis_errs else math.nan,
        "afc_mae": float(np.mean(afc_abs)),
        "afc_within_1_fraction": afc_ok / n,
        "seconds_per_image": float(np.mean(times)),
    }
    return judge(metrics, ACCEPTANCE)
