"""Oocyte maturity (GV / MI / MII / degenerate): classical localisation + a small CNN."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ml import nn as mnn
from ml.base import AnalysisResult, Detection, Frames, Measurement, judge
from ml.oocyte import generate as osynth
from ml.renderers import cache as lab_cache
from ml.renderers import catalog

NAME = "oocyte_maturity"
# 1.1: a further stage at 96 px crops (the germinal vesicle and polar body were a few px at 64);
# 1.2: a stage drawing half of each pool from labs b and d, with photometric jitter
VERSION = "1.2.0"
SIZE = 96  # network input (px) of new training; each card records the size its weights were trained at
LEGACY_SIZE = 64  # cards written before the size was a choice
MARGIN = 1.12  # crop half-width = MARGIN x object radius
TRAIN_STREAM = 100  # seed streams: training draws 100+k, evaluation 900 (never overlap)
EVAL_STREAM = 900
ACCEPTANCE = {"accuracy": (">=", 0.95)}  # issue 4, on held-out generated images


def input_size(meta: Mapping[str, Any]) -> int:
    return int(mnn.card_config(meta, "input_size", LEGACY_SIZE))


def preprocess(
    frame: np.ndarray, rng: np.random.Generator | None = None, size: int = SIZE
) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Frame -> standardised 1 x size x size crop around the oocyte, and (cx, cy, r) in px.

    ``rng`` adds the localisation jitter used in training, so the network does not depend on a
    perfect crop.
    """
    gray = mnn.to_gray(frame)
    cx, cy, r = mnn.locate_object(gray)
    half = r * MARGIN
    if rng is not None:
        cx += rng.normal(0, 0.05) * r
        cy += rng.normal(0, 0.05) * r
        half *= rng.uniform(0.9, 1.2)
    angle = 0.0 if rng is None else rng.uniform(0, 2 * math.pi)
    crop = mnn.affine_crop(gray, cx, cy, half, size, angle)
    return mnn.standardize(crop)[None], (cx, cy, r)


def make_pool(
    n: int,
    seed: int,
    stream: int,
    jitter: bool,
    size: int = SIZE,
    labs: tuple[str, ...] = (),
    lab_share: float = catalog.LAB_SHARE,
    log: Any = None,
    lab_pool: int = lab_cache.LAB_POOL,
) -> dict[str, torch.Tensor]:
    """``n`` preprocessed images of ml's own generator at (seed, stream); with ``labs``, a share
    ``lab_share`` of them from those labs' generators instead (ml.renderers), with photometric
    jitter on every image of the pool."""
    n_lab = round(n * lab_share) if labs else 0
    xs, ys = [], []
    for i in range(n - n_lab):
        img, truth = osynth.sample(seed, i, stream)
        rng = np.random.default_rng([seed, stream, i, 1]) if jitter else None
        if rng is not None and labs:
            img = mnn.photometric_jitter(rng, img)
        x, _ = preprocess(img, rng, size)
        xs.append(x)
        ys.append(truth["label_index"])
    for lab, k, img, truth in lab_cache.lab_draw(labs, "oocyte", seed, stream, n_lab, log, lab_pool):
        rng = np.random.default_rng([seed, stream, k, 2, ord(lab)])
        x, _ = preprocess(mnn.photometric_jitter(rng, img), rng, size)
        xs.append(x)
        ys.append(truth["label_index"])
    return {"x": torch.from_numpy(np.stack(xs)), "y": torch.tensor(ys, dtype=torch.long)}


