"""The laboratories' generators by kind, each sample's truth put into ``ml``'s own vocabulary.

A lab module offers ``oocyte_sample``, ``day3_sample``, ``blastocyst_sample`` (embryology) or
``video_sample``, ``smear_sample`` (semen) as ``fn(seed, i) -> (image, truth)``. Here a sample is
addressed as ml's own generators address theirs, ``(seed, i, stream)``; the lab is given the seed
``seed * 1000 + stream`` (streams are below 1000), so training, validation and held-out streams
never share an image.

Where a lab's definition differs from ours the field is ``None`` (a training loss skips it):
 * fragmentation: ours is the share of the embryo's projected area covered by fragments; labs b,
   d and e report that area share beside their volume share (a lab reporting only volume gives None).
 * blastomere evenness: the labs define it as the Istanbul consensus does, stage-specific size
   (a 3-cell embryo of one half and two quarters is even); ours draws equal cells as even, which
   agrees only at 2, 4 and 8 cells (see ``ml.embryo.model``).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from ml.base import MLError

LAB_SHARE = 0.5  # of a training pool drawn from the labs' generators, unless a stage asks for another

EMBRYO_LABS: tuple[str, ...] = ("b", "d", "e")  # ml.renderers.lab_<x>_embryo
SPERM_LABS: tuple[str, ...] = ("c",)  # ml.renderers.lab_<x>_sperm
OOCYTE_CLASSES = ("GV", "MI", "MII", "degenerate")
GRADES_ABC = ("A", "B", "C")


def lab_seed(seed: int, stream: int) -> int:
    """The seed a lab's generator gets for ml's (seed, stream)."""
    if not 0 <= stream < 1000:
        raise MLError(f"Seed streams run from 0 to 999 (got {stream}).", code="INVALID_PARAMETER")
    return seed * 1000 + stream


def module(lab: str, family: str) -> ModuleType:
    """The lab's generator module for ``family`` ('embryo' or 'sperm')."""
    labs = EMBRYO_LABS if family == "embryo" else SPERM_LABS
    if lab not in labs:
        raise MLError(f"No lab {lab!r} for {family}; expected one of {', '.join(labs)}.", code="UNKNOWN_LAB")
    return importlib.import_module(f"ml.renderers.lab_{lab}_{family}")


def version(lab: str, family: str) -> str:
    return str(module(lab, family).VERSION)


def _centres(t: dict[str, Any]) -> list[list[float]] | None:
    c = t.get("cell_centers_px")
    return [[float(p[0]), float(p[1])] for p in c] if c else None


def _oocyte(t: dict[str, Any]) -> dict[str, Any]:
    return {"label": t["label"], "label_index": OOCYTE_CLASSES.index(t["label"])}


def _day3(t: dict[str, Any]) -> dict[str, Any]:
    area = t.get("fragment_area_pct", t.get("fragmentation_area_pct"))
    return {
        "cells": int(t["cells"]),
        "cell_centres": _centres(t),
        "fragmentation_pct": None if area is None else float(area),
        "uneven": not bool(t["even"]),
        "multinucleated": bool(t["multinucleation"]),
        "grade": int(t["istanbul_grade"]),
    }


def _blastocyst(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "expansion": int(t["expansion"]),
        "icm": t["icm"],
        "te": t["te"],
        # the auxiliary observables of ml's own generator are not drawn the same way by the labs
        "te_cells": math.nan,
        "icm_cells": math.nan,
        "te_thickness_rel": math.nan,
    }


EMBRYO_KINDS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "oocyte": ("oocyte_sample", _oocyte),
    "day3": ("day3_sample", _day3),
    "blastocyst": ("blastocyst_sample", _blastocyst),
}


def embryo_sample(lab: str, kind: str, seed: int, i: int, stream: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One image of ``kind`` (oocyte, day3, blastocyst) from a lab, with canonical truth."""
    fn, adapt = EMBRYO_KINDS[kind]
    img, truth = getattr(module(lab, "embryo"), fn)(lab_seed(seed, stream), i)
    return img, adapt(truth)


def wet_sample(
    lab: str, seed: int, i: int, stream: int, n_frames: int = 1, fps: float = 50.0
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """A wet-preparation field (a still when n_frames is 1) with its calibration and the head
    positions (px) in every frame (None where a head is outside the frame)."""
    frames, t = module(lab, "sperm").video_sample(lab_seed(seed, stream), i, n_frames=n_frames, fps=fps)
    return frames, {
        "um_per_px": float(t["um_per_px"]),
        "depth_um": float(t["depth_um"]),
        "dilution": float(t["dilution"]),
        "concentration": float(t["concentration_e6_per_ml"]),
        "heads": [s["positions_px"] for s in t["sperm"]],
    }


def smear_sample(lab: str, seed: int, i: int, stream: int) -> tuple[np.ndarray, dict[str, Any]]:
    """A stained smear with its scale and the heads (centre, normal, overlapping)."""
    img, t = module(lab, "sperm").smear_sample(lab_seed(seed, stream), i)
    heads = [
        {"center": [float(h["x"]), float(h["y"])], "normal": bool(h["normal"]), "overlapping": bool(h["overlapping"])}
        for h in t["heads"]
    ]
    return img, {"um_per_px": float(t["um_per_px"]), "heads": heads}
