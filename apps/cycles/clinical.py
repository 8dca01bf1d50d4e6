"""Clinical limits the records enforce. One table, with its sources, so a clinic can see and change them.

Sources: Gardner & Schoolcraft blastocyst grading (1999); Istanbul consensus (ESHRE/ALPHA 2011)
for cleavage grades and pronuclei; ranges for hormones and ultrasound are sanity bounds to catch
typing errors (unit slips), not reference ranges.
"""

from ml.embryo import grading as _grading  # the grading table the analyzer applies (no torch, no Django)

GARDNER_EXPANSION_MIN = min(_grading.GARDNER_EXPANSION)  # 1
GARDNER_EXPANSION_MAX = max(_grading.GARDNER_EXPANSION)  # 6
GARDNER_GRADES = _grading.GRADES_ABC  # A, B, C
GARDNER_GRADE_CHOICES = [(g, g) for g in GARDNER_GRADES]
# ICM and TE are graded only once the blastocyst is full (expansion >= 3).
GARDNER_ICM_TE_MIN_EXPANSION = _grading.GARDNER_MIN_EXPANSION_FOR_ICM_TE

ISTANBUL_CLEAVAGE_GRADES = tuple(sorted(_grading.ISTANBUL["grades"]))  # 1, 2, 3
PRONUCLEI_MAX = 9  # 0PN, 1PN, 2PN (normal), 3PN+ recorded as counted

EMBRYO_DAY_MIN = 0
EMBRYO_DAY_MAX = 7
CELL_COUNT_MAX = 32  # beyond this a day-4 morula is recorded as compaction, not a count

FOLLICLE_DIAMETER_MM_MIN = 1.0
FOLLICLE_DIAMETER_MM_MAX = 60.0
ENDOMETRIUM_MM_MAX = 30.0
CYCLE_DAY_MAX = 60

# Sanity upper bounds (catch unit errors): estradiol pg/mL, LH IU/L, progesterone ng/mL.
ESTRADIOL_PG_ML_MAX = 20000.0
LH_IU_L_MAX = 500.0
PROGESTERONE_NG_ML_MAX = 500.0