def _loss(out: dict[str, torch.Tensor], batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return F.cross_entropy(out["maturity"], batch["y"], label_smoothing=0.02)


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    smoke: bool = False,
    log: Any = print,
    resume: bool = False,
    steps: int | None = None,
    size: int = SIZE,
    pools: int = 4,
    labs: tuple[str, ...] = (),
    lab_share: float = catalog.LAB_SHARE,
) -> dict[str, Any]:
    """Train on generated images and write weights + card to ``out_dir`` (default ml/weights).

    ``labs`` (e.g. ``("b", "d")``): a share ``lab_share`` of every pool comes from those laboratories'
    generators (ml.renderers), and every image gets photometric jitter, so the network learns the
    maturity signs rather than one generator's look.

    ``resume=True`` continues from the weights already in ``out_dir`` on fresh generated images
    (new seed streams) at a lower learning rate; the card then records the total steps and history.
    Each stage trains at ``size`` px crops, which may differ from the earlier stages' (the network
    pools globally, so it carries over); the history records each stage's size. A stage draws
    ``pools`` (1 to 10) pools of freshly generated images, one after another, from its own seed streams.
    """
    mnn.set_determinism(seed)
    pool_n, default_steps, eval_n = (48, 4, 24) if smoke else (3000, 1500, 600)
    steps = steps or default_steps
    history: list[dict[str, Any]] = []
    if resume:
        model, prev = mnn.load_weights(NAME, out_dir)
        history = mnn.resumed_history(prev, TRAIN_STREAM, input_size(prev))
        model.train()
    else:
        model = mnn.SmallNet(1, {"maturity": len(osynth.CLASSES)})
    stream0, refresh_every = mnn.stage_streams(TRAIN_STREAM, len(history), steps, pools)
    lr = 3e-3 if not history else 1e-3
    drawn = [0]

    def refresh(k: int) -> dict[str, torch.Tensor]:
        drawn[0] += 1
        return make_pool(
            pool_n,
            seed,
            stream0 + k,
            jitter=True,
            size=size,
            labs=labs,
            lab_share=lab_share,
            log=log,
            lab_pool=lab_pool,
        )

    lab_pool = 8 if smoke else lab_cache.LAB_POOL
    data = make_pool(
        pool_n, seed, stream0, jitter=True, size=size, labs=labs, lab_share=lab_share, log=log, lab_pool=lab_pool
    )
    tlog = mnn.train_loop(
        model,
        data,
        _loss,
        steps=steps,
        seed=seed + len(history),
        lr=lr,
        refresh=None if smoke else refresh,
        refresh_every=0 if smoke else refresh_every,
        log=log,
    )
    history.append(
        {
            "steps": steps,
            "lr": lr,
            "seed": seed,
            "seed_streams": [stream0, stream0 + drawn[0]],
            "images": pool_n * (1 + drawn[0]),
            "generator_version": osynth.GENERATOR_VERSION,
            "input_size": size,
            **lab_cache.stage_record(labs, "embryo", lab_share, lab_pool),
        }
    )
    steps = sum(h["steps"] for h in history)
    metrics = _evaluate_model(model, n=eval_n, seed=seed + 1, size=size)
    for lab, acc in evaluate_labs(model, labs, seed, size, n=24 if smoke else LAB_EVAL_N, log=log).items():
        metrics[f"lab_{lab}_accuracy"] = acc
    metrics["train_final_loss"] = tlog.final_loss
    meta = mnn.write_model(
        model,
        out_dir,
        name=NAME,
        version=VERSION,
        kind="oocyte",
        generator=osynth.GENERATOR,
        generator_version=osynth.GENERATOR_VERSION,
        seed=seed,
        steps=steps,
        train_images=sum(h["images"] for h in history),
        extra={"input_size": size, "margin": MARGIN, "history": history},
        metrics=metrics,
        labels={"maturity": list(osynth.CLASSES)},
        eval_command=f"python -m ml evaluate oocyte (evaluate(n={eval_n}, seed={seed + 1}), stream {EVAL_STREAM})",
        intended_use="Decision support for the embryologist's maturity call (GV / MI / MII / degenerate) on a "
        "single denuded-oocyte image before ICSI; the embryologist confirms every call.",
        limitations=[
            "Trained on generated images only; real optics, culture dishes and cumulus differ.",
            "A polar body hidden behind the ooplasm (out of the focal plane) cannot be seen in one image: "
            "such MII oocytes will be called MI.",
            "Early MI vs late GV (germinal vesicle breakdown in progress) is not modelled.",
            "One oocyte per image; several oocytes in one frame are not separated.",
        ],
    )
    return {
        "model": NAME,
        "sha256": meta["sha256"],
        "weights": str(Path(out_dir or mnn.WEIGHTS_DIR) / f"{NAME}.pt"),
        "final_loss": tlog.final_loss,
        "steps": steps,
        **metrics,
    }


