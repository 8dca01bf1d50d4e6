"""Our analyzers on images from a generator that is not ours: the issue's independent-generator check.

    python bench/ml_independent.py GEN.py [--kinds oocyte day3 ...] [--n N] [--seed S]

GEN.py is a generator module written apart from ``ml/`` (by someone who never read our generators)
to the interface below; the sets kept are in ``bench/independent/`` (its README: never used to
train, tune or select a model); this script imports it from its path, draws ``--n`` cases per kind and
scores our analyzers through their own ``analyze()`` with the calibration the generator states,
as a clinic would enter it. It prints figures per kind, asserts nothing and is not part of the
test run. A kind whose function the module lacks is skipped.

    oocyte_sample(seed, i) -> (image, {"label", "um_per_px"})
    day3_sample(seed, i) -> (image, {"cells", "fragmentation_pct", "istanbul_grade", ...})
    blastocyst_sample(seed, i) -> (image, {"expansion", "icm", "te", "day", ...})
    smear_sample(seed, i) -> (rgb, {"um_per_px", "heads": [{"x", "y", "normal", "overlapping"}]})
    video_sample(seed, i, n_frames, fps) -> (frames, {"um_per_px", "depth_um", "dilution", "fps",
        "concentration_e6_per_ml", "pr_pct", "np_pct", "im_pct",
        "sperm": [{"grade", "positions_px", "vcl_um_s", "vsl_um_s", "vap_um_s"}]})
    follicle_sample(seed, i) -> (grey, {"mm_per_px", "follicles": [{"cx", "cy", "diameters_mm",
        "mean_diameter_mm"}], "afc"})

A still (``video_sample(..., n_frames=1)``) scores concentration; a video scores PR, total motility,
its concentration and per-track VCL/VSL/VAP against the truth computed on the exact head path.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.base import AnalysisResult, MLError
from ml.follicle.detect import match
from ml.registry import load_analyzer

KINDS = ("oocyte", "day3", "blastocyst", "smear", "still", "video", "follicle")


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"independent_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _value(res: AnalysisResult, name: str) -> float:
    m = res.measurement(name)
    return float(m.value) if m is not None and m.value is not None else math.nan


def _rate(hits: list[bool]) -> float:
    return float(np.mean(hits)) if hits else math.nan


def _q(v: list[float], f: Callable[[Any], Any]) -> float:
    return float(f(v)) if v else math.nan


class Refusals:
    """Codes of the cases an analyzer refused (an MLError), so a refusal is counted, not scored."""

    def __init__(self) -> None:
        self.codes: Counter[str] = Counter()

    def run(self, fn: Callable[..., AnalysisResult], *args: Any) -> AnalysisResult | None:
        try:
            return fn(*args)
        except MLError as exc:
            self.codes[exc.code] += 1
            return None

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.codes.most_common()) or "none"


def score_oocyte(gen: ModuleType, seed: int, n: int) -> dict[str, Any]:
    an, ref = load_analyzer("oocyte"), Refusals()
    labels = ["GV", "MI", "MII", "degenerate"]
    conf = np.zeros((4, 4), int)
    for i in range(n):
        img, t = gen.oocyte_sample(seed, i)
        res = ref.run(an.analyze, [img], {"um_per_px": t["um_per_px"]})
        if res is not None:
            conf[labels.index(t["label"]), labels.index(res.interpretation["maturity"])] += 1
    scored = int(conf.sum())
    return {
        "accuracy": float(np.trace(conf) / max(scored, 1)),
        "recall": {k: round(float(conf[j, j] / max(conf[j].sum(), 1)), 3) for j, k in enumerate(labels)},
        "confusion (rows truth GV/MI/MII/deg)": conf.tolist(),
        "scored": scored,
        "refused": str(ref),
    }


def score_day3(gen: ModuleType, seed: int, n: int) -> dict[str, Any]:
    an, ref = load_analyzer("embryo"), Refusals()
    within1, exact, grade, frag = [], [], [], []
    by_cells: dict[int, list[bool]] = {}
    for i in range(n):
        img, t = gen.day3_sample(seed, i)
        res = ref.run(an.analyze, [img], {"day": 3, "um_per_px": t["um_per_px"]})
        if res is None:
            continue
        it = res.interpretation
        ok = abs(int(it["cell_count"]) - int(t["cells"])) <= 1
        within1.append(ok)
        by_cells.setdefault(int(t["cells"]), []).append(ok)
        exact.append(int(it["cell_count"]) == int(t["cells"]))
        grade.append(int(it["istanbul_grade"]) == int(t["istanbul_grade"]))
        frag.append(abs(float(it["fragmentation_pct"]) - float(t["fragmentation_pct"])))
    return {
        "cell_count_within1": _rate(within1),
        "cell_count_exact": _rate(exact),
        "within1_by_cells": {k: round(_rate(v), 2) for k, v in sorted(by_cells.items())},
        "fragmentation_mae_pct": _q(frag, np.mean),
        "istanbul_grade_accuracy": _rate(grade),
        "scored": len(within1),
        "refused": str(ref),
    }


def score_blastocyst(gen: ModuleType, seed: int, n: int) -> dict[str, Any]:
    an, ref = load_analyzer("embryo"), Refusals()
    exact, within1, icm, te = [], [], [], []
    conf = np.zeros((6, 6), int)
    for i in range(n):
        img, t = gen.blastocyst_sample(seed, i)
        params = {"day": int(t.get("day", 5)), "um_per_px": t["um_per_px"]}
        res = ref.run(an.analyze, [img], params)
        if res is None:
            continue
        it = res.interpretation
        e_t, e_p = int(t["expansion"]), int(it["expansion"])
        conf[e_t - 1, e_p - 1] += 1
        exact.append(e_t == e_p)
        within1.append(abs(e_t - e_p) <= 1)
        if t["icm"] is not None:
            icm.append(it.get("icm") == t["icm"])
            te.append(it.get("te") == t["te"])
    return {
        "expansion_exact": _rate(exact),
        "expansion_within1": _rate(within1),
        "expansion confusion (rows truth 1-6)": conf.tolist(),
        "icm_accuracy": _rate(icm),
        "te_accuracy": _rate(te),
        "n_graded": len(icm),
        "scored": len(exact),
        "refused": str(ref),
    }


def score_smear(gen: ModuleType, seed: int, n: int) -> dict[str, Any]:
    an, ref = load_analyzer("sperm"), Refusals()
    correct = matched = truth_n = found = 0
    nf_err: list[float] = []
    no_call = 0  # smears with heads where the analyzer classified none (normal_forms has no value)
    for i in range(n):
        img, t = gen.smear_sample(seed, i)
        upx = float(t["um_per_px"])
        res = ref.run(an.analyze, [img], {"preparation": "smear", "um_per_px": upx})
        if res is None:
            continue
        heads = [h for h in t["heads"] if not h.get("overlapping")]
        boxes = [d for d in res.detections if d.type == "box" and d.label in ("normal", "abnormal")]
        found += len(boxes)
        truth_n += len(heads)
        used: set[int] = set()
        for h in heads:
            best, bd = -1, 2.5 / upx  # um: a head's half-length
            for j, d in enumerate(boxes):
                assert d.box is not None
                cx, cy = (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2
                dist = math.hypot(cx - h["x"], cy - h["y"])
                if j not in used and dist < bd:
                    best, bd = j, dist
            if best >= 0:
                used.add(best)
                matched += 1
                correct += (boxes[best].label == "normal") == bool(h["normal"])
        if heads:
            true_nf = 100.0 * sum(bool(h["normal"]) for h in heads) / len(heads)
            nf = _value(res, "normal_forms")
            if math.isnan(nf):
                no_call += 1
            else:
                nf_err.append(abs(nf - true_nf))
    return {
        "accuracy_on_matched_heads": correct / max(matched, 1),
        "head_recall": matched / max(truth_n, 1),
        "head_precision": matched / max(found, 1),
        "normal_forms_mae_pp": _q(nf_err, np.mean),
        "normal_forms_max_error_pp": _q(nf_err, np.max),
        "smears_without_a_classified_head": no_call,
        "heads_truth": truth_n,
        "refused": str(ref),
    }


def _calibration(t: dict[str, Any]) -> dict[str, Any]:
    return {"um_per_px": t["um_per_px"], "depth_um": t["depth_um"], "dilution": t["dilution"]}


def score_still(gen: ModuleType, seed: int, n: int) -> dict[str, Any]:
    an, ref = load_analyzer("sperm"), Refusals()
    errs: list[float] = []
    for i in range(n):
        frames, t = gen.video_sample(seed, i, n_frames=1)
        res = ref.run(an.analyze, frames, _calibration(t))
        if res is not None:
            c_true = float(t["concentration_e6_per_ml"])
            errs.append((_value(res, "concentration") - c_true) / c_true)
    a = [abs(e) for e in errs]
    return {
        "concentration_median_rel_error": _q(a, np.median),
        "concentration_max_rel_error": _q(a, np.max),
        "signed_median": _q(errs, np.median),
        "over_10pct": sum(x > 0.10 for x in a),
        "scored": len(errs),
        "refused": str(ref),
    }


def _track_pairs(res: AnalysisResult, t: dict[str, Any], upx: float) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(truth sperm, measured track attributes) for motile sperm in the field in every frame."""
    n_frames = len(t["sperm"][0]["positions_px"]) if t["sperm"] else 0
    full = [d for d in res.detections if d.type == "track" and len(d.points) == n_frames]
    if not full:
        return []
    det = np.array([d.points for d in full], float)
    pairs, used = [], set()
    for s in t["sperm"]:
        if s["grade"] == "d" or any(p is None for p in s["positions_px"]):
            continue
        dist = np.linalg.norm(det - np.asarray(s["positions_px"], float)[None], axis=2).mean(axis=1) * upx
        j = int(np.argmin(dist))
        if dist[j] < 1.5 and j not in used:
            used.add(j)
            pairs.append((s, full[j].attributes))
    return pairs


