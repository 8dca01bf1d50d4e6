"""Importers read public formats as they are; fine-tuning runs on them and writes checksummed weights."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from PIL import Image

from ml import importers
from ml import nn as mnn
from ml.base import MLError
from ml.embryo import generate as egen
from ml.sperm import morphology as sm


def _png(path, arr=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr if arr is not None else np.full((8, 8), 128, np.uint8)).save(path)


def test_blasto2k_reads_labels_as_published(tmp_path):
    for n in ("a.png", "b.png", "c.png", "d.png"):
        _png(tmp_path / "Images" / n)
    (tmp_path / "labels.csv").write_text("Image;EXP;ICM;TE\na.png;4;A;B\nb.png;2;A;A\nc.png;ND;ND;ND\nd.png;3;0;3\n")
    recs = {r.image.name: r for r in importers.read_blasto2k(tmp_path)}
    assert (recs["a.png"].expansion, recs["a.png"].icm, recs["a.png"].te) == (4, "A", "B")
    assert (recs["b.png"].expansion, recs["b.png"].icm) == (2, None)  # ICM not graded below 3
    assert recs["c.png"].expansion is None
    assert (recs["d.png"].icm, recs["d.png"].te) == (None, "C")


def test_blasto2k_errors(tmp_path):
    _png(tmp_path / "a.png")
    (tmp_path / "x.csv").write_text("Image;EXP;ICM;TE\nmissing.png;4;A;B\n")
    with pytest.raises(MLError) as exc:
        importers.read_blasto2k(tmp_path)
    assert exc.value.code == "INVALID_DATASET"
    (tmp_path / "x.csv").write_text("Image;EXP;ICM;TE\na.png;4;Q;B\n")
    with pytest.raises(MLError):
        importers.read_blasto2k(tmp_path)
    (tmp_path / "x.csv").write_text("Image,EXP,ICM,TE\na.png,4,A,B\n")  # wrong separator
    with pytest.raises(MLError):
        importers.read_blasto2k(tmp_path)


def test_yolo_boxes(tmp_path):
    (tmp_path / "frame_001.txt").write_text("0 0.5 0.5 0.1 0.2\n1 0.25 0.75 0.05 0.05\n")
    (tmp_path / "frame_002.txt").write_text("")
    frames = importers.read_yolo_boxes(tmp_path, image_size=(640, 480))
    assert len(frames["frame_001"]) == 2 and frames["frame_002"] == []
    b = frames["frame_001"][0]
    assert b.cls == 0 and b.box_px == pytest.approx((288.0, 192.0, 352.0, 288.0))
    (tmp_path / "frame_003.txt").write_text("0 0.5 0.5 0.1\n")
    with pytest.raises(MLError):
        importers.read_yolo_boxes(tmp_path)


def test_class_folders_hushem_style(tmp_path):
    _png(tmp_path / "01_Normal" / "n1.png")
    _png(tmp_path / "02_Tapered" / "t1.png")
    _png(tmp_path / "Pyriform" / "p1.jpg")
    items = importers.read_class_folders(tmp_path)
    assert sorted(i.label for i in items) == ["normal", "pyriform", "tapered"]
    _png(tmp_path / "Banana" / "x.png")
    with pytest.raises(MLError):
        importers.read_class_folders(tmp_path)


def test_finetune_sperm_from_head_crop_folders(tmp_path):
    data = tmp_path / "hushem"
    k = 0
    for i in range(6):
        img, t = sm.sample(9, i, stream=33)
        heads, upx, _ = sm.find_heads(img, t["um_per_px"])
        for hi, ti in sm._match(heads, t["heads"], upx):
            cx, cy = (int(v) for v in heads[hi]["center"])
            half = int(4 / upx)
            crop = img[max(0, cy - half) : cy + half, max(0, cx - half) : cx + half]
            folder = "01_Normal" if t["heads"][ti]["normal"] else "04_Amorphous"
            _png(data / folder / f"h{k}.png", np.ascontiguousarray(crop))
            k += 1
    res = importers.finetune("sperm", data, "folder", out_dir=tmp_path / "w", steps=60)
    assert res["n_train"] + res["n_heldout"] == k
    assert res["heads_kept"] >= 0.8  # the clinic's heads still pass the head/not-head output
    # ...and it still turns away the finder's other candidates: curated crops are all heads, and
    # learning "head" from them alone took the rejection of debris from 0.88 to 0.29 (100 steps)
    held = sm._crops([sm.sample(9, i, 34) for i in range(20)], None, with_others=True)
    other = held["head"] == 0
    assert int(other.sum()) >= 10

    def rejected(model: torch.nn.Module) -> float:
        p_head = torch.softmax(mnn.predict(model, held["x"])["head"], 1)[:, 1]
        return float((p_head[other] < 0.5).float().mean())

    shipped, tuned = rejected(mnn.load_weights(sm.NAME)[0]), rejected(mnn.load_weights(sm.NAME, tmp_path / "w")[0])
    assert tuned >= shipped - 0.15, (shipped, tuned)
    meta = json.loads((tmp_path / "w" / "sperm_morphology.json").read_text())
    assert meta["sha256"] == hashlib.sha256((tmp_path / "w" / "sperm_morphology.pt").read_bytes()).hexdigest()
    assert "+ft" in meta["version"]


def test_finetune_embryo_from_blasto2k(tmp_path):
    rows = ["Image;EXP;ICM;TE"]
    for i in range(6):
        img, t = egen.sample_blastocyst(11, i, stream=33)
        _png(tmp_path / "Images" / f"e{i}.png", img)
        rows.append(f"e{i}.png;{t['expansion']};{t['icm'] or 'ND'};{t['te'] or 'ND'}")
    (tmp_path / "gt.csv").write_text("\n".join(rows) + "\n")
    res = importers.finetune("embryo", tmp_path, "blasto2k", out_dir=tmp_path / "w", steps=2)
    assert res["n_train"] + res["n_heldout"] == 6
    assert (tmp_path / "w" / "embryo_blastocyst.md").exists()


def test_unsupported_finetune_format(tmp_path):
    with pytest.raises(MLError) as exc:
        importers.finetune("follicle", tmp_path, "folder")
    assert exc.value.code == "UNSUPPORTED_FORMAT"