@torch.no_grad()
def _evaluate_model(model: torch.nn.Module, n: int, seed: int, size: int = SIZE) -> dict[str, Any]:
    data = make_pool(n, seed, EVAL_STREAM, jitter=False, size=size)
    pred = mnn.predict(model, data["x"])["maturity"].argmax(1)
    y = data["y"]
    conf = np.zeros((len(osynth.CLASSES),) * 2, dtype=int)
    for t, p in zip(y.tolist(), pred.tolist(), strict=True):
        conf[t, p] += 1
    out: dict[str, Any] = {"n": n, "accuracy": float((pred == y).float().mean())}
    for i, c in enumerate(osynth.CLASSES):
        out[f"recall_{c}"] = float(conf[i, i] / max(conf[i].sum(), 1))
    out["confusion"] = conf.tolist()
    return out


LAB_EVAL_N = 400  # held-out images per training lab (stream 900) scored at the end of a stage


@torch.no_grad()
def evaluate_labs(
    model: torch.nn.Module, labs: tuple[str, ...], seed: int, size: int, n: int = LAB_EVAL_N, log: Any = None
) -> dict[str, float]:
    """Accuracy on each training lab's held-out images (its stream 900, never trained on)."""
    out = {}
    for lab in labs:
        items = lab_cache.embryo_pool(lab, "oocyte", seed, EVAL_STREAM, n, log)
        x = torch.from_numpy(np.stack([preprocess(img, None, size)[0] for img, _t in items]))
        y = torch.tensor([t["label_index"] for _img, t in items])
        out[lab] = float((mnn.predict(model, x)["maturity"].argmax(1) == y).float().mean())
    return out


def evaluate(n: int = 400, seed: int = 12345, weights_dir: Path | None = None) -> dict[str, Any]:
    """Accuracy of the shipped (or given) weights on ``n`` held-out generated images."""
    model, meta = mnn.load_weights(NAME, weights_dir)
    return judge(_evaluate_model(model, n, seed, input_size(meta)), ACCEPTANCE)


class OocyteAnalyzer:
    """Maturity of one oocyte in one image, with class probabilities."""

    kind = "oocyte"

    def __init__(self, weights_dir: Path | None = None) -> None:
        self.net, meta = mnn.load_weights(NAME, weights_dir)
        self.model = mnn.model_info(meta)
        self.size = input_size(meta)

    def analyze(self, frames: Frames, params: Mapping[str, Any]) -> AnalysisResult:
        um_per_px = mnn.param_float(params or {}, "um_per_px", hi=100.0)
        frame, warnings = mnn.first_frame(frames, self.kind)
        x, (cx, cy, r) = preprocess(frame, size=self.size)
        with torch.no_grad():
            p = torch.softmax(mnn.predict(self.net, torch.from_numpy(x)[None])["maturity"], 1)[0].tolist()
        k = int(np.argmax(p))
        probs = {c: round(float(v), 4) for c, v in zip(osynth.CLASSES, p, strict=True)}
        measurements = [Measurement(name=f"p_{c.lower()}", value=probs[c], unit="probability") for c in osynth.CLASSES]
        if um_per_px:
            measurements.append(
                Measurement(name="outer_diameter", value=round(2 * r * um_per_px, 1), unit="um", confidence=None)
            )
        return AnalysisResult(
            kind=self.kind,
            model=self.model,
            measurements=measurements,
            detections=[
                Detection(
                    type="box",
                    label=osynth.CLASSES[k],
                    confidence=float(p[k]),
                    box=(cx - r, cy - r, cx + r, cy + r),
                    attributes={"probabilities": probs},
                )
            ],
            interpretation={"maturity": osynth.CLASSES[k], "confidence": round(float(p[k]), 4), "probabilities": probs},
            warnings=warnings,
        )
