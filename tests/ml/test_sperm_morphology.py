"""Smear morphology: generator, classical head finding, smoke training, shipped accuracy, contract."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict

import numpy as np
import pytest

from ml.base import ModelInfo, ParameterError, _json_safe
from ml.sperm import morphology as sm

HELDOUT_SEED = 4242


@pytest.fixture(scope="module")
def morph():
    return sm.load()


def test_same_seed_same_smear():
    a, ta = sm.sample(1, 2)
    b, tb = sm.sample(1, 2)
    assert np.array_equal(a, b) and ta == tb


def test_heads_are_found_classically():
    found = total = 0
    for i in range(10):
        img, t = sm.sample(HELDOUT_SEED, i, stream=55)
        heads, upx, _ = sm.find_heads(img, t["um_per_px"])
        assert upx == t["um_per_px"]
        found += len(sm._match(heads, t["heads"], upx))
        total += len(t["heads"])
    assert found / total >= 0.85


def test_scale_estimate_is_close_when_not_given():
    errs = []
    for i in range(6):
        img, t = sm.sample(HELDOUT_SEED, i, stream=56)
        _, upx, warnings = sm.find_heads(img, None)
        assert any(w.code == "SCALE_ESTIMATED" for w in warnings)
        errs.append(abs(math.log(upx / t["um_per_px"])))
    assert float(np.median(errs)) < 0.35


def test_smoke_training_writes_checksummed_weights_and_card(tmp_path):
    res = sm.train(out_dir=tmp_path, seed=0, smoke=True)
    assert np.isfinite(res["final_loss"])
    meta = json.loads((tmp_path / "sperm_morphology.json").read_text())
    assert meta["sha256"] == hashlib.sha256((tmp_path / "sperm_morphology.pt").read_bytes()).hexdigest()
    assert "NOT clinically validated" in (tmp_path / "sperm_morphology.md").read_text()


def test_shipped_weights_reach_90_percent_on_heldout_heads():
    m = sm.evaluate(n=50, seed=HELDOUT_SEED)
    assert m["n_heads"] >= 120
    assert m["accuracy"] >= 0.90, m


def test_analyze_smear_contract(morph):
    assert isinstance(morph.model, ModelInfo) and len(morph.model.sha256) == 64
    img, t = sm.sample(HELDOUT_SEED, 3, stream=57)
    dets, normal_pct, n_heads, warnings = morph.analyze_smear(img, {"um_per_px": t["um_per_px"]})
    assert n_heads == len(dets) > 0
    assert 0.0 <= normal_pct <= 100.0
    assert {d.label for d in dets} <= {"normal", "abnormal"}
    json.dumps(_json_safe([asdict(d) for d in dets]))
    json.dumps(_json_safe([asdict(w) for w in warnings]))
    assert any(w.code == "FEW_HEADS" for w in warnings)


def test_analyze_smear_rejects_bad_scale(morph):
    img, _ = sm.sample(0, 0)
    with pytest.raises(ParameterError) as exc:
        morph.analyze_smear(img, {"um_per_px": "-1"})
    assert exc.value.code == "INVALID_PARAMETER"


def test_blank_smear_reports_no_heads(morph):
    img = np.full((200, 200, 3), 220, np.uint8)
    dets, pct, n, warnings = morph.analyze_smear(img, {"um_per_px": 0.15})
    assert n == 0 and dets == [] and math.isnan(pct)
    assert any(w.code == "NO_HEADS_FOUND" for w in warnings)
