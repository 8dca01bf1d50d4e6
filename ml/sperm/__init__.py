"""Sperm analysis: classical CASA on wet preparations (count, motility, kinematics) and, on stained
smears, morphology by the network in :mod:`ml.sperm.morphology`.

Registry contract (see :mod:`ml.registry`): load_analyzer, synth, train, evaluate, models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml.base import Analyzer
from ml.renderers import catalog

CARD = Path(__file__).with_name("CARD.md")


def load_analyzer(weights_dir: Path | None = None) -> Analyzer:
    from ml.sperm.analyzer import SpermAnalyzer

    return SpermAnalyzer(weights_dir)


def synth(n: int, out: Path, seed: int = 0, **kwargs: Any) -> None:
    """Write n wet-preparation videos (multi-frame TIFF + ground-truth JSON); smears via morphology.synth."""
    from ml.sperm.generate import synth as _synth

    _synth(n, Path(out), seed=seed, **kwargs)


def _morphology() -> Any:
    try:
        from ml.sperm import morphology
    except ImportError:
        return None
    return morphology


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    smoke: bool = False,
    resume: bool = False,
    steps: int | None = None,
    pools: int = 2,
    labs: tuple[str, ...] = (),
    lab_share: float = catalog.LAB_SHARE,
) -> dict[str, Any]:
    """The wet-preparation analysis is classical (nothing to train); this trains the morphology network
    (``labs``: laboratories' generators, ml.renderers, supplying a share of every pool's smears:
    ``lab_share``, default half)."""
    morph = _morphology()
    result: dict[str, Any] = {"casa": "classical: no training needed"}
    if morph is None:
        result["morphology"] = {"error": "ml.sperm.morphology is not installed"}
        return result
    result["morphology"] = morph.train(
        out_dir=out_dir,
        seed=seed,
        smoke=smoke,
        resume=resume,
        steps=steps,
        pools=pools,
        labs=labs,
        lab_share=lab_share,
    )
    return result


def evaluate(n: int = 40, seed: int = 1000, weights_dir: Path | None = None, **kwargs: Any) -> dict[str, Any]:
    """Video/still metrics on held-out generated data, plus morphology accuracy when available."""
    from ml.sperm.evaluation import evaluate as _evaluate

    return _evaluate(n=n, seed=seed, weights_dir=weights_dir, **kwargs)


def models() -> list[dict[str, Any]]:
    from ml.sperm.analyzer import CASA_MODEL

    out: list[dict[str, Any]] = [
        {
            "kind": "sperm",
            "name": CASA_MODEL.name,
            "version": CASA_MODEL.version,
            "sha256": CASA_MODEL.sha256,
            "card": str(CARD),
        }
    ]
    morph = _morphology()
    if morph is not None:
        if hasattr(morph, "models"):
            out.extend(morph.models())
        else:
            try:
                info = morph.load().model
                out.append(
                    {"kind": "sperm", "name": info.name, "version": info.version, "sha256": info.sha256, "card": ""}
                )
            except Exception as exc:  # weights not trained yet
                out.append({"kind": "sperm", "name": "sperm-morphology", "error": f"{type(exc).__name__}: {exc}"})
    return out
