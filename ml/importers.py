"""Readers for public data formats a clinic may bring, read as they are, and fine-tuning on them.

- blasto2k (Kromp et al. 2023): a ``;``-separated CSV with columns Image;EXP;ICM;TE and the
  images in a folder. Missing labels, "ND", "NA" and 0 mean "not gradable" and are ignored.
- YOLO boxes as in VISEM-Tracking: one ``.txt`` per frame, lines ``class cx cy w h`` (normalised).
- Folder-per-class head crops as in HuSHeM / SCIAN (``Normal``, ``01_Normal``, ``Tapered`` ...),
  and the same layout for oocytes (``GV``, ``MI``, ``MII``, ``degenerate``).

Fine-tuning (what ``python -m ml train KIND --data DIR --format FMT`` calls)::

    ml.importers.finetune(kind, data_dir, fmt, out_dir=None, seed=0, steps=None) -> dict

starts from the shipped weights, trains on the clinic's images, measures on a held-out 20 % split
of them, and writes new weights + card to ``out_dir`` (default ``<data_dir>/fertivision_weights``),
never over the shipped ones.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.base import MLError

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
NOT_GRADABLE = {"", "nd", "na", "n/a", "none", "null", "0", "-", "?"}


class ImportFormatError(MLError):
    code = "INVALID_DATASET"


@dataclass
class BlastoRecord:
    image: Path
    expansion: int | None  # 1-6, None if not gradable
    icm: str | None  # "A" | "B" | "C" | None
    te: str | None


@dataclass
class YoloBox:
    cls: int
    cx: float  # normalised 0-1
    cy: float
    w: float
    h: float
    box_px: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 if the image size is known


@dataclass
class LabelledImage:
    image: Path
    label: str  # our class name
    source_label: str  # the folder name as found
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# blasto2k
# --------------------------------------------------------------------------------------------


def _grade_abc(raw: str | None) -> str | None:
    v = (raw or "").strip().upper()
    if v.lower() in NOT_GRADABLE:
        return None
    if v in ("A", "B", "C"):
        return v
    if v in ("1", "2", "3"):  # numeric coding 1/2/3 = A/B/C
        return "ABC"[int(v) - 1]
    raise ImportFormatError(f"Unrecognised ICM/TE grade {raw!r} (expected A/B/C, 1/2/3, ND or 0).")


def _expansion(raw: str | None) -> int | None:
    v = (raw or "").strip()
    if v.lower() in NOT_GRADABLE:
        return None
    try:
        e = int(float(v))
    except ValueError:
        raise ImportFormatError(f"Unrecognised expansion {raw!r} (expected 1-6, ND or 0).") from None
    if not 1 <= e <= 6:
        raise ImportFormatError(f"Expansion {e} outside 1-6.")
    return e


def _find_image(root: Path, name: str) -> Path | None:
    for cand in (root / name, root / "Images" / name, root / "images" / name):
        if cand.is_file():
            return cand
    stem = Path(name).stem
    for p in root.rglob("*"):
        if p.is_file() and (p.name == name or (p.stem == stem and p.suffix.lower() in IMAGE_EXTS)):
            return p
    return None


def read_blasto2k(root: Path, csv_path: Path | None = None) -> list[BlastoRecord]:
    """Read a blasto2k-style folder: the ``;`` CSV (Image;EXP;ICM;TE) and its images.

    Rows whose image is missing are an error (the data set is incomplete); ungradable labels
    become None. Below expansion 3, ICM and TE are ignored (Gardner grades them only from 3).
    """
    root = Path(root)
    if csv_path is None:
        csvs = sorted(root.glob("*.csv"))
        if not csvs:
            raise ImportFormatError("No .csv file found in the blasto2k folder.")
        csv_path = csvs[0]
    text = Path(csv_path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines(), delimiter=";")
    cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    need = ("image", "exp", "icm", "te")
    if any(k not in cols for k in need):
        raise ImportFormatError(f"CSV needs the columns Image;EXP;ICM;TE, found {reader.fieldnames}.")
    out = []
    for i, row in enumerate(reader, start=2):
        name = (row[cols["image"]] or "").strip()
        if not name:
            continue
        img = _find_image(root, name)
        if img is None:
            raise ImportFormatError(f"Image listed on CSV line {i} was not found in the folder.")
        try:
            e = _expansion(row[cols["exp"]])
            icm, te = _grade_abc(row[cols["icm"]]), _grade_abc(row[cols["te"]])
        except ImportFormatError as exc:
            raise ImportFormatError(f"CSV line {i}: {exc.message}") from None
        if e is not None and e < 3:
            icm = te = None
        out.append(BlastoRecord(img, e, icm, te))
    return out


# --------------------------------------------------------------------------------------------
# YOLO boxes (VISEM-Tracking)
# --------------------------------------------------------------------------------------------


def read_yolo_boxes(label_dir: Path, image_size: tuple[int, int] | None = None) -> dict[str, list[YoloBox]]:
    """One ``.txt`` per frame -> {frame stem: boxes}. ``image_size`` = (width, height) adds pixel boxes."""
    label_dir = Path(label_dir)
    if not label_dir.is_dir():
        raise ImportFormatError("YOLO label folder not found.")
    frames: dict[str, list[YoloBox]] = {}
    for txt in sorted(label_dir.glob("*.txt")):
        if txt.name.lower() in ("classes.txt", "obj.names"):
            continue
        boxes = []
        for ln, line in enumerate(txt.read_text().splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            try:
                if len(parts) != 5:
                    raise ValueError
                cls = int(float(parts[0]))
                cx, cy, w, h = (float(p) for p in parts[1:])
            except ValueError:
                raise ImportFormatError(f"{txt.name} line {ln}: expected 'class cx cy w h'.") from None
            if not all(0.0 <= v <= 1.0 for v in (cx, cy, w, h)):
                raise ImportFormatError(f"{txt.name} line {ln}: coordinates must be normalised to 0-1.")
            b = YoloBox(cls, cx, cy, w, h)
            if image_size:
                iw, ih = image_size
                b.box_px = ((cx - w / 2) * iw, (cy - h / 2) * ih, (cx + w / 2) * iw, (cy + h / 2) * ih)
            boxes.append(b)
        frames[txt.stem] = boxes
    return frames


# --------------------------------------------------------------------------------------------
# Folder per class (HuSHeM, SCIAN; oocyte maturity)
# --------------------------------------------------------------------------------------------

SPERM_ALIASES: dict[str, str] = {
    "normal": "normal",
    "tapered": "tapered",
    "pyriform": "pyriform",
    "amorphous": "amorphous",
    "round": "round",
    "small": "small",
    "large": "large",
    "vacuolated": "vacuolated",
    "neck": "neck_midpiece",
    "midpiece": "neck_midpiece",
    "neckmidpiece": "neck_midpiece",
}
OOCYTE_ALIASES: dict[str, str] = {
    "gv": "GV",
    "mi": "MI",
    "m1": "MI",
    "mii": "MII",
    "m2": "MII",
    "degenerate": "degenerate",
    "degenerated": "degenerate",
    "atretic": "degenerate",
}


def _norm_folder(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"^\d+[_\-. ]*", "", name.strip().lower()))


def read_class_folders(root: Path, aliases: Mapping[str, str] | None = None) -> list[LabelledImage]:
    """Every image under ``root/<class>/``; folder names map to our classes through ``aliases``
    (prefixes like ``01_`` and case are ignored). Unknown folders are an error, not silently skipped."""
    root = Path(root)
    aliases = aliases or SPERM_ALIASES
    out = []
    dirs = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not dirs:
        raise ImportFormatError("Expected one sub-folder per class.")
    for d in dirs:
        label = aliases.get(_norm_folder(d.name))
        if label is None:
            raise ImportFormatError(
                f"Folder {d.name!r} is not a known class ({', '.join(sorted(set(aliases.values())))})."
            )
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.suffix.lower() in IMAGE_EXTS:
                out.append(LabelledImage(p, label, d.name))
    return out


# --------------------------------------------------------------------------------------------
# Fine-tuning on imported data
# --------------------------------------------------------------------------------------------


def _load_image(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB") if im.mode not in ("L", "RGB") else im)


def _split(paths: list[Path], frac: float = 0.2) -> np.ndarray:
    """Deterministic held-out split by file name hash: the same image always lands on the same side."""
    return np.array([int(hashlib.sha256(p.name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < frac for p in paths])


def finetune(
    kind: str, data_dir: Path, fmt: str, out_dir: Path | None = None, seed: int = 0, steps: int | None = None
) -> dict[str, Any]:
    """Fine-tune shipped weights on a clinic's data set. kind/fmt: embryo+blasto2k, sperm+folder
    (head crops; the smear morphology model), oocyte+folder. Returns held-out metrics."""
    import torch
    import torch.nn.functional as F

    from ml import nn as mnn

    data_dir = Path(data_dir)
    out_dir = Path(out_dir) if out_dir else data_dir / "fertivision_weights"
    mnn.set_determinism(seed)
    xs: list[np.ndarray] = []
    targets: dict[str, list[int]] = {}
    paths: list[Path] = []
    if kind == "embryo" and fmt == "blasto2k":
        from ml.embryo import model as em

        name = em.NAME_BLAST
        size = em.input_size(mnn.load_weights(name)[1])
        for r in read_blasto2k(data_dir):
            if r.expansion is None:
                continue
            xs.append(em.preprocess(_load_image(r.image), size=size)[0])
            targets.setdefault("expansion", []).append(r.expansion - 1)
            targets.setdefault("icm", []).append("ABC".index(r.icm) if r.icm else -1)
            targets.setdefault("te", []).append("ABC".index(r.te) if r.te else -1)
            paths.append(r.image)
        loss_fn = em.LOSSES[name]
    elif kind == "sperm" and fmt == "folder":
        from ml.sperm import morphology as sm

        name = sm.NAME
        for it in read_class_folders(data_dir, SPERM_ALIASES):
            img = _load_image(it.image)
            xs.append(head_crop_from_single(img))
            targets.setdefault("y", []).append(int(it.label != "normal"))
            targets.setdefault("defect", []).append(sm.DEFECTS.index(it.label))
            # a curated crop is always a head: with no other candidates to tell apart, training the
            # head/not-head output (1.1+) on them would teach it to accept debris, so it is left out
            targets.setdefault("head", []).append(sm.IGNORE)
            paths.append(it.image)
        loss_fn = sm._loss
    elif kind == "oocyte" and fmt == "folder":
        from ml.oocyte import generate as og
        from ml.oocyte import model as om

        name = om.NAME
        size = om.input_size(mnn.load_weights(name)[1])
        for it in read_class_folders(data_dir, OOCYTE_ALIASES):
            xs.append(om.preprocess(_load_image(it.image), size=size)[0])
            targets.setdefault("y", []).append(og.CLASSES.index(it.label))
            paths.append(it.image)

        def loss_fn(out: dict[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> torch.Tensor:
            return F.cross_entropy(out["maturity"], b["y"])
    else:
        raise MLError(
            f"Fine-tuning {kind!r} from format {fmt!r} is not supported "
            "(embryo+blasto2k, sperm+folder, oocyte+folder).",
            code="UNSUPPORTED_FORMAT",
        )
    if len(xs) < 2:
        raise ImportFormatError("The data set has fewer than 2 usable labelled images.")
    model, meta = mnn.load_weights(name)
    held = _split(paths)
    if held.all() or not held.any():
        held = np.arange(len(xs)) % 5 == 0
    data = {"x": torch.from_numpy(np.stack(xs))}
    data.update({k: torch.tensor(v) for k, v in targets.items()})
    train_idx = torch.from_numpy(np.flatnonzero(~held))
    test_idx = torch.from_numpy(np.flatnonzero(held))
    tr = {k: v[train_idx] for k, v in data.items()}
    te = {k: v[test_idx] for k, v in data.items()}
    steps = steps if steps is not None else min(600, max(50, 20 * len(train_idx) // 48))
    tlog = mnn.train_loop(model, tr, loss_fn, steps=steps, lr=1e-3, seed=seed, log=None)
    out = mnn.predict(model, te["x"])
    metrics: dict[str, Any] = {"n_train": len(train_idx), "n_heldout": len(test_idx)}
    for head, key in (("maturity", "y"), ("abnormal", "y"), ("expansion", "expansion"), ("icm", "icm"), ("te", "te")):
        if head in out and key in te:
            ok = te[key] != -1
            if bool(ok.any()):
                metrics[f"{head}_accuracy"] = float((out[head].argmax(1)[ok] == te[key][ok]).float().mean())
    if "head" in out:  # the held-out crops the smear analyzer would keep as sperm heads
        metrics["heads_kept"] = float((torch.softmax(out["head"], 1)[:, 1] >= 0.5).float().mean())
    written = mnn.write_model(
        model,
        out_dir,
        name=name,
        version=f"{meta['version']}+ft{len(train_idx)}",
        kind=kind,
        generator=f"{meta['training_data']['generator']} then fine-tuned on {fmt} data ({len(train_idx)} images)",
        generator_version=meta["training_data"]["generator_version"],
        seed=seed,
        steps=meta["steps"] + steps,
        train_images=len(train_idx),
        metrics=metrics,
        labels=meta["labels"],
        eval_command="ml.importers.finetune (held-out 20 % of the clinic's images, split by file-name hash)",
        intended_use=meta["intended_use"],
        limitations=[*meta["limitations"], f"Fine-tuned on {len(train_idx)} images of one data set."],
    )
    return {
        "model": name,
        "weights_dir": str(out_dir),
        "sha256": written["sha256"],
        "steps": steps,
        "final_loss": tlog.final_loss,
        **metrics,
    }


def head_crop_from_single(img: np.ndarray) -> np.ndarray:
    """A curated head-crop image (HuSHeM/SCIAN) -> the network's upright 2-channel crop.

    The scale is unknown, so the head's own length is taken as 4.5 um (the middle of the WHO
    range); small/large heads therefore cannot be told apart on such crops.
    """
    from ml.sperm import morphology as sm

    heads, _upx, _ = sm.find_heads(img, None)
    h, w = img.shape[:2]
    if not heads:
        head = {"center": (w / 2, h / 2), "angle": 0.0, "length_px": min(h, w) / 3}
    else:
        head = min(heads, key=lambda d: (d["center"][0] - w / 2) ** 2 + (d["center"][1] - h / 2) ** 2)
    return sm.head_crop(img, head, 4.5 / max(head["length_px"], 4.0))
