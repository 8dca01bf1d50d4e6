"""Where the straight-ridge rule of ml.sperm.casa (LINE_LEVEL) should sit: per counted peak of a still.

    python bench/ml_sperm_lines.py [--own-seed 31337] [--own N] [--lab-seed 5] [--lab N]

Detects heads on our own generated stills and on lab c's (ml.renderers.lab_c_sperm, which rules a
Makler counting grid in some fields) with the rule off, matches every counted peak to the true heads
(within 2 um), and prints the distribution of casa.line_scores for true heads and for the false peaks
(those in fields with a grid apart), then how many of each a level would drop. Asserts nothing; not
part of the test run. 150 own and 60 lab stills take about 1 min on one core.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.renderers import lab_c_sperm
from ml.sperm import casa
from ml.sperm.generate import make_video
from ml.sperm.who import CASA

MATCH_UM = 2.0


def peaks_and_levels(frame: np.ndarray, um: float) -> tuple[np.ndarray, np.ndarray]:
    """The still's counted peaks (x, y) without the ridge rule, and each one's line and crossing scores."""
    saved = casa.LINE_LEVEL, casa.CROSS_LEVEL
    casa.LINE_LEVEL = casa.CROSS_LEVEL = np.inf
    try:
        det = casa.detect_heads([frame], um)
    finally:
        casa.LINE_LEVEL, casa.CROSS_LEVEL = saved
    pts = det.points[0]
    resp = det.polarity * casa.bandpass([frame], max(0.7, CASA.head_sigma_um / um))[0].numpy()
    h, w = resp.shape
    rc = np.stack([np.clip(np.round(pts[:, 1]), 0, h - 1), np.clip(np.round(pts[:, 0]), 0, w - 1)], 1)
    rc = rc.astype(np.int64)
    first, cross = casa.line_scores(casa.line_levels(resp, rc, resp[rc[:, 0], rc[:, 1]], um))
    return pts, np.stack([first, cross], 1)


def collect(cases: Any) -> tuple[list[np.ndarray], list[tuple[np.ndarray, bool]]]:
    heads: list[np.ndarray] = []
    false: list[tuple[np.ndarray, bool]] = []
    for frame, um, true, grid in cases:
        pts, lv = peaks_and_levels(frame, um)
        near = np.zeros(len(pts), bool)
        if len(true):
            near = np.linalg.norm(pts[:, None] - true[None], axis=2).min(axis=1) * um < MATCH_UM
        for is_head, v in zip(near, lv, strict=True):
            if is_head:
                heads.append(v)
            else:
                false.append((v, grid))
    return heads, false


def own_cases(seed: int, n: int) -> Any:
    rng = np.random.default_rng(seed)
    for _ in range(n):
        frames, gt = make_video(rng, n_frames=1)
        true = np.array([tr["positions_px"][0] for tr in gt["tracks"] if tr["inside"][0]], float).reshape(-1, 2)
        yield frames[0], gt["um_per_px"], true, False


def lab_cases(seed: int, n: int) -> Any:
    for i in range(n):
        frames, t = lab_c_sperm.video_sample(seed, i, n_frames=1)
        true = np.array([s["positions_px"][0] for s in t["sperm"] if s["in_frame0"]], float).reshape(-1, 2)
        yield frames[0], float(t["um_per_px"]), true, bool(t["makler_grid"])


def report(name: str, heads: list[np.ndarray], false: list[tuple[np.ndarray, bool]]) -> None:
    h = np.asarray(heads).reshape(-1, 2)
    f = np.asarray([v for v, _g in false]).reshape(-1, 2)
    g = np.asarray([v for v, grid in false if grid]).reshape(-1, 2)
    print(f"\n{name}: {len(h)} true heads, {len(f)} false peaks ({len(g)} in fields with a grid)")
    sweeps = ((0, "line", (0.4, 0.45, 0.5, 0.6), "LINE_LEVEL"), (1, "crossing", (0.25, 0.3, 0.35), "CROSS_LEVEL"))
    for col, what, levels, name_ in sweeps:
        if len(h):
            q = (*np.percentile(h[:, col], [50, 99, 99.9]), h[:, col].max())
            print(f"  heads' {what} score  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f" % q)
        for lv in levels:
            print(
                f"    {name_} {lv:.2f} alone: drops {int((h[:, col] > lv).sum())} heads,"
                f" {int((f[:, col] > lv).sum())}/{len(f)} false peaks"
                f" ({int((g[:, col] > lv).sum())}/{len(g)} in grid fields)"
            )
    rule = lambda a: (a[:, 0] > casa.LINE_LEVEL) | (a[:, 1] > casa.CROSS_LEVEL)  # noqa: E731
    print(
        f"  the rule as shipped: drops {int(rule(h).sum())} heads, {int(rule(f).sum())}/{len(f)} false peaks"
        f" ({int(rule(g).sum()) if len(g) else 0}/{len(g)} in grid fields)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--own-seed", type=int, default=31337)
    ap.add_argument("--own", type=int, default=150)
    ap.add_argument("--lab-seed", type=int, default=5)
    ap.add_argument("--lab", type=int, default=60)
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(f"LINE_LEVEL {casa.LINE_LEVEL}, CROSS_LEVEL {casa.CROSS_LEVEL}, CROSS_MIN_DEG {casa.CROSS_MIN_DEG}")
    report(f"own stills (seed {a.own_seed}, n={a.own})", *collect(own_cases(a.own_seed, a.own)))
    report(f"lab c stills (seed {a.lab_seed}, n={a.lab})", *collect(lab_cases(a.lab_seed, a.lab)))


if __name__ == "__main__":
    main()
