"""Reference limits, CASA settings and the semen-analysis nomenclature: the one table a clinic edits.

Sources:
  * WHO laboratory manual for the examination and processing of human semen, 6th edition (2021):
    lower reference limits (5th centiles), motility grades, nomenclature.
  * CASA kinematic definitions (VCL, VSL, VAP, LIN, STR, WOB, ALH, BCF) as summarised in the same
    manual and in /work/shared/CLINICAL.md. Thresholds differ between species and systems, hence settings.
Values marked "(check)" in CLINICAL.md must be confirmed against the primary source before a report
relies on them (the hypospermia limit is the volume lower limit; cryptozoospermia is not decidable here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SOURCE = "WHO laboratory manual for the examination and processing of human semen, 6th ed. (2021)"


@dataclass(frozen=True)
class Limit:
    name: str  # measurement name (DESIGN.md vocabulary)
    lower: float
    unit: str
    term_below: str  # the nomenclature term when below the limit


# Lower reference limits (5th centile), WHO 6th edition (2021). 5th edition (2010) values in comments.
LOWER_LIMITS: dict[str, Limit] = {
    "volume": Limit("volume", 1.4, "mL", "hypospermia"),  # 2010: 1.5
    "concentration": Limit("concentration", 16.0, "10^6/mL", "oligozoospermia"),  # 2010: 15
    "total_count": Limit("total_count", 39.0, "10^6/ejaculate", "oligozoospermia"),  # 2010: 39
    "total_motility": Limit("total_motility", 42.0, "%", "asthenozoospermia"),  # 2010: 40
    "progressive_motility": Limit("progressive_motility", 30.0, "%", "asthenozoospermia"),  # 2010: 32
    "vitality": Limit("vitality", 54.0, "%", "necrozoospermia"),  # 2010: 58
    "normal_forms": Limit("normal_forms", 4.0, "%", "teratozoospermia"),  # 2010: 4
}


@dataclass(frozen=True)
class CasaSettings:
    """Kinematic thresholds and tracking settings (human sperm, 37 °C). Change per species or system."""

    rapid_vsl_um_s: float = 25.0  # grade a: >= 25 um/s straight-line progression (WHO 2021)
    progressive_vsl_um_s: float = 5.0  # grade b: 5 to < 25 um/s; below: c (if moving) or d
    immotile_rms_um: float = 0.6  # head RMS excursion about its mean position below this: immotile (d)
    vap_window_s: float = 0.1  # moving-average window for the average path (VAP, ALH, BCF)
    min_track_s: float = 0.2  # shorter tracks are not graded
    max_start_s: float = 0.1  # motility is graded on sperm present at the start (unbiased by flux)
    gate_speed_um_s: float = 300.0  # largest head displacement per second the linker accepts
    max_gap_frames: int = 2  # a head may vanish this many frames (overlap) and keep its track
    merge_um: float = 3.0  # two heads whose predictions are this close to one detection: merged
    # A confirmed track moves on from its prediction by no more than this multiple of its largest
    # step over its last 5 placed frames, plus the floor (um per frame): a slow sperm whose head is
    # hidden for a frame does not take the head of a fast one passing by (crowded fields).
    step_gate_factor: float = 2.0
    step_gate_floor_um: float = 1.0
    head_sigma_um: float = 1.2  # band-pass scale matched to a ~4.5 x 3 um human sperm head
    detect_min_snr: float = 4.5  # peaks must exceed this many noise standard deviations ...
    detect_rel: float = 0.4  # ... and this fraction of the typical head response
    weak_min_snr: float = 3.0  # videos: fainter peaks are linked too ...
    weak_rel: float = 0.2
    min_strong_fraction: float = 0.5  # ... but a track counts only if this share of it is strong
    # A still or video is refused when its typical head is fainter than this many noise standard
    # deviations: the noise floor (detect_min_snr) then cuts into the heads themselves and the count is
    # low. On 600 generated stills (seeds 31337, 5555, 4711), the 10 with heads below 7 lost 11 % of
    # their count on average (25 % at worst); the 15 from 7 to 8 lost 3.9 % (8 % at worst); above 8,
    # < 1 %. In videos faint moving heads drop out of their tracks: of 200 generated videos
    # (seeds 8080, 1000) the 3 below 7 were counted 26 %, 17 % and 3.6 % low, all others within 4.7 %.
    min_head_snr: float = 7.0
    min_heads_to_judge_snr: int = 10  # fewer peaks: too few to say what a typical head is
    min_count_for_precision: int = 200  # WHO asks for >= 200 sperm counted per replicate


CASA = CasaSettings()


def grade(vsl_um_s: float, rms_um: float, settings: CasaSettings = CASA) -> str:
    """WHO 2021 motility grade from a track's straight-line velocity and head excursion."""
    if rms_um < settings.immotile_rms_um:
        return "d"
    if vsl_um_s >= settings.rapid_vsl_um_s:
        return "a"
    if vsl_um_s >= settings.progressive_vsl_um_s:
        return "b"
    return "c"


def flag(name: str, value: float | None) -> tuple[float | None, str | None]:
    """(reference limit, flag) for a measurement, flag 'below_reference_limit' or None."""
    lim = LOWER_LIMITS.get(name)
    if lim is None or value is None:
        return (lim.lower if lim else None), None
    return lim.lower, ("below_reference_limit" if value < lim.lower else None)


def interpret(values: Mapping[str, float | None], *, sperm_seen: bool | None = None) -> dict[str, Any]:
    """Nomenclature for the measured values (None = not measured). Terms describe, they do not diagnose."""
    below = [n for n, v in values.items() if v is not None and n in LOWER_LIMITS and v < LOWER_LIMITS[n].lower]
    terms: list[str] = []
    notes: list[str] = []
    if sperm_seen is False:
        terms.append("azoospermia")
        notes.append(
            "No sperm were seen in the examined field(s). Azoospermia requires that none are found after "
            "centrifugation of the whole sample (cryptozoospermia otherwise); confirm in the laboratory."
        )
    else:
        oligo = any(n in below for n in ("concentration", "total_count"))
        astheno = "progressive_motility" in below
        terato = "normal_forms" in below
        if oligo and astheno and terato:
            terms.append("oligoasthenoteratozoospermia")
        else:
            terms += [
                t
                for t, on in (("oligozoospermia", oligo), ("asthenozoospermia", astheno), ("teratozoospermia", terato))
                if on
            ]
        if "vitality" in below:
            terms.append("necrozoospermia")
    if "volume" in below:
        terms.append("hypospermia")
    core = ("concentration", "progressive_motility", "normal_forms")
    measured_core = all(values.get(n) is not None for n in core)
    if not terms:
        if measured_core:
            terms.append("normozoospermia")
        else:
            missing = [n for n in core if values.get(n) is None]
            notes.append(
                "Within reference limits for the parameters measured; not measured: " + ", ".join(missing) + "."
            )
    return {
        "terms": terms,
        "below_reference_limit": below,
        "reference": SOURCE,
        "limits": {n: {"lower": lim.lower, "unit": lim.unit} for n, lim in LOWER_LIMITS.items()},
        "notes": notes,
        "disclaimer": "Decision support from a classical image analysis; not a diagnosis.",
    }
