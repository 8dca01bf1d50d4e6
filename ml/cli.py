"""Command line: ``python -m ml synth|train|evaluate|models|analyze``. Kinds go through ml.registry.

python -m ml synth KIND --n N --out DIR [--seed S]
python -m ml train KIND [--smoke] [--seed S] [--out DIR] [--steps N] [--pools P] [--resume] [--model NAME] [--polar]
                     [--labs b,d [--lab-share F]]
python -m ml train KIND --data DIR --format blasto2k|folder [--out DIR] [--steps N]   fine-tune on a clinic's images
python -m ml evaluate KIND [--n N] [--seed S]     exit 1 when an acceptance threshold fails
python -m ml models
python -m ml analyze KIND FILE... [--param k=v ...]   exit 2 with {"error": {...}} on an MLError
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from ml.base import KINDS, MLError, ParameterError
from ml.renderers import catalog


def _print(obj: Any) -> None:
    from ml.base import _json_safe

    sys.stdout.write(json.dumps(_json_safe(obj), indent=2, default=str) + "\n")


def _error(exc: MLError) -> int:
    _print({"error": {"code": exc.code, "message": exc.message, **({"details": exc.details} if exc.details else {})}})
    return 2


def _passed(metrics: Any) -> bool:
    """A kind's evaluate() reports acceptance as {"passed": bool} and/or per-threshold entries."""
    if not isinstance(metrics, dict):
        return True
    if "passed" in metrics:
        return bool(metrics["passed"])
    acc = metrics.get("acceptance")
    if isinstance(acc, dict):
        return all(bool(v.get("passed", True)) if isinstance(v, dict) else bool(v) for v in acc.values())
    return True


