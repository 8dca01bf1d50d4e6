"""The quality gate: stable codes for hard failures, warnings for soft ones."""

from __future__ import annotations

import numpy as np
import pytest

from ml.base import QualityError
from ml.quality import LIMITS, check_image, check_video, focus_measure


def _textured(h: int = 200, w: int = 240, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = 120 + 40 * rng.standard_normal((h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def _code(fn, *a, **k) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(QualityError) as exc:
        fn(*a, **k)
    return exc.value.code


def test_good_image_passes() -> None:
    assert check_image(_textured(), "sperm") == []


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (np.zeros((200, 200), np.uint8), "IMAGE_TOO_DARK"),
        (np.full((200, 200), 255, np.uint8), "IMAGE_TOO_BRIGHT"),
        (np.full((200, 200), 128, np.uint8), "LOW_CONTRAST"),
        (np.zeros((20, 300), np.uint8) + 100, "IMAGE_TOO_SMALL"),
        (np.zeros((200, 200), np.float32), "UNSUPPORTED_MODE"),
        (np.zeros((200, 200, 4), np.uint8), "UNSUPPORTED_MODE"),
    ],
)
def test_hard_failures_have_stable_codes(image: np.ndarray, code: str) -> None:
    assert _code(check_image, image, "sperm") == code


def test_too_large_is_refused_before_anything_else() -> None:
    lim = LIMITS["generic"]
    from dataclasses import replace

    assert _code(check_image, _textured(300, 300), limits=replace(lim, max_pixels=80_000)) == "IMAGE_TOO_LARGE"


def test_out_of_focus_by_relative_laplacian() -> None:
    sharp = _textured()
    # a smooth gradient with a soft blob: plenty of contrast, no fine detail
    yy, xx = np.mgrid[0:200, 0:240]
    soft = (60 + 0.5 * xx + 60 * np.exp(-((xx - 120) ** 2 + (yy - 100) ** 2) / 3000)).astype(np.uint8)
    assert focus_measure(sharp.astype(float)) > 50 * focus_measure(soft.astype(float))
    assert _code(check_image, soft, "sperm") == "IMAGE_OUT_OF_FOCUS"


def test_dim_image_warns_but_passes() -> None:
    rng = np.random.default_rng(1)
    img = np.clip(18 + 8 * rng.standard_normal((200, 200)), 0, 255).astype(np.uint8)
    codes = [w.code for w in check_image(img, "sperm")]
    assert "LOW_LIGHT" in codes


def test_ultrasound_limits_accept_a_dark_sector_image() -> None:
    img = np.zeros((300, 300), np.uint8)
    rng = np.random.default_rng(2)
    img[50:250, 60:240] = np.clip(60 + 30 * rng.standard_normal((200, 180)), 0, 255).astype(np.uint8)
    check_image(img, "follicle")  # no exception
    with pytest.raises(QualityError):
        check_image(np.zeros((300, 300), np.uint8), "follicle")


def test_video_checks() -> None:
    frames = [_textured(seed=i) for i in range(60)]
    assert [w.code for w in check_video(frames, 50.0, "sperm")] == []
    assert _code(check_video, frames[:20], 50.0, "sperm") == "TOO_FEW_FRAMES"
    assert _code(check_video, frames, 10.0, "sperm") == "FRAME_RATE_TOO_LOW"
    assert _code(check_video, frames, None, "sperm") == "FRAME_RATE_TOO_LOW"
    assert "LOW_FRAME_RATE" in [w.code for w in check_video(frames[:30], 25.0, "sperm")]
    mixed = [*frames[:30], _textured(100, 100), *frames[31:]]
    assert _code(check_video, mixed, 50.0, "sperm") == "INCONSISTENT_FRAMES"
    cut = frames[:30] + [np.clip(f.astype(int) + 90, 0, 255).astype(np.uint8) for f in frames[30:]]
    assert _code(check_video, cut, 50.0, "sperm") == "INCONSISTENT_FRAMES"
