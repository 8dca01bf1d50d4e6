"""The one table of embryo grading definitions: the analyzer applies it and the records validate
against it (apps/cycles/clinical.py reads it; so this module imports neither torch nor Django).
A clinic may change it here.

Sources (see /work/shared/CLINICAL.md):
  - Istanbul consensus, ESHRE/ALPHA 2011: "The Istanbul consensus workshop on embryo assessment:
    proceedings of an expert meeting", Hum Reprod 2011;26(6):1270-83 (cleavage grades, day-3 cell number).
  - Gardner DK, Schoolcraft WB. "In vitro culture of human blastocysts", 1999 (expansion 1-6, ICM and TE A-C).
"""

from __future__ import annotations

from typing import Any

SOURCE_ISTANBUL = "Istanbul consensus (ESHRE/ALPHA 2011), Hum Reprod 26(6):1270-83"
SOURCE_GARDNER = "Gardner & Schoolcraft 1999, blastocyst grading"

# Istanbul cleavage-stage grade. "uneven" stands for "cell sizes not stage-specific".
ISTANBUL: dict[str, Any] = {
    "source": SOURCE_ISTANBUL,
    "grade_1_max_fragmentation_pct": 10.0,  # grade 1: < 10 %, stage-specific size, no multinucleation
    "grade_2_max_fragmentation_pct": 25.0,  # grade 2: 10-25 %, mostly stage-specific size, no multinucleation
    # grade 3: > 25 %, or sizes not stage-specific, or multinucleation
    "expected_cells": {2: 4, 3: 8},  # day 2 (44 +/- 1 h): 4 cells; day 3 (68 +/- 1 h): 8 cells
    "grades": {
        1: "good: < 10 % fragmentation, stage-specific cell size, no multinucleation",
        2: "fair: 10-25 % fragmentation, stage-specific size for most cells, no multinucleation",
        3: "poor: > 25 % fragmentation, or cell size not stage-specific, or multinucleation",
    },
}

GARDNER_EXPANSION: dict[int, str] = {
    1: "early blastocyst: cavity less than half the embryo volume",
    2: "blastocyst: cavity at least half the volume",
    3: "full blastocyst: cavity fills the embryo",
    4: "expanded: larger than the embryo, zona thinning",
    5: "hatching: trophectoderm herniating through the zona",
    6: "hatched: out of the zona",
}
GARDNER_MIN_EXPANSION_FOR_ICM_TE = 3  # ICM and TE are graded only from expansion 3
GARDNER_ICM: dict[str, str] = {
    "A": "many cells, tightly packed",
    "B": "several cells, loosely grouped",
    "C": "very few cells",
}
GARDNER_TE: dict[str, str] = {
    "A": "many cells forming a cohesive epithelium",
    "B": "few cells forming a loose epithelium",
    "C": "very few large cells",
}
GRADES_ABC: tuple[str, ...] = ("A", "B", "C")

# Quality score (0-1) used only to RANK embryos of one cohort; it is not a probability of
# implantation. It is the expectation, under the network's predicted probabilities, of these points.
QUALITY_SCORE: dict[str, Any] = {
    "note": "ranking heuristic over predicted grade probabilities; not an outcome prediction",
    "day3": {
        "weights": {"grade": 0.5, "cells": 0.3, "fragmentation": 0.2},
        "grade_points": {1: 1.0, 2: 0.6, 3: 0.2},
        # cells: 1 at the expected day-3 count (8), falling linearly by 0.2 per cell away from it
        "cells_slope": 0.2,
        "fragmentation_zero_at_pct": 50.0,  # 1 - fragmentation / 50, floored at 0
    },
    "blastocyst": {
        "weights": {"expansion": 0.4, "icm": 0.35, "te": 0.25},
        "expansion_points": {1: 0.1, 2: 0.3, 3: 0.6, 4: 0.9, 5: 1.0, 6: 1.0},
        "abc_points": {"A": 1.0, "B": 0.6, "C": 0.2},
        "ungraded_points": 0.0,  # ICM/TE below expansion 3 contribute nothing
    },
}


def istanbul_grade(fragmentation_pct: float, uneven: bool, multinucleated: bool) -> int:
    """Cleavage grade 1/2/3 from fragmentation, size evenness and multinucleation (Istanbul 2011)."""
    if multinucleated or uneven or fragmentation_pct > ISTANBUL["grade_2_max_fragmentation_pct"]:
        return 3
    if fragmentation_pct >= ISTANBUL["grade_1_max_fragmentation_pct"]:
        return 2
    return 1


def gardner_string(expansion: int, icm: str | None, te: str | None) -> str:
    """'4AB' at expansion >= 3, just '2' below (ICM and TE are not graded there)."""
    if expansion < GARDNER_MIN_EXPANSION_FOR_ICM_TE or icm is None or te is None:
        return str(expansion)
    return f"{expansion}{icm}{te}"
