"""Lazy access to the analyzers by kind. The Django bridge and the CLI both go through here.

Each kind is a package ``ml.<kind>`` exposing:
  load_analyzer(weights_dir: Path | None = None) -> Analyzer
  synth(n: int, out: Path, seed: int = 0) -> None          # images + ground-truth JSON
  train(out_dir: Path | None = None, seed: int = 0, smoke: bool = False) -> dict  # metrics
  evaluate(n: int = ..., seed: int = ..., weights_dir: Path | None = None) -> dict  # metrics
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ml.base import KINDS, Analyzer, MLError


def kind_module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise MLError(f"Unknown analysis kind {kind!r}; expected one of {', '.join(KINDS)}.", code="UNKNOWN_KIND")
    return importlib.import_module(f"ml.{kind}")


def load_analyzer(kind: str) -> Analyzer:
    analyzer: Analyzer = kind_module(kind).load_analyzer()
    return analyzer
