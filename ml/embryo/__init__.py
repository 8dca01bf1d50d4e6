"""Embryo analyzer (registry contract: load_analyzer, synth, train, evaluate, models).

Parameter ``day`` (3, 5 or 6) is required: day 3 gives cell number, fragmentation and the
Istanbul grade; day 5/6 gives the Gardner grade. Grading definitions: :mod:`ml.embryo.grading`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml.renderers import catalog

__all__ = ["evaluate", "load_analyzer", "models", "synth", "train"]


def synth(n: int, out: Path, seed: int = 0) -> None:
    """Generated day-3 and blastocyst images with exact labels (see :mod:`ml.embryo.generate`).
    Imported on call, like everything here that needs torch, so that :mod:`ml.embryo.grading`, the
    grading table the records share, can be imported without it."""
    from ml.embryo.generate import synth as _synth

    _synth(n, out, seed)


def load_analyzer(weights_dir: Path | None = None) -> Any:
    from ml.embryo.model import EmbryoAnalyzer

    return EmbryoAnalyzer(weights_dir)


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    smoke: bool = False,
    resume: bool = False,
    steps: int | None = None,
    model: str | None = None,
    polar: bool = False,
    pools: int = 4,
    labs: tuple[str, ...] = (),
    lab_share: float = catalog.LAB_SHARE,
) -> dict[str, Any]:
    """Both networks, or only ``model`` ("embryo_day3" or "embryo_blastocyst"). ``polar``: a resumed
    blastocyst stage that trains the polar TE branch; ``pools``: how many pools of freshly generated
    images the stage draws, 1 to 10; ``labs``: laboratories' generators (ml.renderers) that supply
    a share of every pool (``lab_share``, default half; see :func:`ml.embryo.model.train`)."""
    from ml.base import ParameterError
    from ml.embryo.model import NAME_BLAST, NAME_DAY3
    from ml.embryo.model import train as _train

    names: tuple[str, ...] = (NAME_DAY3, NAME_BLAST)
    if model is not None:
        if model not in names:
            raise ParameterError(f"Unknown embryo model {model!r}; choose one of {', '.join(names)}.")
        names = (model,)
    return _train(
        out_dir=out_dir,
        seed=seed,
        smoke=smoke,
        resume=resume,
        steps=steps,
        names=names,
        polar=polar,
        pools=pools,
        labs=labs,
        lab_share=lab_share,
    )


def evaluate(n: int | None = None, seed: int = 12345, weights_dir: Path | None = None) -> dict[str, Any]:
    """Held-out metrics on n images per model (default :data:`ml.embryo.model.EVAL_N`)."""
    from ml.embryo.model import EVAL_N
    from ml.embryo.model import evaluate as _evaluate

    return _evaluate(n=EVAL_N if n is None else n, seed=seed, weights_dir=weights_dir)


def models(weights_dir: Path | None = None) -> list[dict[str, Any]]:
    from ml import nn as mnn
    from ml.embryo.model import NAME_BLAST, NAME_DAY3

    return mnn.describe_models([NAME_DAY3, NAME_BLAST], weights_dir)
