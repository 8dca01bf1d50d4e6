"""Follicle monitoring on 2D transvaginal ultrasound: classical detection and measurement in mm.

Registry contract (see :mod:`ml.registry`): load_analyzer, synth, train, evaluate, models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml.base import Analyzer

CARD = Path(__file__).with_name("CARD.md")


def load_analyzer(weights_dir: Path | None = None) -> Analyzer:
    from ml.follicle.analyzer import FollicleAnalyzer

    return FollicleAnalyzer()


def synth(n: int, out: Path, seed: int = 0) -> None:
    """Write n generated ultrasound images (PNG) with ground-truth JSON."""
    from ml.follicle.generate import synth as _synth

    _synth(n, Path(out), seed=seed)


def train(out_dir: Path | None = None, seed: int = 0, smoke: bool = False) -> dict[str, Any]:
    """Nothing to train: the measurement is classical. Returns a short evaluation instead, so that
    `python -m ml train follicle` still tells the operator how the analyzer performs."""
    from ml.follicle.evaluation import evaluate as _evaluate

    metrics = _evaluate(n=5 if smoke else 20, seed=seed + 7000)
    return {"trained": False, "reason": "classical analyzer: no weights", "check": metrics}


def evaluate(n: int = 60, seed: int = 2000, weights_dir: Path | None = None) -> dict[str, Any]:
    from ml.follicle.evaluation import evaluate as _evaluate

    return _evaluate(n=n, seed=seed, weights_dir=weights_dir)


def models() -> list[dict[str, Any]]:
    from ml.follicle.analyzer import MODEL

    return [
        {"kind": "follicle", "name": MODEL.name, "version": MODEL.version, "sha256": MODEL.sha256, "card": str(CARD)}
    ]
