"""The shared kit: checksummed weights, model cards, deterministic training, classical helpers."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ml import nn as mnn
from ml.base import MLError, ParameterError


def _tiny_data(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 1, 16, 16, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    return {"x": x, "y": y}


def _loss(out, b):
    return F.cross_entropy(out["c"], b["y"])


def test_training_is_deterministic_and_finite():
    runs = []
    for _ in range(2):
        mnn.set_determinism(7)
        model = mnn.SmallNet(1, {"c": 2}, widths=(4, 8))
        log = mnn.train_loop(model, _tiny_data(), _loss, steps=5, batch_size=8, seed=7)
        runs.append(log.losses)
    assert all(math.isfinite(v) for v in runs[0])
    assert runs[0] == runs[1]


def _save(model: torch.nn.Module, tmp_path, name: str) -> None:
    """Weights and a card with placeholder training facts (the tests read the weights back)."""
    mnn.write_model(
        model,
        tmp_path,
        name=name,
        version="0.1",
        kind="test",
        generator="g",
        generator_version="1",
        seed=0,
        steps=1,
        train_images=1,
        metrics={},
        intended_use="tests",
        limitations=[],
        labels={},
    )


def test_weights_roundtrip_checksum_and_card(tmp_path):
    mnn.set_determinism(0)
    model = mnn.SmallNet(1, {"c": 2}, widths=(4, 8))
    meta = mnn.write_model(
        model,
        tmp_path,
        name="tiny",
        version="0.1",
        kind="test",
        generator="g",
        generator_version="1",
        seed=0,
        steps=1,
        train_images=1,
        metrics={"accuracy": 0.5},
        intended_use="tests",
        limitations=["none"],
        labels={"c": ["a", "b"]},
    )
    pt = tmp_path / "tiny.pt"
    assert meta["sha256"] == hashlib.sha256(pt.read_bytes()).hexdigest()
    on_disk = json.loads((tmp_path / "tiny.json").read_text())
    for key in ("name", "version", "sha256", "kind", "training_data", "heldout_metrics", "seed", "steps"):
        assert key in on_disk
    card = (tmp_path / "tiny.md").read_text()
    assert meta["sha256"] in card and "NOT clinically validated" in card and "decision support" in card
    loaded, _ = mnn.load_weights("tiny", tmp_path)
    x = torch.randn(2, 1, 16, 16)
    model.eval()
    # weights are stored in float16: outputs agree to that precision
    assert torch.allclose(loaded(x)["c"], model(x)["c"], atol=2e-2)


def test_tampered_or_missing_weights_are_refused(tmp_path):
    model = mnn.SmallNet(1, {"c": 2}, widths=(4, 8))
    _save(model, tmp_path, "tiny")
    with open(tmp_path / "tiny.pt", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(MLError) as exc:
        mnn.load_weights("tiny", tmp_path)
    assert exc.value.code == "WEIGHTS_CHECKSUM_MISMATCH"
    with pytest.raises(MLError) as exc:
        mnn.load_weights("absent", tmp_path)
    assert exc.value.code == "WEIGHTS_MISSING"


def test_label_components_counts_blobs():
    m = np.zeros((40, 40), bool)
    m[2:6, 2:6] = True
    m[10:20, 10:12] = True
    m[30:35, 5:38] = True
    lab, n = mnn.label_components(m)
    assert n == 3
    assert len(np.unique(lab[m])) == 3


def test_locate_object_finds_a_disk():
    yy, xx = mnn.grid(120, 160)
    img = 0.6 - 0.3 * mnn.soft_ellipse(yy, xx, 100, 55, 30, 30)
    cx, cy, r = mnn.locate_object(img)
    assert abs(cx - 100) < 4 and abs(cy - 55) < 4 and 25 < r < 40


def test_affine_crop_rotation_moves_content():
    img = np.zeros((50, 50), np.float32)
    img[25, 35] = 1.0  # a point right of centre
    crop = mnn.affine_crop(img, 25, 25, 20, 40, angle=math.pi / 2)
    y, x = np.unravel_index(np.argmax(crop), crop.shape)
    assert abs(x - 20) <= 2 and abs(y - 20) >= 6  # it now lies on the vertical axis


@pytest.mark.parametrize(
    ("value", "code"), [("abc", "INVALID_PARAMETER"), (-1, "INVALID_PARAMETER"), (float("nan"), "INVALID_PARAMETER")]
)
def test_param_float_errors(value, code):
    with pytest.raises(ParameterError) as exc:
        mnn.param_float({"um_per_px": value}, "um_per_px")
    assert exc.value.code == code


def test_param_float_required():
    with pytest.raises(ParameterError) as exc:
        mnn.param_float({}, "um_per_px", required=True)
    assert exc.value.code == "MISSING_PARAMETER"
    assert mnn.param_float({}, "um_per_px") is None
    assert mnn.param_float({"um_per_px": "0.5"}, "um_per_px") == 0.5


def test_locate_object_sees_a_faint_ring_past_a_dark_blob():
    """A faint round outline (an out-of-focus trophectoderm) with one dark compact part (an inner cell
    mass) inside: the object is the whole ring, not the blob."""
    h = w = 140
    yy, xx = mnn.grid(h, w)
    img = np.full((h, w), 0.6, np.float32)
    ring = np.clip(1 - np.abs(np.hypot(xx - 70, yy - 70) - 48) / 2.0, 0, 1)
    img -= 0.05 * mnn.gauss_blur(ring, 1.5)
    img -= 0.5 * mnn.soft_ellipse(yy, xx, 96, 70, 9, 8, 0.0)
    img += np.random.default_rng(0).normal(0, 0.004, img.shape).astype(np.float32)
    cx, cy, r = mnn.locate_object(img)
    assert abs(cx - 70) < 6 and abs(cy - 70) < 6, (cx, cy)
    assert 42 < r < 58, r


def test_with_heads_keeps_the_shared_layers_and_adds_an_untrained_head():
    mnn.set_determinism(3)
    old = mnn.DensityNet(1, {"frag": 1}, widths=(4, 8, 8, 8))
    new = mnn.with_heads(old, {"frag": 1, "ncls": 9})
    assert mnn.with_heads(old, {"frag": 1}) is old
    x = torch.randn(2, 1, 32, 32)
    old.eval()
    new.eval()
    a, b = old(x), new(x)
    assert torch.equal(a["density"], b["density"]) and torch.equal(a["frag"], b["frag"])
    assert b["ncls"].shape == (2, 9) and "ncls" not in a


@pytest.mark.parametrize(("steps", "pools"), [(12, 4), (11, 4), (23, 10), (5, 10)])
def test_a_training_stage_draws_its_pools_from_its_own_streams(steps: int, pools: int) -> None:
    """Stage 2 owns streams 120-129: however the steps divide, the training loop asks for pools 1 to
    pools - 1 after the first (23 steps in 10 pools once asked for pool 11, the next stage's stream)."""
    stream0, every = mnn.stage_streams(100, 2, steps, pools)
    assert stream0 == 120
    drawn: list[int] = []
    data = _tiny_data()

    def refresh(k: int) -> dict[str, torch.Tensor]:
        drawn.append(k)
        return data

    model = mnn.SmallNet(1, {"y": 2}, widths=(4, 8))
    loss = lambda o, b: F.cross_entropy(o["y"], b["y"])  # noqa: E731
    mnn.train_loop(model, data, loss, steps=steps, refresh=refresh, refresh_every=every)
    assert drawn == sorted(set(drawn)) and max(drawn) <= pools - 1
    assert stream0 + max(drawn) < 120 + mnn.STREAMS_PER_STAGE
    if steps % pools == 0:
        assert drawn == list(range(1, pools))


def test_a_training_stage_refuses_more_pools_than_its_streams() -> None:
    for pools in (0, mnn.STREAMS_PER_STAGE + 1):
        with pytest.raises(ParameterError) as exc:
            mnn.stage_streams(100, 0, 3000, pools)
        assert exc.value.code == "INVALID_PARAMETER" and exc.value.details == {"param": "pools"}


def test_acceptance_note_is_written_from_the_judged_figures() -> None:
    from ml.base import judge
    from ml.nn import acceptance_note

    table = {"a": (">=", 0.9), "b": ("<=", 5.0)}
    low = judge({"a": 0.853, "b": 3.7}, table)["acceptance"]
    note = acceptance_note(low, {"a": "count within one", "b": "MAE"}, "600 images", also="exact 49.8%")
    assert note == (
        "Below the project acceptance target: count within one 85.3% (target >= 90%, not met); "
        "MAE 3.70 (target <= 5.0); exact 49.8% (600 images)."
    )
    ok = judge({"a": 0.961}, {"a": (">=", 0.95)})["acceptance"]
    assert acceptance_note(ok, {"a": "accuracy"}, "n=1200").startswith(
        "Meets the project acceptance targets: accuracy 96.1%"
    )
    assert "not measured" in acceptance_note(judge({}, {"a": (">=", 0.9)})["acceptance"], {"a": "x"}, "n=0")


def test_polar_view_unrolls_a_ring_and_keeps_the_squares_symmetry() -> None:
    """A bright ring at 0.8 of the half-width lands in one band of the strip; a quarter turn of the
    crop is a circular shift of the strip, so a network on it sees the same image."""
    net = mnn.PolarNet(1, {"c": 2}, (0.45, 1.0, 12, 64), widths=(4, 8))
    yy, xx = np.mgrid[0:64, 0:64]
    r = np.hypot(xx - 31.5, yy - 31.5) / 32
    x = torch.from_numpy(np.exp(-(((r - 0.8) / 0.05) ** 2)).astype(np.float32))[None, None]
    strip = F.grid_sample(x, net.grid, mode="bilinear", align_corners=False)[0, 0]
    radii = torch.linspace(0.45, 1.0, 12)
    band = int(strip.mean(dim=1).argmax())
    assert abs(float(radii[band]) - 0.8) < 0.06
    assert float(strip.std(dim=1)[band]) < 0.05  # the same at every angle
    turned = F.grid_sample(torch.rot90(x, 1, dims=(2, 3)), net.grid, mode="bilinear", align_corners=False)[0, 0]
    shifts = [float((torch.roll(strip, s, dims=1) - turned).abs().max()) for s in range(64)]
    assert min(shifts) < 1e-4


def test_pair_mixes_the_fused_heads_probabilities_and_saves_as_one_model(tmp_path):
    mnn.set_determinism(5)
    square = mnn.SmallNet(1, {"e": 4, "t": 3}, widths=(4, 8))
    branch = mnn.PolarNet(1, {"t": 3}, (0.45, 1.0, 8, 32), widths=(4, 8))
    pair = mnn.PairNet(square.config, branch.config, ("t",), fuse_weight=0.3)
    pair.square.load_state_dict(square.state_dict())
    pair.eval()
    square.eval()
    x = torch.randn(3, 1, 24, 24)
    out, own = pair(x), square(x)
    assert torch.equal(out["e"], own["e"])  # unfused heads are the square network's
    p = 0.7 * own["t"].softmax(1) + 0.3 * out["branch_t"].softmax(1)
    assert torch.allclose(out["t"].softmax(1), p, atol=1e-6)
    pair.set_fuse_weight(0.0)
    assert torch.allclose(pair(x)["t"].softmax(1), own["t"].softmax(1), atol=1e-6)
    pair.set_fuse_weight(0.3)
    pair.train()
    pair.square.eval()  # no dropout, so the square's outputs repeat
    assert set(pair(x)) == {"e", "t", "branch_t"}
    assert torch.equal(pair(x)["t"], pair.square(x)["t"])  # in training nothing is mixed
    pair.freeze_square()
    pair.train()
    assert not pair.square.training and pair.branch.training  # frozen part keeps its batch-norm statistics
    trained = mnn.train_loop(
        pair,
        {"x": torch.randn(16, 1, 24, 24), "y": torch.randint(0, 3, (16,))},
        lambda o, b: F.cross_entropy(o["branch_t"], b["y"]),
        steps=3,
        batch_size=8,
    )
    assert math.isfinite(trained.final_loss)
    kept, before = pair.square.state_dict(), square.state_dict()
    assert kept.keys() == before.keys() and all(torch.equal(kept[k], before[k]) for k in kept)
    _save(pair, tmp_path, "pair")
    loaded, _ = mnn.load_weights("pair", tmp_path)
    assert isinstance(loaded, mnn.PairNet) and loaded.fuse_weight == 0.3
    pair.eval()
    assert torch.allclose(loaded(x)["t"], pair(x)["t"], atol=2e-2)


def test_resumed_history_rebuilds_an_unrecorded_first_stage_and_names_crop_sizes() -> None:
    old_card: dict[str, Any] = {"steps": 1500, "training_data": {"images": 6000, "generator_version": "1.0"}}
    (stage,) = mnn.resumed_history(old_card, 100, 72)
    assert stage == {
        "steps": 1500,
        "lr": 3e-3,
        "seed_streams": [100, 101],
        "images": 6000,
        "generator_version": "1.0",
        "input_size": 72,
    }
    recorded: dict[str, Any] = {**old_card, "config": {"history": [{"steps": 1, "input_size": 96}, {"steps": 2}]}}
    assert [h["input_size"] for h in mnn.resumed_history(recorded, 100, 72)] == [96, 72]
    assert "input_size" not in recorded["config"]["history"][1]  # the card's record is not changed
