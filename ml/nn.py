"""Shared pieces for the learned analyzers: small plain-torch networks, deterministic training,
synthetic-image drawing helpers, classical image helpers, weights with sha256 and model cards.

Everything here is plain torch + numpy + Pillow. Networks are small on purpose (a few hundred
thousand parameters, weights well under 1 MB) so that a clinic can retrain them on a CPU.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.base import MLError, ModelInfo, ParameterError, QualityError, QualityWarning

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
NOT_VALIDATED = (
    "This model is NOT clinically validated. It was trained only on generated images and is decision "
    "support only: every result must be reviewed by a qualified embryologist or andrologist."
)


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def set_determinism(seed: int, threads: int = 1) -> None:
    """Fix every random source we use and the thread count, so a training run repeats exactly.

    One thread by default: on a shared 2-core machine two intra-op threads ran three times slower
    than one (measured), and one thread also gives bit-identical reductions across runs.
    """
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------


class ResBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a (projected) shortcut: a tiny ResNet block."""

    def __init__(self, cin: int, cout: int, stride: int, dilation: int = 1) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, dilation, dilation=dilation, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + self.short(x))


class SmallNet(nn.Module):
    """A compact residual CNN with one linear head per task.

    ``heads`` maps a head name to its number of outputs (classes, or 1 for a regression).
    Pooling concatenates global average and global max, so small features (a polar body, a
    nucleus) are not averaged away.
    """

    def __init__(self, in_ch: int, heads: Mapping[str, int], widths: tuple[int, ...] = (16, 32, 48, 96)) -> None:
        super().__init__()
        self.config = {"in_ch": in_ch, "heads": dict(heads), "widths": list(widths)}
        self.stem = nn.Sequential(
            nn.Conv2d(in_ch, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
        )
        blocks = []
        cin = widths[0]
        for w in widths:
            blocks.append(ResBlock(cin, w, 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(0.2)
        self.heads = nn.ModuleDict({k: nn.Linear(2 * cin, n) for k, n in heads.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.blocks(self.stem(x))
        f = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        f = self.drop(f)
        return {k: h(f) for k, h in self.heads.items()}


class DensityNet(nn.Module):
    """A small fully-convolutional counter: predicts a density map at 1/4 resolution whose sum is
    the number of objects (cells), plus global heads like :class:`SmallNet`.

    Counting by density learns the local look of one cell (its outline, its centre), which needs
    far fewer examples than regressing a whole-image count, and it copes with overlap.
    """

    def __init__(
        self, in_ch: int, heads: Mapping[str, int], widths: tuple[int, ...] = (16, 32, 48, 64), dilated: bool = False
    ) -> None:
        super().__init__()
        self.config = {
            "arch": "density",
            "in_ch": in_ch,
            "heads": dict(heads),
            "widths": list(widths),
            "dilated": dilated,
        }
        w0, w1, w2, w3 = widths
        d1, d2 = (2, 4) if dilated else (1, 1)  # dilation lets one output see a whole large cell (2-cell embryo)
        self.stem = nn.Sequential(nn.Conv2d(in_ch, w0, 3, 1, 1, bias=False), nn.BatchNorm2d(w0), nn.ReLU())
        self.body = nn.Sequential(
            ResBlock(w0, w1, 2), ResBlock(w1, w2, 2), ResBlock(w2, w3, 1, d1), ResBlock(w3, w3, 1, d2)
        )
        self.density = nn.Conv2d(w3, 1, 1)
        self.pool_body = ResBlock(w3, w3, 2)
        self.drop = nn.Dropout(0.2)
        self.heads = nn.ModuleDict({k: nn.Linear(2 * w3, n) for k, n in heads.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.body(self.stem(x))
        dens = F.softplus(self.density(f)) * 0.1
        g = self.pool_body(f)
        g = self.drop(torch.cat([g.mean(dim=(2, 3)), g.amax(dim=(2, 3))], dim=1))
        out = {k: h(g) for k, h in self.heads.items()}
        out["density"] = dens
        out["count"] = dens.sum(dim=(1, 2, 3))[:, None]
        return out


class PolarNet(nn.Module):
    """A :class:`SmallNet` on a polar view of a centred crop: the ring between radii ``r0`` and
    ``r1`` (fractions of the crop's half-width) unrolled into an ``n_r`` x ``n_a`` strip.

    A ring-shaped layer (the trophectoderm around a blastocyst) becomes a band whose cells lie side
    by side along one axis; the strip is standardised per image. A quarter turn of the crop is a
    circular shift of the strip and a flip reverses it, so the square's symmetry still holds.
    """

    grid: torch.Tensor

    def __init__(
        self,
        in_ch: int,
        heads: Mapping[str, int],
        ring: tuple[float, float, int, int] = (0.45, 1.0, 24, 192),
        widths: tuple[int, ...] = (16, 32, 48, 96),
    ) -> None:
        super().__init__()
        r0, r1, n_r, n_a = ring
        self.config = {
            "arch": "polar",
            "in_ch": in_ch,
            "heads": dict(heads),
            "widths": list(widths),
            "ring": list(ring),
        }
        r = torch.linspace(float(r0), float(r1), int(n_r))
        a = torch.arange(int(n_a)) * (2 * math.pi / int(n_a))
        grid = torch.stack([r[:, None] * torch.cos(a)[None], r[:, None] * torch.sin(a)[None]], dim=-1)
        self.register_buffer("grid", grid[None], persistent=False)
        self.net = SmallNet(in_ch, heads, widths)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        grid = self.grid.expand(x.shape[0], -1, -1, -1)
        s = F.grid_sample(x, grid, mode="bilinear", align_corners=False)
        s = (s - s.mean(dim=(2, 3), keepdim=True)) / (s.std(dim=(2, 3), keepdim=True) + 1e-3)
        out: dict[str, torch.Tensor] = self.net(s)
        return out


class PairNet(nn.Module):
    """A square-crop network and a second branch on the same input, saved and versioned as one model.

    Outputs are the square network's; in eval mode each head in ``fuse`` is replaced by the log of
    the mixed probabilities ``(1 - w) * p_square + w * p_branch`` (``w`` = ``fuse_weight``, chosen
    on a validation stream), so its softmax is that mixture. In training mode nothing is mixed:
    each part learns its heads on its own, which keeps the two opinions independent. The branch's
    own outputs are also returned as ``branch_<head>`` (training reads them; the analyzers do not).
    """

    def __init__(
        self, square: Mapping[str, Any], branch: Mapping[str, Any], fuse: tuple[str, ...], fuse_weight: float = 0.5
    ) -> None:
        super().__init__()
        self.square = build_model(square)
        self.branch = build_model(branch)
        self.fuse = tuple(fuse)
        self.fuse_weight = float(fuse_weight)
        self.config = {
            "arch": "pair",
            "in_ch": square["in_ch"],
            "heads": dict(square["heads"]),
            "square": dict(square),
            "branch": dict(branch),
            "fuse": list(self.fuse),
            "fuse_weight": self.fuse_weight,
        }

    @staticmethod
    def mix(square: torch.Tensor, branch: torch.Tensor, w: float) -> torch.Tensor:
        """Log of ``(1 - w) * softmax(square) + w * softmax(branch)`` (logits in, log-probabilities out)."""
        p = (1 - w) * torch.softmax(square, dim=1) + w * torch.softmax(branch, dim=1)
        return torch.log(p.clamp(min=1e-12))

    def set_fuse_weight(self, w: float) -> None:
        self.fuse_weight = float(w)
        self.config["fuse_weight"] = self.fuse_weight

    def freeze_square(self) -> None:
        """Train only the branch: the square network's weights and batch-norm statistics stay fixed."""
        for p in self.square.parameters():
            p.requires_grad_(False)
        self.square.eval()

    def train(self, mode: bool = True) -> PairNet:
        super().train(mode)
        if not any(p.requires_grad for p in self.square.parameters()):
            self.square.eval()
        return self

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = dict(self.square(x))
        extra = self.branch(x)
        w = self.fuse_weight
        for k in self.fuse if not self.training else ():  # in training each part learns on its own
            out[k] = self.mix(out[k], extra[k], w)
        out.update({f"branch_{k}": v for k, v in extra.items()})
        return out


def build_model(config: Mapping[str, Any], heads: Mapping[str, int] | None = None) -> Any:
    """An untrained network from a saved ``config``, optionally with other heads.

    For a pair, ``heads`` are the square network's; the branch keeps its own.
    """
    heads = config["heads"] if heads is None else heads
    if config.get("arch") == "pair":
        square = {**config["square"], "heads": dict(heads)}
        return PairNet(square, config["branch"], tuple(config["fuse"]), float(config.get("fuse_weight", 0.5)))
    if config.get("arch") == "polar":
        ring = config["ring"]
        return PolarNet(config["in_ch"], heads, (ring[0], ring[1], int(ring[2]), int(ring[3])), tuple(config["widths"]))
    if config.get("arch") == "density":
        return DensityNet(config["in_ch"], heads, tuple(config["widths"]), bool(config.get("dilated", False)))
    return SmallNet(config["in_ch"], heads, tuple(config["widths"]))


def with_heads(model: Any, heads: Mapping[str, int]) -> Any:
    """The same network with ``heads`` (new heads start untrained, shared layers keep their weights).

    Lets a resumed training stage add an output, e.g. a count-class head beside a density map.
    """
    if dict(model.config["heads"]) == dict(heads):
        return model
    new = build_model(model.config, heads)
    own = new.state_dict()
    keep = {k: v for k, v in model.state_dict().items() if k in own and own[k].shape == v.shape}
    missing, _ = new.load_state_dict(keep, strict=False)
    assert all(k.startswith(("heads.", "square.heads.")) for k in missing), missing
    return new


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


@dataclass
class TrainLog:
    steps: int
    final_loss: float
    seconds: float
    losses: list[float]


def train_loop(
    model: nn.Module,
    data: Mapping[str, torch.Tensor],
    loss_fn: Callable[[dict[str, torch.Tensor], Mapping[str, torch.Tensor]], torch.Tensor],
    *,
    steps: int,
    batch_size: int = 48,
    lr: float = 3e-3,
    seed: int = 0,
    augment: bool = True,
    refresh: Callable[[int], Mapping[str, torch.Tensor]] | None = None,
    refresh_every: int = 0,
    log: Callable[[str], None] | None = None,
) -> TrainLog:
    """Deterministic minibatch training with AdamW and a one-cycle learning rate.

    ``data`` holds ``x`` (N,C,H,W) and target tensors with the same first dimension. Augmentation
    is the symmetry group of the square (flips, 90-degree turns), which no label here depends on.
    ``refresh(k)``, if given, returns a fresh generated pool every ``refresh_every`` steps, so the
    network sees new synthetic images throughout training rather than one fixed set.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1), pct_start=0.15)
    losses: list[float] = []
    t0 = time.time()
    model.train()
    pool = data
    for step in range(steps):
        if refresh is not None and refresh_every and step > 0 and step % refresh_every == 0:
            pool = refresh(step // refresh_every)
        n = pool["x"].shape[0]
        idx = torch.randint(0, n, (min(batch_size, n),), generator=gen)
        batch = {k: v[idx] for k, v in pool.items()}
        x = batch["x"]
        if augment:
            k = int(torch.randint(0, 4, (1,), generator=gen))
            x = torch.rot90(x, k, dims=(2, 3))
            if int(torch.randint(0, 2, (1,), generator=gen)):
                x = torch.flip(x, dims=(3,))
        out = model(x)
        loss = loss_fn(out, batch)
        if not torch.isfinite(loss):
            raise MLError("Training diverged (non-finite loss).", code="TRAINING_DIVERGED")
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if log and (step % 100 == 0 or step == steps - 1):
            recent = losses[-100:]
            log(f"step {step + 1}/{steps} loss {sum(recent) / len(recent):.4f} ({time.time() - t0:.0f}s)")
    model.eval()
    tail = losses[-50:] or [float("nan")]
    return TrainLog(steps=steps, final_loss=float(sum(tail) / len(tail)), seconds=time.time() - t0, losses=losses)


SQUARE_VIEWS = [(k, f) for k in range(4) for f in (False, True)]  # quarter turns x flip: the square's symmetries


def square_view(x: torch.Tensor, k: int, flip: bool) -> torch.Tensor:
    """``x`` turned ``k`` quarter turns, then mirrored if ``flip``."""
    v = torch.rot90(x, k, dims=(2, 3))
    return torch.flip(v, dims=(3,)) if flip else v


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 128, tta: bool = True) -> dict[str, torch.Tensor]:
    """Run the network in eval mode over ``x`` in batches; returns raw head outputs.

    With ``tta`` the outputs are averaged over the 8 flips/quarter turns of the square, the same
    symmetry the network was trained under (labels do not depend on orientation).
    """
    model.eval()
    outs: dict[str, list[torch.Tensor]] = {}
    views = SQUARE_VIEWS if tta else SQUARE_VIEWS[:1]
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        acc: dict[str, torch.Tensor] = {}
        for k, flip in views:
            for name, val in model(square_view(xb, k, flip)).items():
                acc[name] = acc.get(name, 0) + val / len(views)
        for name, val in acc.items():
            outs.setdefault(name, []).append(val)
    return {k: torch.cat(v) for k, v in outs.items()}


def masked_ce(logits: torch.Tensor, target: torch.Tensor, ignore: int = -1) -> torch.Tensor:
    """Cross-entropy that skips targets equal to ``ignore`` (e.g. ICM grade below expansion 3)."""
    mask = target != ignore
    if not bool(mask.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[mask], target[mask], label_smoothing=0.02)


# --------------------------------------------------------------------------------------------
# Weights, checksums, model cards
# --------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def save_weights(model: Any, path: Path, extra: Mapping[str, Any] | None = None) -> str:
    """Save the state dict (float16, to keep files small) with the network config; return sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "state_dict": state, "extra": dict(extra or {})}, path)
    return sha256_file(path)


def load_weights(name: str, weights_dir: Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Load ``<weights_dir>/<name>.pt``, checking its sha256 against ``<name>.json``.

    Raises MLError WEIGHTS_MISSING or WEIGHTS_CHECKSUM_MISMATCH; the analyzer never runs on
    weights other than the ones its card describes.
    """
    wdir = Path(weights_dir) if weights_dir else WEIGHTS_DIR
    pt, meta_path = wdir / f"{name}.pt", wdir / f"{name}.json"
    if not pt.exists() or not meta_path.exists():
        raise MLError(
            f"Weights for model {name!r} not found; train them with `python -m ml train`.", code="WEIGHTS_MISSING"
        )
    meta = json.loads(meta_path.read_text())
    digest = sha256_file(pt)
    if digest != meta.get("sha256"):
        raise MLError(
            f"Weights file for {name!r} does not match its recorded checksum.", code="WEIGHTS_CHECKSUM_MISMATCH"
        )
    blob = torch.load(pt, map_location="cpu", weights_only=True)
    model = build_model(blob["config"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    model.eval()
    return model, meta


STREAMS_PER_STAGE = 10  # each training stage draws its pools from its own ten seed streams


def stage_streams(first_stream: int, stage: int, steps: int, pools: int) -> tuple[int, int]:
    """The first seed stream of training stage ``stage`` (0 = the first) and the steps between pool
    refreshes, such that the stage's pools stay within its own streams (a later stage at the same
    seed never draws the same images). More pools than streams is refused."""
    if not 1 <= pools <= STREAMS_PER_STAGE:
        raise ParameterError(
            f"A training stage draws 1 to {STREAMS_PER_STAGE} pools of generated images.",
            code="INVALID_PARAMETER",
            details={"param": "pools"},
        )
    return first_stream + STREAMS_PER_STAGE * stage, max(math.ceil(steps / pools), 1)


def resumed_history(prev: Mapping[str, Any], first_stream: int, input_size: int) -> list[dict[str, Any]]:
    """The training stages a resumed card records; for a card written before stages were recorded,
    its one stage rebuilt from the card (at the first learning rate, two seed streams). Every stage
    names its crop size (``input_size`` for stages written before sizes were recorded)."""
    history = [dict(h) for h in card_config(prev, "history", None) or []] or [
        {
            "steps": prev["steps"],
            "lr": 3e-3,
            "seed_streams": [first_stream, first_stream + 1],
            "images": prev["training_data"]["images"],
            "generator_version": prev["training_data"]["generator_version"],
        }
    ]
    for h in history:
        h.setdefault("input_size", input_size)
    return history


def card_config(meta: Mapping[str, Any], key: str, default: Any) -> Any:
    """A training choice recorded in a card's config (crop size, count readout, ...), or ``default``
    for cards written before that choice was recorded."""
    return (meta.get("config") or {}).get(key, default)


def model_info(meta: Mapping[str, Any]) -> ModelInfo:
    return ModelInfo(name=str(meta["name"]), version=str(meta["version"]), sha256=str(meta["sha256"]))


def describe_models(names: list[str], weights_dir: Path | None = None) -> list[dict[str, Any]]:
    """For the registry's ``models()``: name, version, sha256, card path of each shipped model."""
    wdir = Path(weights_dir) if weights_dir else WEIGHTS_DIR
    rows = []
    for name in names:
        meta_path = wdir / f"{name}.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        rows.append(
            {
                "kind": meta.get("kind"),
                "name": name,
                "version": meta.get("version"),
                "sha256": meta.get("sha256"),
                "card": str(wdir / f"{name}.md"),
                "weights": str(wdir / f"{name}.pt"),
                "present": (wdir / f"{name}.pt").exists(),
            }
        )
    return rows


def training_data(
    generator: str, generator_version: str, images: int, history: list[Mapping[str, Any]] | None
) -> dict[str, Any]:
    """A card's ``training_data``: our generator, and the laboratories' generators (ml.renderers) of
    any stage that drew half its pools from them, with their versions."""
    labs: dict[str, str] = {}
    for h in history or []:
        labs.update(h.get("lab_versions") or {})
    source = f"generated on the fly by {generator} (generator version {generator_version})"
    if labs:
        source += ", and in the stages marked below by the laboratories' independently written generators " + ", ".join(
            f"ml.renderers lab {lab} v{v}" for lab, v in sorted(labs.items())
        )
    out: dict[str, Any] = {
        "source": source + "; reproduce with `python -m ml synth` / `python -m ml train`",
        "generator": generator,
        "generator_version": generator_version,
        "images": images,
    }
    if labs:
        out["lab_generators"] = dict(sorted(labs.items()))
    return out


def write_model(
    model: Any,
    out_dir: Path | None,
    *,
    name: str,
    version: str,
    kind: str,
    generator: str,
    generator_version: str,
    seed: int,
    steps: int,
    train_images: int,
    metrics: Mapping[str, Any],
    intended_use: str,
    limitations: list[str],
    labels: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    eval_command: str = "",
) -> dict[str, Any]:
    """Write ``<name>.pt``, ``<name>.json`` (machine-readable) and ``<name>.md`` (the model card)."""
    wdir = Path(out_dir) if out_dir else WEIGHTS_DIR
    wdir.mkdir(parents=True, exist_ok=True)
    pt = wdir / f"{name}.pt"
    digest = save_weights(model, pt, extra)
    meta: dict[str, Any] = {
        "name": name,
        "version": version,
        "sha256": digest,
        "kind": kind,
        "size_bytes": pt.stat().st_size,
        "parameters": n_params(model),
        "architecture": f"{type(model).__name__} (plain-torch residual CNN) {model.config}",
        "training_data": training_data(generator, generator_version, train_images, (extra or {}).get("history")),
        "seed": seed,
        "steps": steps,
        "labels": dict(labels),
        "heldout_metrics": dict(metrics),
        "eval_command": eval_command,
        "clinically_validated": False,
        "intended_use": intended_use,
        "limitations": list(limitations),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if extra:
        meta["config"] = dict(extra)
    (wdir / f"{name}.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    (wdir / f"{name}.md").write_text(_card(meta))
    return meta


def update_heldout_metrics(
    name: str,
    metrics: Mapping[str, Any],
    eval_command: str,
    weights_dir: Path | None = None,
    acceptance_note: str | None = None,
) -> dict[str, Any]:
    """Record a later held-out evaluation of unchanged weights in ``<name>.json`` and the card.

    The metrics measured at the end of training stay under ``train_end_metrics``. ``acceptance_note``
    (how the figures compare with the project's targets) becomes the first limitation, replacing
    an earlier note.
    """
    wdir = Path(weights_dir) if weights_dir else WEIGHTS_DIR
    meta = json.loads((wdir / f"{name}.json").read_text())
    if sha256_file(wdir / f"{name}.pt") != meta["sha256"]:
        raise MLError("Weights changed since the card was written.", code="WEIGHTS_CHECKSUM_MISMATCH")
    meta.setdefault("train_end_metrics", meta["heldout_metrics"])
    meta["heldout_metrics"] = dict(metrics)
    meta["eval_command"] = eval_command
    if acceptance_note is not None:
        meta["limitations"] = [acceptance_note] + [
            x for x in meta.get("limitations", []) if not x.startswith(ACCEPTANCE_NOTE_PREFIXES)
        ]
    (wdir / f"{name}.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    (wdir / f"{name}.md").write_text(_card(meta))
    return meta


ACCEPTANCE_NOTE_PREFIXES = ("Below the project", "Meets the project")


def acceptance_note(
    acceptance: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str], sample: str, also: str = ""
) -> str:
    """The card's first limitation, from the ``acceptance`` block :func:`ml.base.judge` returns.

    ``labels`` names (and selects) the figures of this model, e.g. {"te_accuracy": "TE"};
    ``sample`` says what they were measured on; ``also`` adds figures without a target.
    """
    parts, missed = [], 0
    for key, label in labels.items():
        a = acceptance[key]
        op, thr = str(a["threshold"]).split()
        value = a["value"]
        shown = "not measured" if value is None else (f"{100 * value:.1f}%" if float(thr) <= 1 else f"{value:.2f}")
        target = f"{100 * float(thr):g}%" if float(thr) <= 1 else thr
        missed += not a["passed"]
        parts.append(f"{label} {shown} (target {op} {target}{'' if a['passed'] else ', not met'})")
    head = "Meets the project acceptance targets" if not missed else "Below the project acceptance target"
    return f"{head}: {'; '.join(parts)}{'; ' + also if also else ''} ({sample})."


def _stages(meta: Mapping[str, Any]) -> list[str]:
    history = card_config(meta, "history", None) or []
    if len(history) < 2:
        return []
    lines = ["Training stages (each later stage continues from the previous weights on new generated images):", ""]
    for i, h in enumerate(history, 1):
        lines.append(
            f"{i}. {h['steps']} steps at learning rate {h['lr']}, {h['images']} images, generator version "
            f"{h.get('generator_version', '?')}, "
            + (f"seed {h['seed']}, " if "seed" in h else "")
            + f"seed streams {h.get('seed_streams')}"
            + (f", {h['input_size']} px crops" if "input_size" in h else "")
            + (
                f"; {round(100 * h['lab_share'])} % of each pool ({h['lab_images']} images per lab, reused with "
                f"fresh jitter) from the labs' generators {', '.join(h['labs'])} "
                f"(ml.renderers, seed stream {h['lab_stream']})"
                if h.get("labs")
                else ""
            )
            + (f", photometric jitter v{h['photometric']}" if "photometric" in h else "")
            + (f"; {h['branch']}" if "branch" in h else "")
        )
    lines += [
        "",
        "Reproduce: the kind's `train(seed=...)`, then `train(seed=..., resume=True, steps=N, pools=P)` per later "
        "stage, or `python -m ml train KIND --resume --seed S --steps N --pools P` "
        "(P = the stage's images / 3000; the seed is the stage's, where the card records it)"
        + (" (and `size=` the stage's crop size)" if any("input_size" in h for h in history) else "")
        + (" (and `polar=True` for a branch stage)" if any("branch" in h for h in history) else "")
        + (" (and `--labs` with a lab stage's labs)" if any(h.get("labs") for h in history) else "")
        + ".",
    ]
    return [*lines, ""]


def _card(meta: Mapping[str, Any]) -> str:
    lines = [
        f"# Model card: {meta['name']} v{meta['version']}",
        "",
        f"**{NOT_VALIDATED}**",
        "",
        f"- kind: `{meta['kind']}`",
        f"- weights: `{meta['name']}.pt`, {meta['size_bytes']} bytes, {meta['parameters']} parameters",
        f"- sha256: `{meta['sha256']}`",
        f"- architecture: {meta['architecture']}",
        f"- seed: {meta['seed']}, training steps: {meta['steps']}",
        f"- labels: `{json.dumps(meta['labels'])}`",
        "",
        "## Training data",
        "",
        f"{meta['training_data']['source']}. Images seen: {meta['training_data']['images']}."
        + ("" if "fine-tuned" in meta["training_data"]["source"] else " No patient images were used."),
        "",
        *_stages(meta),
        "## Held-out metrics (generated images, seeds disjoint from training)",
        "",
        f"Measured by `{meta.get('eval_command') or 'evaluate()'}`:",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for k, v in meta["heldout_metrics"].items():
        lines.append(f"| {k} | {round(v, 4) if isinstance(v, float) else v} |")
    if meta.get("train_end_metrics"):
        lines += [
            "",
            "Measured at the end of training (another held-out seed and sample):",
            "",
        ]
        lines += ["| metric | value |", "|---|---|"]
        for k, v in meta["train_end_metrics"].items():
            lines.append(f"| {k} | {round(v, 4) if isinstance(v, float) else v} |")
    lines += [
        "",
        "These figures describe agreement with the generator's exact labels only. They say nothing about "
        "accuracy on real microscope images. For context, published systems trained on real images reach "
        "88-95 % on curated sperm-head crops (HuSHeM, SCIAN), AUC > 0.98 against embryologist labels on "
        "extreme embryo classes (STORK) and AUC 0.6-0.7 against implantation (iDAScore v2).",
        "",
        "## Intended use",
        "",
        meta["intended_use"],
        "",
        "## Limitations",
        "",
    ]
    lines += [f"- {x}" for x in meta["limitations"]]
    lines += ["", "## Status", "", NOT_VALIDATED, ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Image helpers (classical)
# --------------------------------------------------------------------------------------------


def to_gray(frame: np.ndarray) -> np.ndarray:
    """uint8 (or float) grey/RGB/RGBA frame -> float32 grey in [0, 1]."""
    a = np.asarray(frame)
    if a.ndim == 3:
        a = a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    a = a.astype(np.float32)
    if a.max(initial=0.0) > 1.5:
        a = a / 255.0
    return a


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """uint8 (or float) grey/RGB/RGBA frame -> float32 HxWx3 in [0, 1]."""
    a = np.asarray(frame).astype(np.float32)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    a = a[..., :3]
    if a.max(initial=0.0) > 1.5:
        a = a / 255.0
    return a


def standardize(x: np.ndarray) -> np.ndarray:
    """Per-image standardisation: zero mean, unit variance per channel (the network's only input scale)."""
    axes = (0, 1) if x.ndim == 3 else None
    m = x.mean(axis=axes, keepdims=True)
    s = x.std(axis=axes, keepdims=True)
    return ((x - m) / (s + 1e-3)).astype(np.float32)


def gauss_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of HxW or HxWxC by FFT with reflected padding (no SciPy needed)."""
    if sigma <= 0.05:
        return img
    pad = int(min(3 * sigma + 1, min(img.shape[:2]) - 1))
    pw = ((pad, pad), (pad, pad)) + (((0, 0),) if img.ndim == 3 else ())
    p = np.pad(img, pw, mode="reflect")
    h, w = p.shape[:2]
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    kern = np.exp(-2 * (math.pi**2) * (sigma**2) * (fy**2 + fx**2))
    if img.ndim == 3:
        kern = kern[..., None]
    out = np.fft.irfft2(np.fft.rfft2(p, axes=(0, 1)) * kern, s=(h, w), axes=(0, 1))
    return out[pad : pad + img.shape[0], pad : pad + img.shape[1]].astype(np.float32)


def grad_mag(img: np.ndarray) -> np.ndarray:
    gy, gx = np.gradient(img)
    return np.hypot(gx, gy).astype(np.float32)


def otsu(values: np.ndarray, bins: int = 128) -> float:
    v = values.ravel()
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-9:
        return hi
    hist, edges = np.histogram(v, bins=bins, range=(lo, hi))
    p = hist.astype(np.float64) / hist.sum()
    w0 = np.cumsum(p)
    mids = (edges[:-1] + edges[1:]) / 2
    mu = np.cumsum(p * mids)
    mu_t = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu_t * w0 - mu) ** 2 / (w0 * (1 - w0))
    between = np.nan_to_num(between)
    return float(mids[int(np.argmax(between))])


def _shift_reduce(
    mask: np.ndarray, r: int, op: Callable[[np.ndarray, np.ndarray], np.ndarray], fill: bool
) -> np.ndarray:
    """Separable square min/max filter of radius r on a boolean mask (fast morphology)."""
    h, w = mask.shape
    p = np.pad(mask, ((0, 0), (r, r)), constant_values=fill)
    out = mask.copy()
    for dx in range(-r, r + 1):
        out = op(out, p[:, r + dx : r + dx + w])
    p = np.pad(out, ((r, r), (0, 0)), constant_values=fill)
    res = out.copy()
    for dy in range(-r, r + 1):
        res = op(res, p[r + dy : r + dy + h, :])
    return res


def erode(mask: np.ndarray, r: int) -> np.ndarray:
    return _shift_reduce(mask, r, np.logical_and, True) if r > 0 else mask


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    return _shift_reduce(mask, r, np.logical_or, False) if r > 0 else mask


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected component labelling in numpy (min-label propagation with pointer jumping).

    Returns (labels, n) with labels 1..n and 0 for background.
    """
    h, w = mask.shape
    big = h * w
    lab = np.where(mask, np.arange(big).reshape(h, w), big).astype(np.int64)
    flat_ok = mask.ravel()
    for _ in range(10 * (h + w)):
        p = np.pad(lab, 1, constant_values=big)
        nb = np.minimum.reduce([lab, p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]])
        nb = np.where(mask, nb, big)
        flat = nb.ravel().copy()
        for _j in range(4):  # pointer jumping: a label is a pixel index whose own label is smaller
            ok = flat_ok & (flat < big)
            flat[ok] = np.minimum(flat[ok], flat[flat[ok]])
        nb = flat.reshape(h, w)
        if np.array_equal(nb, lab):
            break
        lab = nb
    roots = np.unique(lab[mask])
    out = np.zeros((h, w), np.int32)
    if roots.size:
        out[mask] = np.searchsorted(roots, lab[mask]) + 1
    return out, int(roots.size)


def resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Antialiased resize of a float HxW or HxWxC image to (h, w)."""
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32))
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    t = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)
    out = t[0, 0] if img.ndim == 2 else t[0].permute(1, 2, 0)
    return out.numpy()


def affine_crop(img: np.ndarray, cx: float, cy: float, half: float, out: int, angle: float = 0.0) -> np.ndarray:
    """Square crop centred at (cx, cy) of half-width ``half`` px, rotated by ``angle`` (radians),
    resampled to ``out`` x ``out``. Outside the image is filled with the border median."""
    h, w = img.shape[:2]
    scale = (2 * half) / out
    src = img
    if scale > 1.5:  # pre-shrink so bilinear sampling does not alias
        f = 1.0 / scale
        nh, nw = max(2, round(h * f)), max(2, round(w * f))
        src = resize(img, (nh, nw))
        cx, cy, half = cx * nw / w, cy * nh / h, half * nw / w
        h, w = nh, nw
    border = np.concatenate(
        [
            src[0].reshape(-1, *src.shape[2:]),
            src[-1].reshape(-1, *src.shape[2:]),
            src[:, 0].reshape(-1, *src.shape[2:]),
            src[:, -1].reshape(-1, *src.shape[2:]),
        ]
    )
    fillv = np.median(border, axis=0)
    t = torch.from_numpy(np.ascontiguousarray(src - fillv, dtype=np.float32))
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    c, s = math.cos(angle), math.sin(angle)
    # normalised coordinates of grid_sample: x in [-1, 1] across width
    theta = torch.tensor(
        [
            [c * half / (w / 2), -s * half / (w / 2), (cx - w / 2 + 0.5) / (w / 2)],
            [s * half / (h / 2), c * half / (h / 2), (cy - h / 2 + 0.5) / (h / 2)],
        ],
        dtype=torch.float32,
    )[None]
    grid = F.affine_grid(theta, [1, 1, out, out], align_corners=False)
    res = F.grid_sample(t, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    arr = res[0, 0].numpy() if img.ndim == 2 else res[0].permute(1, 2, 0).numpy()
    return (arr + fillv).astype(np.float32)


def locate_object(gray: np.ndarray) -> tuple[float, float, float]:
    """Find the one large object (oocyte, embryo) in a microscope frame: (cx, cy, radius) in px.

    Classical: local contrast (difference from a wide blur, so smooth illumination gradients and
    vignetting do not count) plus edge strength, Otsu threshold, the large connected pieces and
    their robust extent. Falls back to the whole frame.

    A faint outline (a thin trophectoderm ring out of focus) can lose to one dark compact part
    (the inner cell mass): when the object found spans under ``MIN_OBJECT_FRAC`` of the frame,
    that part is masked out of the contrast map and the threshold is found again without it; the
    two masks together give the extent.
    """
    h, w = gray.shape
    f = 128.0 / max(h, w)
    small = resize(gray, (max(8, round(h * f)), max(8, round(w * f)))) if f < 1 else gray
    s1 = gauss_blur(small, 1.0)
    hp = np.abs(s1 - gauss_blur(small, 6.0))
    ed = grad_mag(s1)
    dev = hp / (np.percentile(hp, 99) + 1e-6) + ed / (np.percentile(ed, 99) + 1e-6)
    dev = gauss_blur(dev, 2.5)
    k = 1 / f if f < 1 else 1.0
    mask = erode(dev > otsu(dev), 1)
    found = _extent(mask)
    if found is not None and found[2] < MIN_OBJECT_FRAC * min(small.shape) / 2:
        strong = dilate(mask, 3)
        rest = np.where(strong, 0.0, dev)
        if (~strong).sum() > 20:
            mask2 = erode(rest > otsu(rest[~strong]), 1)
            again = _extent(mask | mask2)
            if again is not None and again[2] > found[2]:
                found = again
    if found is None:
        return w / 2, h / 2, max(h, w) / 2
    return found[0] * k, found[1] * k, found[2] * k


MIN_OBJECT_FRAC = 0.3  # an oocyte or embryo spans at least this fraction of the frame's short side


def _extent(mask: np.ndarray) -> tuple[float, float, float] | None:
    """Centre and half-extent of the large connected pieces of ``mask`` (None if too few pixels)."""
    lab, n = label_components(mask)
    if n == 0:
        return None
    sizes = np.bincount(lab.ravel())[1:]
    # a zona ring and the cytoplasm inside it can come apart: keep every large piece
    keep = np.flatnonzero(sizes >= 0.25 * sizes.max()) + 1
    ys, xs = np.nonzero(np.isin(lab, keep))
    if ys.size < 20:
        return None
    x0, x1 = np.percentile(xs, [1, 99])
    y0, y1 = np.percentile(ys, [1, 99])
    r = max(x1 - x0, y1 - y0) / 2 + 2
    return float((x0 + x1) / 2), float((y0 + y1) / 2), float(r)


# --------------------------------------------------------------------------------------------
# Synthetic microscopy: drawing helpers shared by the generators. Every property is drawn from a
# wide range so that a network cannot learn one generator's look (illumination, texture, blur,
# noise, contrast, colour cast, debris, optics).
# --------------------------------------------------------------------------------------------


def grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return yy, xx


def soft_ellipse(
    yy: np.ndarray, xx: np.ndarray, cx: float, cy: float, a: float, b: float, theta: float = 0.0, edge: float = 1.0
) -> np.ndarray:
    """Anti-aliased filled ellipse (semi-axes a along theta, b across) with an edge width in px."""
    c, s = math.cos(theta), math.sin(theta)
    u = (xx - cx) * c + (yy - cy) * s
    v = -(xx - cx) * s + (yy - cy) * c
    d = np.sqrt((u / max(a, 1e-3)) ** 2 + (v / max(b, 1e-3)) ** 2)
    sd = (1 - d) * min(a, b)  # approximate signed distance (px), positive inside
    return np.clip(0.5 + sd / max(edge, 1e-3), 0, 1).astype(np.float32)


def wobbly_disk(
    yy: np.ndarray,
    xx: np.ndarray,
    cx: float,
    cy: float,
    r: float,
    rng: np.random.Generator,
    amp: float,
    edge: float = 1.0,
) -> np.ndarray:
    """A disk whose radius wobbles with a few random harmonics (irregular cells, fragments)."""
    ang = np.arctan2(yy - cy, xx - cx)
    rr = np.full_like(ang, r)
    for k in range(2, 6):
        rr = rr + r * amp * rng.normal() / k * np.cos(k * ang + rng.uniform(0, 2 * math.pi))
    d = np.hypot(yy - cy, xx - cx)
    return np.clip(0.5 + (rr - d) / max(edge, 1e-3), 0, 1).astype(np.float32)


def smooth_noise(rng: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    n = gauss_blur(rng.normal(size=(h, w)).astype(np.float32), sigma)
    return (n / (n.std() + 1e-6)).astype(np.float32)


def rim(mask: np.ndarray, width: float) -> np.ndarray:
    """A soft outline of a soft mask (|gradient| of the blurred mask), peak about 1."""
    g = grad_mag(gauss_blur(mask, max(width, 0.5)))
    return (g / (g.max() + 1e-6)).astype(np.float32)


def relief(mask: np.ndarray, angle: float, width: float) -> np.ndarray:
    """Directional derivative of a blurred mask: the bright/dark shadowing of Hoffman/DIC optics."""
    gy, gx = np.gradient(gauss_blur(mask, max(width, 0.5)))
    r = gx * math.cos(angle) + gy * math.sin(angle)
    return (r / (np.abs(r).max() + 1e-6)).astype(np.float32)


def background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Medium background: level, illumination gradient, vignetting and low-frequency texture."""
    yy, xx = grid(h, w)
    base = rng.uniform(0.35, 0.8)
    ang = rng.uniform(0, 2 * math.pi)
    grad = rng.uniform(0, 0.25) * ((xx / w - 0.5) * math.cos(ang) + (yy / h - 0.5) * math.sin(ang))
    r2 = ((xx / w - rng.uniform(0.3, 0.7)) ** 2 + (yy / h - rng.uniform(0.3, 0.7)) ** 2) * 4
    vig = -rng.uniform(0, 0.25) * r2
    tex = rng.uniform(0, 0.04) * smooth_noise(rng, h, w, rng.uniform(2, 12))
    return (base + grad + vig + tex).astype(np.float32)


def add_debris(rng: np.random.Generator, img: np.ndarray, n: int, size: tuple[float, float]) -> np.ndarray:
    h, w = img.shape[:2]
    yy, xx = grid(h, w)
    for _ in range(n):
        r = rng.uniform(*size)
        m = soft_ellipse(yy, xx, rng.uniform(0, w), rng.uniform(0, h), r, r * rng.uniform(0.4, 1), rng.uniform(0, 3.2))
        img = img + rng.choice([-1, 1]) * rng.uniform(0.05, 0.3) * m
    return img


def finish(
    rng: np.random.Generator,
    img: np.ndarray,
    *,
    blur: tuple[float, float] = (0.0, 1.8),
    noise: tuple[float, float] = (0.003, 0.035),
    colour: bool = True,
) -> np.ndarray:
    """Optics and camera: blur, contrast/gamma, noise, colour cast; returns uint8 grey or RGB."""
    img = gauss_blur(img, float(rng.uniform(*blur)))
    lo, hi = np.percentile(img, [0.5, 99.5])
    img = (img - lo) / max(hi - lo, 1e-3)
    target_lo = rng.uniform(0.0, 0.3)
    target_hi = rng.uniform(max(0.65, target_lo + 0.45), 1.0)  # at least 45 % of the grey range
    img = np.clip(target_lo + img * (target_hi - target_lo), 0, 1)
    img = img ** rng.uniform(0.7, 1.4)
    img = img + rng.normal(size=img.shape).astype(np.float32) * rng.uniform(*noise)
    if colour and rng.random() < 0.6:
        cast = rng.uniform(0.88, 1.12, size=3).astype(np.float32)
        rgb = np.clip(img[..., None] * cast, 0, 1) if img.ndim == 2 else np.clip(img * cast, 0, 1)
        return (rgb * 255 + 0.5).astype(np.uint8)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


PHOTOMETRIC = "1"  # version of photometric_jitter, recorded in a training stage's history


def photometric_jitter(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """How a camera, a file format or a viewer may change a frame without moving anything in it.

    Used on training pools so a network does not rely on one generator's look. With probability 0.4
    the image is returned unchanged; else one or two of: JPEG at quality 30-90, gamma 0.5-2, a
    resample down by 0.35-0.85 and back up (bilinear or bicubic), then fresh sensor noise.
    Geometry is kept exactly (same size, same grid), so point and mask labels stay valid.
    """
    import io

    from PIL import Image

    if rng.random() < 0.4:
        return img
    out = img
    for op in rng.choice(3, size=int(rng.integers(1, 3)), replace=False):
        if op == 0:
            buf = io.BytesIO()
            Image.fromarray(out).save(buf, "JPEG", quality=int(rng.integers(30, 91)))
            out = np.asarray(Image.open(buf).convert(Image.fromarray(out).mode))
        elif op == 1:
            g = float(np.exp(rng.uniform(math.log(0.5), math.log(2.0))))
            out = (255.0 * (out / 255.0) ** g + 0.5).astype(np.uint8)
        else:
            h, w = out.shape[:2]
            f = rng.uniform(0.35, 0.85)
            method = Image.Resampling.BICUBIC if rng.random() < 0.5 else Image.Resampling.BILINEAR
            small = Image.fromarray(out).resize((max(8, round(w * f)), max(8, round(h * f))), method)
            up = np.asarray(small.resize((w, h), method)).astype(np.float32)
            up += rng.normal(0, rng.uniform(0, 6), up.shape).astype(np.float32)
            out = np.clip(up + 0.5, 0, 255).astype(np.uint8)
    return out


def save_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


# --------------------------------------------------------------------------------------------
# Parameters and the quality gate
# --------------------------------------------------------------------------------------------


def param_float(
    params: Mapping[str, Any], name: str, *, required: bool = False, lo: float = 0.0, hi: float = math.inf
) -> float | None:
    """Read a positive number parameter; raise ParameterError MISSING_PARAMETER / INVALID_PARAMETER."""
    raw = params.get(name) if params else None
    if raw is None or raw == "":
        if required:
            raise ParameterError(f"Parameter {name!r} is required.", code="MISSING_PARAMETER", details={"param": name})
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ParameterError(
            f"Parameter {name!r} must be a number.", code="INVALID_PARAMETER", details={"param": name}
        ) from None
    if not math.isfinite(value) or not (lo < value <= hi):
        raise ParameterError(
            f"Parameter {name!r} must be in ({lo}, {hi}].", code="INVALID_PARAMETER", details={"param": name}
        )
    return value


def first_frame(frames: Any, kind: str) -> tuple[np.ndarray, list[QualityWarning]]:
    """The one still image an image analyzer works on, after the shared quality gate.

    Returns the frame and the gate's soft warnings; hard failures raise QualityError.
    """
    if isinstance(frames, np.ndarray) and (frames.ndim == 2 or (frames.ndim == 3 and frames.shape[-1] in (3, 4))):
        frames = [frames]
    if frames is None or len(frames) == 0:
        raise QualityError("No image was given.", code="NO_IMAGE")
    frame = np.asarray(frames[0])
    if frame.ndim == 3 and frame.shape[-1] == 4:
        frame = frame[..., :3]
    from ml.quality import check_image  # helper A's gate; raises QualityError with stable codes

    warnings = list(check_image(frame, kind=kind))
    if len(frames) > 1:
        warnings.append(QualityWarning("MULTIPLE_FRAMES", "Several frames were given; only the first was analysed."))
    return frame, warnings


def window(shape: tuple[int, ...], cx: float, cy: float, r: float, pad: float = 4.0) -> tuple[slice, slice]:
    """The bounding slices of a shape of radius r at (cx, cy): draw small things locally, fast."""
    h, w = shape[:2]
    y0, y1 = max(0, int(cy - r - pad)), min(h, int(cy + r + pad) + 2)
    x0, x1 = max(0, int(cx - r - pad)), min(w, int(cx + r + pad) + 2)
    return slice(y0, max(y0 + 1, y1)), slice(x0, max(x0 + 1, x1))
