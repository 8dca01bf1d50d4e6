"""Embryo: day parameter, grading table, generator, smoke training, shipped-weights targets."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import torch

import ml.embryo as embryo
from ml import nn as mnn
from ml.base import ParameterError
from ml.embryo import generate, grading
from ml.embryo import model as em
from ml.embryo.model import quality_blast, quality_day3

HELDOUT_SEED = 4242


@pytest.fixture(scope="module")
def analyzer():
    return embryo.load_analyzer()


@pytest.fixture(scope="module")
def shipped_metrics():
    return embryo.evaluate(n=180, seed=HELDOUT_SEED)


def test_istanbul_grades_follow_the_table():
    assert grading.istanbul_grade(5, False, False) == 1
    assert grading.istanbul_grade(10, False, False) == 2
    assert grading.istanbul_grade(25, False, False) == 2
    assert grading.istanbul_grade(26, False, False) == 3
    assert grading.istanbul_grade(2, True, False) == 3
    assert grading.istanbul_grade(2, False, True) == 3


def test_gardner_string_only_grades_icm_te_from_expansion_3():
    assert grading.gardner_string(4, "A", "B") == "4AB"
    assert grading.gardner_string(2, "A", "B") == "2"


def test_same_seed_same_image():
    a, ta = generate.sample_day3(2, 3)
    b, tb = generate.sample_day3(2, 3)
    assert np.array_equal(a, b) and ta == tb
    c, tc = generate.sample_blastocyst(2, 3)
    d, td = generate.sample_blastocyst(2, 3)
    assert np.array_equal(c, d) and tc == td


def test_generated_labels_are_consistent():
    for i in range(12):
        _, t = generate.sample_blastocyst(5, i)
        assert (t["icm"] is None) == (t["expansion"] < 3)
        _, t3 = generate.sample_day3(5, i)
        assert 0 <= t3["fragmentation_pct"] <= 55
        assert t3["grade"] == grading.istanbul_grade(t3["fragmentation_pct"], t3["uneven"], t3["multinucleated"])


def test_every_drawn_fragment_counts_in_the_fragmentation():
    # cells cover the whole zona, so each fragment lies over a cell: it shows, so it counts
    yy, xx = mnn.grid(80, 80)
    cells = mnn.soft_ellipse(yy, xx, 40, 40, 32, 32)
    mask, pct = generate._fragments(np.random.default_rng(0), yy, xx, (40.0, 40.0), 30.0, cells, 0.2, 1.0)
    frag, cell = float((mask > 0.5).sum()), float((cells > 0.5).sum())
    assert frag > 0
    assert pct == pytest.approx(100 * frag / (frag + cell))
    assert 17 <= pct <= 23


def test_the_zona_is_drawn_at_its_published_thickness(monkeypatch):
    # human zona ~15-18 um of a ~75-80 um outer radius: 0.16-0.24 of it; stretched thinner once expanding
    drawn: list[float] = []

    def spy(*args, **kwargs):
        zona = real(*args, **kwargs)
        drawn.append(float((zona > 0.5).sum()))
        return zona

    real = generate._zona
    monkeypatch.setattr(generate, "_zona", spy)
    ratios: dict[str, list[float]] = {"day3": [], "early": [], "expanded": []}
    for i in range(18):
        rng = np.random.default_rng(i)
        kind = ("day3", "early", "expanded")[i % 3]
        if kind == "day3":
            _, t = generate.render_day3(rng)
        else:
            _, t = generate.render_blastocyst(rng, expansion=int(rng.integers(1, 4)) if kind == "early" else 4)
        rz, zt = t["zona_outer_radius_px"], t["zona_thickness_px"]
        # the drawn band's area gives its thickness: the label is what the image shows
        measured = rz - np.sqrt(rz**2 - drawn[-1] / np.pi)
        assert measured == pytest.approx(zt, rel=0.1, abs=0.6)
        ratios[kind].append(zt / rz)
    assert all(0.16 <= r <= 0.24 for r in ratios["day3"] + ratios["early"]), ratios
    assert np.mean(ratios["expanded"]) <= 0.7 * np.mean(ratios["early"]), ratios


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MISSING_PARAMETER"),
        ({"day": ""}, "MISSING_PARAMETER"),
        ({"day": 4}, "INVALID_PARAMETER"),
        ({"day": "five"}, "INVALID_PARAMETER"),
    ],
)
def test_day_is_required_and_checked(analyzer, params, code):
    img, _ = generate.sample_day3(0, 0)
    with pytest.raises(ParameterError) as exc:
        analyzer.analyze([img], params)
    assert exc.value.code == code


def test_smoke_training_writes_checksummed_weights_and_cards(tmp_path):
    res = embryo.train(out_dir=tmp_path, seed=0, smoke=True)
    for name in ("embryo_day3", "embryo_blastocyst"):
        assert np.isfinite(res[name]["final_loss"])
        meta = json.loads((tmp_path / f"{name}.json").read_text())
        assert meta["sha256"] == hashlib.sha256((tmp_path / f"{name}.pt").read_bytes()).hexdigest()
        assert "NOT clinically validated" in (tmp_path / f"{name}.md").read_text()


def test_a_resumed_stage_may_change_the_crop_size(tmp_path):
    """The day-3 density targets follow the crop: a 96 px stage after a 72 px one trains and
    records each stage's size (and seed); the analyzer then crops at the newest."""
    em.train(out_dir=tmp_path, seed=0, smoke=True, names=(em.NAME_DAY3,))
    res = em.train(out_dir=tmp_path, seed=3, smoke=True, names=(em.NAME_DAY3,), resume=True, size=96)
    assert np.isfinite(res["embryo_day3"]["final_loss"])
    meta = json.loads((tmp_path / "embryo_day3.json").read_text())
    assert [h["input_size"] for h in meta["config"]["history"]] == [72, 96]
    assert meta["config"]["count_readout_validation_n"] == em.READOUT_VALIDATION_FACTOR * 18  # smoke: 18 held out
    # the card's top-level seed is the last stage's; each stage keeps its own for reproduction
    assert meta["seed"] == 3 and [h["seed"] for h in meta["config"]["history"]] == [0, 3]
    card = (tmp_path / "embryo_day3.md").read_text()
    assert "seed 0, seed streams [100, 100]" in card and "seed 3, seed streams [110, 110]" in card
    assert em.input_size(meta) == 96
    pool = em.make_pool(em.NAME_DAY3, 3, 0, 0, jitter=False, size=96)
    assert pool["density"].shape[-2:] == (24, 24)
    assert torch.allclose(pool["density"].sum(dim=(1, 2, 3)), pool["cells"], atol=0.05)


