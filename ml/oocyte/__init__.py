"""Oocyte maturity analyzer (registry contract: load_analyzer, synth, train, evaluate, models)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml.oocyte.generate import CLASSES, synth
from ml.renderers import catalog

__all__ = ["CLASSES", "evaluate", "load_analyzer", "models", "synth", "train"]


def load_analyzer(weights_dir: Path | None = None) -> Any:
    from ml.oocyte.model import OocyteAnalyzer

    return OocyteAnalyzer(weights_dir)


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    smoke: bool = False,
    resume: bool = False,
    steps: int | None = None,
    pools: int = 4,
    labs: tuple[str, ...] = (),
    lab_share: float = catalog.LAB_SHARE,
) -> dict[str, Any]:
    """``pools``: how many pools of freshly generated images the stage draws (1 to 10); ``labs``:
    laboratories' generators (ml.renderers) that supply a share of every pool (``lab_share``, default
    half)."""
    from ml.oocyte.model import train as _train

    return _train(
        out_dir=out_dir,
        seed=seed,
        smoke=smoke,
        resume=resume,
        steps=steps,
        pools=pools,
        labs=labs,
        lab_share=lab_share,
    )


def evaluate(n: int = 400, seed: int = 12345, weights_dir: Path | None = None) -> dict[str, Any]:
    from ml.oocyte.model import evaluate as _evaluate

    return _evaluate(n=n, seed=seed, weights_dir=weights_dir)


def models(weights_dir: Path | None = None) -> list[dict[str, Any]]:
    from ml import nn as mnn
    from ml.oocyte.model import NAME

    return mnn.describe_models([NAME], weights_dir)
