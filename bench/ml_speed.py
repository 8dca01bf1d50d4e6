"""Speed of every analyzer on 2 CPU threads, side by side with the seed's network designs.

    python bench/ml_speed.py [--repeat N]

The seed documents proposed a ResNet-50 multi-head classifier at 224 px and an EfficientNet-B4
sized network at 380 px. Both are written here in plain torch (torchvision is not available) with
random weights: only their cost matters. Each analyzer's time is printed with its ratio to them.
Targets (issue 4): a still-image analyzer <= 100 ms per image; a 2 s, 50 frames/s, 640x480 sperm
video <= 3 s. Not part of the test run. Wall time depends on what else runs on the machine, so the
process CPU time is printed too.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


# ---------------------------------------------------------------------------------------------
# the seed's designs, in plain torch
# ---------------------------------------------------------------------------------------------
class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.down = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.down(x))


class ResNet50MultiHead(nn.Module):
    """ResNet-50 trunk ([3, 4, 6, 3] bottlenecks) with several classification heads."""

    def __init__(self, heads: dict[str, int] | None = None) -> None:
        super().__init__()
        heads = heads or {"grade": 6, "icm": 3, "te": 3, "quality": 2}
        layers: list[nn.Module] = [
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        ]
        cin = 64
        for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for b in range(blocks):
                layers.append(Bottleneck(cin, width, stride if b == 0 else 1))
                cin = width * 4
        self.trunk = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({k: nn.Linear(cin, n) for k, n in heads.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.trunk(x).mean(dim=(2, 3))
        return {k: h(f) for k, h in self.heads.items()}


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        se = max(1, cin // 4)
        self.expand = (
            nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU())
            if expand != 1
            else nn.Identity()
        )
        self.dw = nn.Sequential(
            nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.SiLU()
        )
        self.se = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, se, 1), nn.SiLU(), nn.Conv2d(se, mid, 1), nn.Sigmoid()
        )
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dw(self.expand(x))
        y = self.project(y * self.se(y))
        return x + y if self.residual else y


class EfficientNetB4Like(nn.Module):
    """EfficientNet-B0 stages scaled to B4 (width 1.4, depth 1.8), input 380 px."""

    def __init__(self, n_classes: int = 6, width: float = 1.4, depth: float = 1.8) -> None:
        super().__init__()

        def ch(c: int) -> int:
            return int(max(8, int(c * width + 4) // 8 * 8))

        stages = [
            (1, 16, 1, 3, 1),
            (6, 24, 2, 3, 2),
            (6, 40, 2, 5, 2),
            (6, 80, 3, 3, 2),
            (6, 112, 3, 5, 1),
            (6, 192, 4, 5, 2),
            (6, 320, 1, 3, 1),
        ]
        layers: list[nn.Module] = [nn.Conv2d(3, ch(32), 3, 2, 1, bias=False), nn.BatchNorm2d(ch(32)), nn.SiLU()]
        cin = ch(32)
        for expand, c, n, k, s in stages:
            for i in range(math.ceil(n * depth)):
                layers.append(MBConv(cin, ch(c), expand, k, s if i == 0 else 1))
                cin = ch(c)
        layers += [nn.Conv2d(cin, ch(1280), 1, bias=False), nn.BatchNorm2d(ch(1280)), nn.SiLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(ch(1280), n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


# ---------------------------------------------------------------------------------------------
THREADS = [2]


def timeit(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(median wall seconds, median process CPU seconds summed over threads) after one warm-up call."""
    torch.set_num_threads(THREADS[0])  # an analyzer module may have changed it on import
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def _b_analyzer_case(kind: str, day: int = 5) -> tuple[Any, list[np.ndarray], dict[str, Any]] | str:
    """An analyzer written by the other helper, with one of its own generated images (embryo: of ``day``)."""
    import importlib

    from ml.registry import load_analyzer

    try:
        analyzer = load_analyzer(kind)
        gen = importlib.import_module(f"ml.{kind}.generate")
        if hasattr(gen, "sample"):
            img, truth = gen.sample(0, 0)
        elif hasattr(gen, "sample_blastocyst"):  # embryo: a day-3 or day-5 image
            img, truth = gen.sample_day3(0, 0) if day == 3 else gen.sample_blastocyst(0, 0)
        else:  # fall back to the registry's synth(): one image written to a temporary folder
            import tempfile

            from ml import io
            from ml.registry import kind_module

            with tempfile.TemporaryDirectory() as tmp:
                kind_module(kind).synth(1, Path(tmp), seed=0)
                first = sorted(Path(tmp).glob("*.png"))[0]
                img, truth = io.load(first).frames[0], {}
    except Exception as exc:
        return f"unavailable ({type(exc).__name__}: {str(exc)[:80]})"
    params = {k: truth[k] for k in ("um_per_px", "day") if isinstance(truth, dict) and k in truth}
    if kind == "embryo":
        params["day"] = day
    return analyzer, [img], params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="2 is the target; 1 helps when a core is busy")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    THREADS[0] = args.threads
    rows: list[tuple[str, float, float, str]] = []

    with torch.inference_mode():
        r50 = ResNet50MultiHead().eval()
        x224 = torch.randn(1, 3, 224, 224)
        rn_wall, rn_cpu = timeit(lambda: r50(x224), args.repeat)
        eff = EfficientNetB4Like().eval()
        x380 = torch.randn(1, 3, 380, 380)
        ef_wall, ef_cpu = timeit(lambda: eff(x380), args.repeat)
    rows.append(("seed design: ResNet-50 multi-head @224 (1 image)", rn_wall, rn_cpu, ""))
    rows.append(("seed design: EfficientNet-B4-sized @380 (1 image)", ef_wall, ef_cpu, ""))

    from ml.follicle import load_analyzer as load_follicle
    from ml.follicle.generate import make_image
    from ml.sperm import load_analyzer as load_sperm
    from ml.sperm.generate import make_video

    rng = np.random.default_rng(0)
    sperm = load_sperm()
    still, gt = make_video(rng, width=640, height=480, n_frames=1, concentration=60.0)
    p = {"um_per_px": gt["um_per_px"], "depth_um": gt["depth_um"], "dilution": gt["dilution"]}
    w, c = timeit(lambda: sperm.analyze(still, p), args.repeat)
    rows.append(("sperm still 640x480 (concentration)", w, c, "<= 0.100 s"))
    video, gt = make_video(rng, width=640, height=480, n_frames=100, fps=50.0, concentration=60.0)
    pv = {"um_per_px": gt["um_per_px"], "depth_um": gt["depth_um"], "dilution": gt["dilution"], "fps": 50.0}
    w, c = timeit(lambda: sperm.analyze(video, pv), max(1, args.repeat // 2))
    rows.append((f"sperm video 2 s @50 fps 640x480 ({gt['count_first_frame']} heads)", w, c, "<= 3.0 s"))

    fol = load_follicle()
    img, fgt = make_image(rng, stimulated=True, size=(480, 640))
    w, c = timeit(lambda: fol.analyze([img], {"mm_per_px": fgt["mm_per_px"]}), args.repeat)
    rows.append(("follicle 640x480", w, c, "<= 0.100 s"))

    try:
        from ml.sperm import morphology

        smear, truth = morphology.sample(0, 0)
        ps = {"preparation": "smear", "um_per_px": truth.get("um_per_px")}
        w, c = timeit(lambda: sperm.analyze([smear], ps), args.repeat)
        rows.append((f"sperm smear morphology {smear.shape[1]}x{smear.shape[0]}", w, c, "<= 0.100 s"))
    except Exception as exc:
        rows.append((f"sperm smear morphology: unavailable ({type(exc).__name__})", math.nan, math.nan, ""))
    for kind, day in (("oocyte", 5), ("embryo", 5), ("embryo", 3)):
        case = _b_analyzer_case(kind, day)
        label = f"{kind} day {day}" if kind == "embryo" else kind
        if isinstance(case, str):
            rows.append((f"{label}: {case}", math.nan, math.nan, ""))
            continue
        an, frames, params = case

        def run(an: Any = an, frames: list[np.ndarray] = frames, params: dict[str, Any] = params) -> Any:
            return an.analyze(frames, params)

        w, c = timeit(run, args.repeat)
        rows.append((f"{label} {frames[0].shape[1]}x{frames[0].shape[0]}", w, c, "<= 0.100 s"))

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, repeat {args.repeat}")
    print(f"{'case':58s} {'wall s':>8s} {'cpu s':>8s} {'/R50':>7s} {'/B4':>7s}  target")
    for name, wall, cpu, target in rows:
        print(f"{name:58s} {wall:8.3f} {cpu:8.3f} {wall / rn_wall:7.2f} {wall / ef_wall:7.2f}  {target}")


if __name__ == "__main__":
    main()
