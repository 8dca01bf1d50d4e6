"""Follicle-monitoring thresholds: the one table a clinic reviews and edits.

Source: /work/shared/CLINICAL.md "Follicle monitoring" (typical values from ovarian-stimulation
practice; ESHRE ovarian stimulation guideline 2019/2020 — check against the clinic's own guideline).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "CLINICAL.md follicle monitoring (typical practice; ESHRE ovarian stimulation guideline) (check)"


@dataclass(frozen=True)
class FollicleCriteria:
    afc_min_mm: float = 2.0  # antral follicles: 2-10 mm (count both ovaries, cycle days 2-4)
    afc_max_mm: float = 10.0
    lead_mm: float = 17.0  # trigger readiness: >= 3 follicles >= 17-18 mm ...
    lead_count: int = 3
    cohort_mm: float = 14.0  # ... with the cohort >= 14 mm
    ohss_afc: int = 24  # OHSS risk: AFC > 24
    ohss_ge11_mm: float = 11.0  # >= 13 follicles >= 11 mm on trigger day
    ohss_ge11_count: int = 13
    ohss_total_count: int = 18  # >= 18 follicles (with estradiol >= 5000 pg/mL)
    ohss_estradiol_pg_ml: float = 5000.0
    lead_follicles_listed: int = 3
    size_bins_mm: tuple[float, ...] = (2.0, 5.0, 10.0, 14.0, 17.0, 20.0)


CRITERIA = FollicleCriteria()