def cmd_synth(args: argparse.Namespace) -> int:
    from ml.registry import kind_module

    kind_module(args.kind).synth(args.n, Path(args.out), seed=args.seed)
    _print({"kind": args.kind, "written": args.n, "out": str(args.out)})
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train on generated images, or (with --data and --format) fine-tune on a labelled data set."""
    from ml.registry import kind_module

    out = Path(args.out) if args.out else None
    if args.steps is not None and args.steps < 1:
        raise ParameterError("--steps must be at least 1.")
    if (args.data is None) != (args.format is None):
        raise ParameterError("--data and --format go together (fine-tuning on a labelled data set).")
    if args.data is not None:
        if (
            args.smoke
            or args.resume
            or args.model
            or args.polar
            or args.pools is not None
            or args.labs
            or args.lab_share is not None
        ):
            raise ParameterError(
                "--smoke, --resume, --model, --polar, --pools, --labs and --lab-share apply to training on generated "
                "images, not --data."
            )
        from ml.importers import finetune

        with contextlib.redirect_stdout(sys.stderr):  # progress lines; stdout carries only the JSON
            metrics = finetune(args.kind, Path(args.data), args.format, out_dir=out, seed=args.seed, steps=args.steps)
        _print({"kind": args.kind, "fine_tuned_on": str(args.data), "format": args.format, "metrics": metrics})
        return 0
    kwargs: dict[str, Any] = {"out_dir": out, "seed": args.seed, "smoke": args.smoke}
    if args.resume:
        kwargs["resume"] = True
    if args.steps is not None:
        kwargs["steps"] = args.steps
    if args.pools is not None:
        kwargs["pools"] = args.pools
    if args.model is not None:
        kwargs["model"] = args.model
    if args.polar:
        kwargs["polar"] = True
    if args.labs:
        known = catalog.SPERM_LABS if args.kind == "sperm" else catalog.EMBRYO_LABS
        labs = tuple(x for x in args.labs.split(",") if x)
        unknown = [x for x in labs if x not in known]
        if unknown or not labs:
            raise ParameterError(
                f"Unknown lab(s) {', '.join(unknown) or args.labs!r}; expected some of {', '.join(known)}.",
                details={"param": "labs"},
            )
        kwargs["labs"] = labs
    if args.lab_share is not None:
        if not args.labs:
            raise ParameterError("--lab-share needs --labs.", details={"param": "lab_share"})
        if not 0.0 < args.lab_share <= 1.0:
            raise ParameterError(
                f"--lab-share must be above 0 and at most 1, not {args.lab_share}.", details={"param": "lab_share"}
            )
        kwargs["lab_share"] = args.lab_share
    train = kind_module(args.kind).train
    unsupported = sorted(k for k in kwargs if k not in inspect.signature(train).parameters)
    if unsupported:
        flags = ", ".join("--" + k.replace("_", "-") for k in unsupported)
        raise ParameterError(f"Training {args.kind!r} does not take {flags}.", code="UNSUPPORTED_OPTION")
    with contextlib.redirect_stdout(sys.stderr):  # progress lines; stdout carries only the JSON
        metrics = train(**kwargs)
    _print({"kind": args.kind, "metrics": metrics})
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ml.registry import kind_module

    kwargs: dict[str, Any] = {}
    if args.n is not None:
        kwargs["n"] = args.n
    if args.seed is not None:
        kwargs["seed"] = args.seed
    metrics = kind_module(args.kind).evaluate(**kwargs)
    ok = _passed(metrics)
    _print({"kind": args.kind, "metrics": metrics, "passed": ok})
    return 0 if ok else 1


def cmd_models(args: argparse.Namespace) -> int:
    from ml.registry import kind_module

    rows: list[dict[str, Any]] = []
    for kind in KINDS:
        try:
            mod = kind_module(kind)
            rows.extend(mod.models())
        except Exception as exc:  # a kind not built yet must not hide the others
            rows.append({"kind": kind, "error": f"{type(exc).__name__}: {exc}"})
    _print(rows)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from ml import io
    from ml.params import parse_kv
    from ml.registry import load_analyzer

    params: dict[str, Any] = parse_kv(args.param or [])
    loaded = io.load(args.files if len(args.files) > 1 else args.files[0])
    if loaded.fps and "fps" not in params:
        params["fps"] = loaded.fps
    if loaded.pixel_spacing_mm and "mm_per_px" not in params and "pixel_spacing_mm" not in params:
        params["pixel_spacing_mm"] = ",".join(str(v) for v in loaded.pixel_spacing_mm)
    analyzer = load_analyzer(args.kind)
    result = analyzer.analyze(loaded.frames, params)
    _print(result.to_dict())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml", description="FertiVision image analyzers")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("synth", help="write generated images with ground truth")
    s.add_argument("kind", choices=KINDS)
    s.add_argument("--n", type=int, default=10)
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_synth)
    t = sub.add_parser("train", help="train a kind's network(s) on generated data")
    t.add_argument("kind", choices=KINDS)
    t.add_argument("--smoke", action="store_true", help="a few steps only, to check the pipeline")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default=None, help="weights directory (default: the shipped location)")
    t.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the kind's own)")
    t.add_argument(
        "--pools", type=int, default=None, help="pools of freshly generated images a stage draws, 1 to 10 (default 4)"
    )
    t.add_argument("--resume", action="store_true", help="continue from the weights in --out on fresh images")
    t.add_argument("--model", default=None, help="embryo only: embryo_day3 or embryo_blastocyst")
    t.add_argument(
        "--polar",
        action="store_true",
        help="embryo blastocyst, with --resume: a stage training the polar TE branch beside the frozen network",
    )
    t.add_argument(
        "--labs",
        default=None,
        help="comma-separated laboratories' generators supplying a share of every pool (ml.renderers.catalog: "
        f"embryo and oocyte {', '.join(catalog.EMBRYO_LABS)}; sperm {', '.join(catalog.SPERM_LABS)})",
    )
    t.add_argument(
        "--lab-share",
        type=float,
        default=None,
        help="with --labs: the fraction of every pool drawn from the labs' generators, above 0 and at most 1 "
        "(default 0.5)",
    )
    t.add_argument("--data", default=None, help="fine-tune on this labelled data set instead of generated images")
    t.add_argument("--format", default=None, choices=("blasto2k", "folder"), help="layout of --data")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="metrics on held-out generated data; exit 1 below acceptance")
    e.add_argument("kind", choices=KINDS)
    e.add_argument("--n", type=int, default=None)
    e.add_argument("--seed", type=int, default=None)
    e.set_defaults(func=cmd_evaluate)
    m = sub.add_parser("models", help="list every analyzer's model name, version, sha256 and card")
    m.set_defaults(func=cmd_models)
    a = sub.add_parser("analyze", help="analyze image/video files and print the result JSON")
    a.add_argument("kind", choices=KINDS)
    a.add_argument("files", nargs="+", help="one image or video, or several frames in order")
    a.add_argument("--param", action="append", metavar="K=V", help="e.g. --param um_per_px=0.5")
    a.set_defaults(func=cmd_analyze)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except MLError as exc:
        return _error(exc)
    return code