def test_a_polar_stage_trains_a_te_branch_beside_the_frozen_network(tmp_path):
    """The branch is added to trained weights, the square network stays bit for bit, the TE
    mixture weight is chosen on validation and recorded, and the analyzer runs the pair."""
    with pytest.raises(ParameterError) as exc:
        em.train(out_dir=tmp_path, smoke=True, names=(em.NAME_BLAST,), polar=True)
    assert exc.value.code == "INVALID_PARAMETER"
    em.train(out_dir=tmp_path, seed=0, smoke=True, names=(em.NAME_BLAST,))
    square, _ = mnn.load_weights(em.NAME_BLAST, tmp_path)
    res = em.train(out_dir=tmp_path, seed=0, smoke=True, names=(em.NAME_BLAST,), resume=True, polar=True)
    assert np.isfinite(res[em.NAME_BLAST]["final_loss"])
    pair, meta = mnn.load_weights(em.NAME_BLAST, tmp_path)
    assert isinstance(pair, mnn.PairNet) and isinstance(pair.branch, mnn.PolarNet)
    kept, before = pair.square.state_dict(), square.state_dict()
    assert kept.keys() == before.keys() and all(torch.equal(kept[k], before[k]) for k in kept)
    cfg = meta["config"]
    assert cfg["te_fuse_weight"] == pair.fuse_weight and pair.fuse_weight in em.FUSE_WEIGHTS
    assert set(cfg["te_fuse_validation_accuracy"]) == {str(w) for w in em.FUSE_WEIGHTS}
    assert [bool(h.get("branch")) for h in cfg["history"]] == [False, True]
    assert "polar branch" in (tmp_path / f"{em.NAME_BLAST}.md").read_text()
    pool = em.make_pool(em.NAME_BLAST, 18, 0, 5, jitter=False)
    graded = pool["te"] != em.IGNORE
    best, rates = em.choose_fuse_weight(pair, pool)
    for w in em.FUSE_WEIGHTS:  # the one-pass selection scores each weight as the model then predicts
        pair.set_fuse_weight(w)
        te = mnn.predict(pair, pool["x"][graded])["te"].argmax(1)
        assert rates[str(w)] == pytest.approx(float((te == pool["te"][graded]).float().mean()))
    assert rates[str(best)] == max(rates.values())
    for f in mnn.WEIGHTS_DIR.glob(f"{em.NAME_DAY3}.*"):  # the analyzer loads both models
        shutil.copy(f, tmp_path / f.name)
    img, _ = generate.sample_blastocyst(HELDOUT_SEED, 4, stream=77)  # expansion 5: graded
    analyzer = embryo.load_analyzer(tmp_path)
    assert isinstance(analyzer.net5, mnn.PairNet)
    d = analyzer.analyze([img], {"day": 5}).to_dict()
    assert d["model"]["sha256"] == meta["sha256"] and d["interpretation"]["expansion"] in range(1, 7)


