"""The laboratories' generators (ml.renderers): canonical truth, the disk cache, and training stages
that draw half of every pool from them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from ml import cli
from ml import nn as mnn
from ml.base import MLError
from ml.embryo import model as em
from ml.oocyte import model as om
from ml.renderers import cache, catalog
from ml.sperm import morphology as morph


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FERTIVISION_ML_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("lab", catalog.EMBRYO_LABS)
def test_every_embryo_lab_answers_in_our_vocabulary(lab):
    img, t = catalog.embryo_sample(lab, "oocyte", 0, 1, 900)
    assert img.dtype == np.uint8 and min(img.shape[:2]) >= 100
    assert t["label"] in catalog.OOCYTE_CLASSES and t["label_index"] == catalog.OOCYTE_CLASSES.index(t["label"])
    _, d3 = catalog.embryo_sample(lab, "day3", 0, 1, 900)
    assert 2 <= d3["cells"] <= 10 and len(d3["cell_centres"]) == d3["cells"]
    assert d3["grade"] in (1, 2, 3) and isinstance(d3["uneven"], bool)
    _, bl = catalog.embryo_sample(lab, "blastocyst", 0, 2, 900)
    assert 1 <= bl["expansion"] <= 6
    assert (bl["icm"] is None) == (bl["expansion"] < 3) and (bl["te"] is None) == (bl["expansion"] < 3)
    assert math.isnan(bl["te_cells"])  # ml's own auxiliary observables are not the labs'


@pytest.mark.parametrize("lab", catalog.SPERM_LABS)
def test_every_sperm_lab_answers_in_our_vocabulary(lab):
    frames, t = catalog.wet_sample(lab, 0, 0, 900)
    assert len(frames) == 1 and frames[0].ndim == 2
    inside = [p[0] for p in t["heads"] if p[0] is not None]
    h, w = frames[0].shape
    volume_nl = w * h * t["um_per_px"] ** 2 * t["depth_um"] * 1e-6
    assert t["concentration"] == pytest.approx(len(inside) * t["dilution"] / volume_nl, rel=1e-4)  # labs round
    smear, s = catalog.smear_sample(lab, 0, 0, 900)
    assert smear.ndim == 3 and 0.04 <= s["um_per_px"] <= 0.2
    assert all(isinstance(hd["normal"], bool) and len(hd["center"]) == 2 for hd in s["heads"])


def test_a_lab_stream_is_its_own_seed():
    assert catalog.lab_seed(2, 900) == 2900
    with pytest.raises(MLError) as err:
        catalog.lab_seed(0, 1000)
    assert err.value.code == "INVALID_PARAMETER"
    with pytest.raises(MLError) as err:
        catalog.module("z", "embryo")
    assert err.value.code == "UNKNOWN_LAB"


def test_shrink_keeps_the_cell_centres_on_the_cells():
    img = np.zeros((640, 480), np.uint8)
    img[300:310, 100:110] = 255  # a bright square centred at x 104.5, y 304.5
    small, t = cache.shrink(img, {"cell_centres": [[104.5, 304.5]], "cells": 1})
    assert max(small.shape) == cache.MAX_SIDE
    ys, xs = np.nonzero(small > 40)
    w = small[ys, xs].astype(float)
    cx, cy = (xs * w).sum() / w.sum(), (ys * w).sum() / w.sum()
    assert abs(cx - t["cell_centres"][0][0]) < 0.3 and abs(cy - t["cell_centres"][0][1]) < 0.3


def test_a_cached_pool_is_the_pool_rendered_again(cache_dir):
    first = cache.embryo_pool("d", "day3", 0, 900, 3)
    files = list(cache_dir.iterdir())
    assert len(files) == 1 and not any(f.name.endswith(".tmp.npz") for f in files)
    again = cache.embryo_pool("d", "day3", 0, 900, 3)  # read back
    img, truth = catalog.embryo_sample("d", "day3", 0, 2, 900)  # and rendered afresh
    fresh = cache.shrink(img, truth)
    for (a, ta), (b, tb) in zip(first, again, strict=True):
        assert np.array_equal(a, b) and json.dumps(ta) == json.dumps(tb)
    assert np.array_equal(fresh[0], again[2][0]) and json.dumps(fresh[1]) == json.dumps(again[2][1])


def test_lab_draw_spreads_over_the_labs_and_moves_on_with_the_stream(cache_dir):
    a = cache.lab_draw(("b", "d"), "oocyte", 0, 100, 4, lab_pool=5)
    b = cache.lab_draw(("b", "d"), "oocyte", 0, 101, 4, lab_pool=5)
    assert [x[0] for x in a] == ["b", "b", "d", "d"]
    assert [x[1] for x in a] != [x[1] for x in b]  # the next pool takes the next images
    assert cache.lab_draw((), "oocyte", 0, 100, 4) == []


def test_an_oocyte_stage_with_labs_records_them_and_scores_each(tmp_path, cache_dir):
    om.train(out_dir=tmp_path, seed=0, smoke=True)
    res = om.train(out_dir=tmp_path, seed=0, smoke=True, resume=True, labs=("b", "d"))
    assert {"lab_b_accuracy", "lab_d_accuracy"} <= set(res)
    meta = json.loads((tmp_path / "oocyte_maturity.json").read_text())
    stage = meta["config"]["history"][-1]
    assert stage["labs"] == ["b", "d"] and stage["photometric"] == mnn.PHOTOMETRIC
    assert "from the labs' generators b, d" in (tmp_path / "oocyte_maturity.md").read_text()
    assert "labs" not in meta["config"]["history"][0]


def test_a_pool_with_labs_is_half_theirs(cache_dir):
    own = om.make_pool(8, 0, 100, jitter=True)
    mixed = om.make_pool(8, 0, 100, jitter=True, labs=("d",), lab_pool=4)
    assert own["x"].shape == mixed["x"].shape
    assert torch.equal(own["y"][:4], mixed["y"][:4]) and not torch.equal(own["x"][:4], mixed["x"][:4])  # jittered


def test_a_stage_can_ask_for_another_lab_share(tmp_path, cache_dir, capsys):
    own = om.make_pool(8, 0, 100, jitter=True)
    quarter = om.make_pool(8, 0, 100, jitter=True, labs=("d",), lab_share=0.25, lab_pool=4)
    assert torch.equal(own["y"][:6], quarter["y"][:6])  # six of eight from ml's own generator
    om.train(out_dir=tmp_path, seed=0, smoke=True)
    capsys.readouterr()
    code = cli.main(
        ["train", "oocyte", "--smoke", "--resume", "--labs", "d", "--lab-share", "0.25", "--out", str(tmp_path)]
    )
    assert code == 0, capsys.readouterr()
    stage = json.loads((tmp_path / "oocyte_maturity.json").read_text())["config"]["history"][-1]
    assert stage["labs"] == ["d"] and stage["lab_share"] == 0.25
    assert "25 % of each pool" in (tmp_path / "oocyte_maturity.md").read_text()


def test_day3_targets_a_lab_leaves_undefined_are_left_out():
    t = {"cells": 5, "cell_centres": None, "fragmentation_pct": None, "uneven": False, "multinucleated": True}
    row = em._targets_day3(t, stage_specific=True)
    assert math.isnan(row["frag"]) and row["uneven"] == 0
    own = {"cells": 5, "cell_radii": [1.0] * 5, "fragmentation_pct": 10.0, "uneven": False, "multinucleated": False}
    assert em._targets_day3(own, stage_specific=True)["uneven"] == em.IGNORE  # equal cells at 5 are not stage size
    assert em._targets_day3(own)["uneven"] == 0
    net = mnn.DensityNet(1, em.SPECS[em.NAME_DAY3]["heads"])
    x = torch.randn(2, 1, em.SIZE, em.SIZE)
    batch = {
        "density": torch.stack([torch.zeros(1, 18, 18), torch.full((1, 18, 18), math.nan)]),
        "cells": torch.tensor([5.0, 5.0]),
        "ncls": torch.tensor([3, 3]),
        "frag": torch.tensor([0.2, math.nan]),
        "uneven": torch.tensor([0, em.IGNORE]),
        "mn": torch.tensor([1, 1]),
    }
    assert torch.isfinite(em._loss_day3(net(x), batch))


def test_an_embryo_stage_with_labs_scores_each_lab(tmp_path, cache_dir):
    em.train(out_dir=tmp_path, seed=0, smoke=True, names=(em.NAME_BLAST,))
    res = em.train(out_dir=tmp_path, seed=0, smoke=True, names=(em.NAME_BLAST,), resume=True, labs=("d",))
    m = res[em.NAME_BLAST]
    assert 0 <= m["lab_d_expansion_exact"] <= 1 and 0 <= m["lab_d_te_accuracy"] <= 1
    meta = json.loads((tmp_path / "embryo_blastocyst.json").read_text())
    assert meta["config"]["history"][-1]["labs"] == ["d"]


def test_a_smear_pool_with_labs_teaches_what_is_not_a_head(cache_dir):
    pool = morph.make_pool(4, 0, 100, jitter=True, labs=("c",), lab_pool=2)
    assert set(pool["head"].tolist()) <= {0, 1} and int(pool["head"].sum()) > 0
    others = pool["head"] == 0
    assert (pool["y"][others] == morph.IGNORE).all()  # a candidate that is no head has no normal/abnormal call
    own = morph.make_pool(4, 0, 100, jitter=True)
    assert bool((own["head"] == 1).all())  # ml's own smears alone: only drawn heads, as before


def test_the_analyzer_drops_what_the_network_does_not_take_for_a_head(tmp_path, cache_dir):
    morph.train(out_dir=tmp_path, seed=0, smoke=True)
    morph.train(out_dir=tmp_path, seed=0, smoke=True, resume=True, labs=("c",))
    m = morph.load(tmp_path)
    with torch.no_grad():  # make the 'head' output say "not a head" for every candidate
        m.net.heads["head"].weight.zero_()
        m.net.heads["head"].bias.copy_(torch.tensor([5.0, -5.0]))
    img, truth = morph.sample(0, 0, morph.EVAL_STREAM)
    dets, _pct, n, warnings = m.analyze_smear(img, {"um_per_px": truth["um_per_px"]})
    assert n == 0 and dets == [] and any(w.code == "NO_HEADS_FOUND" for w in warnings)