def score_video(gen: ModuleType, seed: int, n: int, frames_n: int = 100, fps: float = 50.0) -> dict[str, Any]:
    an, ref = load_analyzer("sperm"), Refusals()
    pr, tm, conc, secs = [], [], [], []
    kin: dict[str, list[float]] = {"vcl": [], "vsl": [], "vap": []}
    for i in range(n):
        frames, t = gen.video_sample(seed, i, n_frames=frames_n, fps=fps)
        t0 = time.perf_counter()
        res = ref.run(an.analyze, frames, {**_calibration(t), "fps": t["fps"]})
        if res is None:
            continue
        secs.append(time.perf_counter() - t0)
        pr.append(_value(res, "progressive_motility") - float(t["pr_pct"]))
        tm.append(_value(res, "total_motility") - (float(t["pr_pct"]) + float(t["np_pct"])))
        c_true = float(t["concentration_e6_per_ml"])
        conc.append(abs(_value(res, "concentration") - c_true) / c_true)
        for s, att in _track_pairs(res, t, float(t["um_per_px"])):
            for k in kin:
                true = float(s[f"{k}_um_s"])
                if true > 1e-6:
                    kin[k].append(abs(float(att[k]) - true) / true)
    apr, atm = [abs(x) for x in pr], [abs(x) for x in tm]
    out: dict[str, Any] = {
        "pr_mae_pp": _q(apr, np.mean),
        "pr_max_pp": _q(apr, np.max),
        "pr_signed_mean_pp": _q(pr, np.mean),
        "pr_beyond_5": sum(x > 5 for x in apr),
        "tm_mae_pp": _q(atm, np.mean),
        "tm_max_pp": _q(atm, np.max),
        "tm_signed_mean_pp": _q(tm, np.mean),
        "tm_beyond_5": sum(x > 5 for x in atm),
        "concentration_median_rel_error": _q(conc, np.median),
        "concentration_max_rel_error": _q(conc, np.max),
        "tracks_matched": len(kin["vcl"]),
        "seconds_per_video": _q(secs, np.mean),
        "scored": len(pr),
        "refused": str(ref),
    }
    for k, v in kin.items():
        out[f"{k}_median_rel_error"] = _q(v, np.median)
    return out