def test_shipped_day3_cell_count_within_one_target(shipped_metrics):
    # v1.5.0 measured 90.6 % here (163 of 180) and 91.35 % on held-out n=2000 seed 2027 (the card);
    # v1.4.0, whose stages drew 4 pools of 3000 images where v1.5.0 drew 10, 88.3 % here and 89.0 % on those 2000
    assert shipped_metrics["embryo_day3"]["cell_count_within1"] >= 0.90, shipped_metrics["embryo_day3"]


def test_shipped_day3_does_not_regress(shipped_metrics):
    m = shipped_metrics["embryo_day3"]
    assert m["n"] == 180
    assert m["fragmentation_mae_pct"] <= 5.0, m  # v1.5.0 measured 3.6 points


def test_shipped_blastocyst_expansion_icm_and_te_targets(shipped_metrics):
    m = shipped_metrics["embryo_blastocyst"]
    assert m["n_graded"] >= 80
    assert m["expansion_exact"] >= 0.85, m
    assert m["icm_accuracy"] >= 0.80, m
    # v2.3.0 measured 80.8 % here (97 of 120) and on n=2000 seed 2027 (the card); v2.0.0 (no polar branch) 73.3 % here
    assert m["te_accuracy"] >= 0.80, m


def test_shipped_blastocyst_expansion_within_one_target(shipped_metrics):
    # v2.3.0 measured 99.4 % here (179 of 180), 99.4 % on n=2000 seed 2027 (the card); v2.2.0 (thin zona) 97.2 %
    assert shipped_metrics["embryo_blastocyst"]["expansion_within1"] >= 0.98, shipped_metrics["embryo_blastocyst"]


def test_shipped_blastocyst_does_not_regress(shipped_metrics):
    m = shipped_metrics["embryo_blastocyst"]
    assert m["expansion_within1"] >= 0.95, m  # v1.0.0 measured 93.3 %


def test_day3_result(analyzer):
    img, _ = generate.sample_day3(HELDOUT_SEED, 6, stream=77)
    res = analyzer.analyze([img], {"day": "3", "um_per_px": 1.0})
    d = res.to_dict()
    json.dumps(d)
    it = d["interpretation"]
    assert it["istanbul_grade"] in (1, 2, 3)
    assert 2 <= it["cell_count"] <= 10
    cc = res.measurement("cell_count")
    assert cc.value == it["cell_count"]
    probs = it["cell_count_probabilities"]
    assert cc.value == int(max(probs, key=probs.get))
    assert it["cell_count_readout"] in ("density", "class", "fused")
    if it["cell_count_readout"] == "density":  # the density sum rounded, clipped to the trained range 2-10
        assert cc.value == min(10, max(2, round(it["cell_count_density_sum"])))
    assert 0 <= res.measurement("quality_score").value <= 1
    assert d["model"]["name"] == "embryo_day3"


def test_blastocyst_result(analyzer):
    for i in range(6):
        img, _ = generate.sample_blastocyst(HELDOUT_SEED, i, stream=77)
        d = analyzer.analyze([img], {"day": 5}).to_dict()
        json.dumps(d)
        it = d["interpretation"]
        assert d["model"]["name"] == "embryo_blastocyst"
        if it["expansion"] < 3:
            assert it["icm"] is None and it["te"] is None and it["gardner"] == str(it["expansion"])
        else:
            assert it["gardner"] == f"{it['expansion']}{it['icm']}{it['te']}"
        assert 0 <= it["quality_score"] <= 1


def test_quality_score_ranks_good_above_poor():
    counts = np.zeros(9)
    counts[6] = 1.0  # 8 cells
    good = quality_day3(counts, 3.0, {1: 1.0, 2: 0.0, 3: 0.0})
    few = np.zeros(9)
    few[1] = 1.0  # 3 cells
    poor = quality_day3(few, 40.0, {1: 0.0, 2: 0.0, 3: 1.0})
    assert 0 <= poor < good <= 1
    e4 = np.eye(6)[3]
    a, c = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    assert quality_blast(e4, a, a) > quality_blast(e4, c, c) > quality_blast(np.eye(6)[0], a, a)


def test_blastocyst_truth_records_the_observables_behind_the_grades():
    """TE and ICM cell numbers and TE thickness, by grade (the auxiliary training targets)."""
    te_ranges = {"A": (22, 35), "B": (10, 15), "C": (4, 7)}
    icm_ranges = {"A": (12, 21), "B": (5, 8), "C": (1, 3)}
    seen = 0
    for i in range(18):
        _, t = generate.sample_blastocyst(8, i)
        if t["expansion"] < 3:
            assert "te_cells" not in t
            continue
        seen += 1
        lo, hi = te_ranges[t["te"]]
        assert lo <= t["te_cells"] <= hi
        lo, hi = icm_ranges[t["icm"]]
        assert lo <= t["icm_cells"] <= hi
        assert 0.03 < t["te_thickness_rel"] < 0.15
    assert seen == 12


def test_count_readouts():
    import torch

    from ml.embryo.model import count_probabilities

    dens = torch.tensor([4.3, 9.8])
    p = count_probabilities(dens, None, "density")
    assert torch.allclose(p.sum(1), torch.ones(2))
    assert torch.allclose((p * torch.arange(2, 11)).sum(1), dens)  # the expectation is the density sum
    logits = torch.full((2, 9), -5.0)
    logits[:, 5] = 5.0  # the class head says 7 cells
    assert p.argmax(1).tolist() == [2, 8]  # 4 and 10 cells
    assert count_probabilities(dens, logits, "class").argmax(1).tolist() == [5, 5]
    fused = count_probabilities(dens, logits, "fused")
    assert torch.allclose(fused.sum(1), torch.ones(2))
    # both sources count: the fused answer lies between the two readouts
    assert all(2 <= k <= 5 for k in fused.argmax(1).tolist()[:1])
    assert all(5 <= k <= 8 for k in fused.argmax(1).tolist()[1:])