def score_follicle(gen: ModuleType, seed: int, n: int) -> dict[str, Any]:
    an, ref = load_analyzer("follicle"), Refusals()
    tp = fp = fn = 0
    errs: list[float] = []
    afc_ok: list[bool] = []
    for i in range(n):
        img, t = gen.follicle_sample(seed, i)
        mm = float(t["mm_per_px"])
        res = ref.run(an.analyze, [img], {"mm_per_px": mm})
        if res is None:
            continue
        dets = [d for d in res.detections if d.label == "follicle"]
        pred = [(*d.attributes["centre_px"], d.attributes["mean_diameter_mm"] / mm) for d in dets]
        truth = [(f["cx"], f["cy"], f["mean_diameter_mm"] / mm) for f in t["follicles"]]
        pairs = match(pred, truth)
        mp, mt = dict(pairs), {j: i for i, j in pairs}
        big = [j for j, f in enumerate(t["follicles"]) if f["mean_diameter_mm"] >= 3.0]
        tp += sum(j in mt for j in big)
        fn += sum(j not in mt for j in big)
        fp += sum(1 for k, d in enumerate(dets) if k not in mp and d.attributes["mean_diameter_mm"] >= 3.0)
        for k, j in pairs:
            if t["follicles"][j]["mean_diameter_mm"] >= 3.0:
                errs.append(abs(dets[k].attributes["mean_diameter_mm"] - t["follicles"][j]["mean_diameter_mm"]))
        afc_ok.append(abs(_value(res, "afc") - int(t["afc"])) <= 1)
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {
        "f1_ge_3mm": 2 * p * r / max(p + r, 1e-9),
        "precision": p,
        "recall": r,
        "diameter_mae_mm": _q(errs, np.mean),
        "afc_within_1_fraction": _rate(afc_ok),
        "follicles_ge_3mm": tp + fn,
        "scored": len(afc_ok),
        "refused": str(ref),
    }


SCORERS: dict[str, tuple[str, Callable[[ModuleType, int, int], dict[str, Any]]]] = {
    "oocyte": ("oocyte_sample", score_oocyte),
    "day3": ("day3_sample", score_day3),
    "blastocyst": ("blastocyst_sample", score_blastocyst),
    "smear": ("smear_sample", score_smear),
    "still": ("video_sample", score_still),
    "video": ("video_sample", score_video),
    "follicle": ("follicle_sample", score_follicle),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("generator", type=Path, help="path of the independent generator module (gen.py)")
    ap.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    ap.add_argument("--n", type=int, default=100, help="cases per kind (videos: a quarter of it)")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    torch.set_num_threads(1)
    gen = load_module(args.generator.resolve())
    print(f"generator {args.generator} seed {args.seed}")
    for kind in args.kinds:
        fn_name, scorer = SCORERS[kind]
        if not hasattr(gen, fn_name):
            continue
        n = max(1, args.n // 4) if kind == "video" else args.n
        t0 = time.perf_counter()
        figures = scorer(gen, args.seed, n)
        print(f"\n{kind} (n={n}, {time.perf_counter() - t0:.0f} s)")
        for k, v in figures.items():
            print(f"  {k:40s} {round(v, 4) if isinstance(v, float) else v}")


if __name__ == "__main__":
    main()
