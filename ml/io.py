"""Load images and video frames from files, folders or arrays into the one shape the analyzers take.

Every loader returns a :class:`Loaded`: a list of frames (uint8 numpy arrays, HxW grey or HxWx3 RGB)
and metadata: ``fps`` when the container says so, ``pixel_spacing_mm`` (row, column) from DICOM,
``source_format``. Errors carry stable codes: FILE_NOT_FOUND, UNSUPPORTED_FORMAT, UNREADABLE_FILE.

Supported: PNG, JPEG, TIFF (a multi-frame TIFF is a video), BMP, a folder of such frames (sorted by
name), numpy ``.npy`` / arrays (HxW, HxWx3, or NxHxW / NxHxWx3), DICOM (pydicom; single or
multi-frame), AVI/MP4/MOV via imageio with its bundled ffmpeg when those packages are installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.base import MLError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
VIDEO_SUFFIXES = {".avi", ".mp4", ".mov", ".m4v", ".mkv"}
DICOM_SUFFIXES = {".dcm", ".dicom"}
MAX_FRAMES = 2000  # a 40 s video at 50 frames/s; more is almost certainly a mistake


@dataclass
class Loaded:
    frames: list[np.ndarray]
    fps: float | None = None
    pixel_spacing_mm: tuple[float, float] | None = None  # (row, column) spacing, DICOM PixelSpacing
    source_format: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_video(self) -> bool:
        return len(self.frames) > 1


def to_uint8(a: np.ndarray) -> np.ndarray:
    """Bring any numeric image to uint8: uint8 passes through, other types are scaled to their range."""
    a = np.asarray(a)
    if a.dtype == np.uint8:
        out = a
    elif a.dtype == bool:
        out = a.astype(np.uint8) * 255
    else:
        f = a.astype(np.float64)
        if np.issubdtype(a.dtype, np.floating) and np.nanmin(f) >= 0.0 and np.nanmax(f) <= 1.0:
            f = f * 255.0  # float images in 0..1
        elif f.size and (np.nanmax(f) > 255 or np.nanmin(f) < 0):
            lo, hi = float(np.nanmin(f)), float(np.nanmax(f))
            f = (f - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(f)
        out = np.clip(np.nan_to_num(f), 0, 255).round().astype(np.uint8)
    if out.ndim == 3 and out.shape[2] == 1:
        out = out[..., 0]
    if out.ndim == 3 and out.shape[2] == 4:
        out = out[..., :3]
    return np.ascontiguousarray(out)


def frames_from_array(a: np.ndarray) -> list[np.ndarray]:
    """HxW / HxWxC is one frame; NxHxW / NxHxWxC is a video."""
    a = np.asarray(a)
    if a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (1, 3, 4) and a.shape[0] > 4):
        return [to_uint8(a)]
    if a.ndim in (3, 4):
        return [to_uint8(f) for f in a]
    raise MLError(f"An array of shape {a.shape} is not an image or a stack of images.", code="UNSUPPORTED_FORMAT")


def load(source: str | Path | np.ndarray | Sequence[str | Path]) -> Loaded:
    """Load one file, a folder of frames, a list of frame files, or an array."""
    if isinstance(source, np.ndarray):
        return Loaded(frames_from_array(source), source_format="array")
    if isinstance(source, (list, tuple)):
        paths = [Path(p) for p in source]
        if len(paths) == 1:
            return load(paths[0])
        return _load_frame_files(paths)
    path = Path(source)  # type: ignore[arg-type]  # str | Path here: sequences were handled above
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | DICOM_SUFFIXES)
        if not files:
            raise MLError("The folder holds no image frames.", code="UNSUPPORTED_FORMAT")
        return _load_frame_files(files)
    if not path.exists():
        raise MLError(f"No such file: {path.name}", code="FILE_NOT_FOUND")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return Loaded(frames_from_array(np.load(path, allow_pickle=False)), source_format="npy")
        if suffix in DICOM_SUFFIXES or _looks_like_dicom(path):
            return _load_dicom(path)
        if suffix in VIDEO_SUFFIXES:
            return _load_video(path)
        return _load_pillow(path)
    except MLError:
        raise
    except Exception as exc:  # a decoder's own error: report it without a traceback
        raise MLError(f"Could not read {path.name}: {type(exc).__name__}", code="UNREADABLE_FILE") from exc


def _looks_like_dicom(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _load_frame_files(paths: Iterable[Path]) -> Loaded:
    frames: list[np.ndarray] = []
    spacing = None
    for p in paths:
        one = load(p)
        frames.extend(one.frames)
        spacing = spacing or one.pixel_spacing_mm
        if len(frames) > MAX_FRAMES:
            raise MLError(f"More than {MAX_FRAMES} frames.", code="TOO_MANY_FRAMES")
    shapes = {f.shape[:2] for f in frames}
    if len(shapes) > 1:
        raise MLError("The frames do not all have the same size.", code="INCONSISTENT_FRAMES")
    return Loaded(frames, pixel_spacing_mm=spacing, source_format="frames")


def _load_pillow(path: Path) -> Loaded:
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(path)
    except UnidentifiedImageError as exc:
        raise MLError(f"{path.name} is not an image format we read.", code="UNSUPPORTED_FORMAT") from exc
    with img:  # a multi-frame file stays open until closed
        frames = []
        n = getattr(img, "n_frames", 1)
        if n > MAX_FRAMES:
            raise MLError(f"More than {MAX_FRAMES} frames.", code="TOO_MANY_FRAMES")
        raw: list[np.ndarray] = []
        for i in range(n):
            img.seek(i)
            if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                raw.append(np.asarray(img).copy())
            else:
                frames.append(_pil_to_array(img))
        if raw:  # high bit depth: one scaling for the whole stack, or a video would flicker
            frames = [to_uint8(np.clip(f, 0, 255).round().astype(np.uint8)) for f in _scale_stack(raw)]
        fps = None
        duration = img.info.get("duration")  # ms per frame (GIF/APNG); TIFF has no standard frame rate
        if n > 1 and duration:
            fps = 1000.0 / float(duration)
        return Loaded(frames, fps=fps, source_format=(img.format or path.suffix.lstrip(".")).lower())


def _scale_stack(stack: list[np.ndarray]) -> list[np.ndarray]:
    """16-bit or float frames to 0..255 floats with one range for all frames (0..1 floats kept)."""
    lo = min(float(np.nanmin(f)) for f in stack)
    hi = max(float(np.nanmax(f)) for f in stack)
    if np.issubdtype(stack[0].dtype, np.floating) and lo >= 0.0 and hi <= 1.0:
        return [f.astype(np.float64) * 255.0 for f in stack]
    if hi <= 255 and lo >= 0:
        return [f.astype(np.float64) for f in stack]
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return [(f.astype(np.float64) - lo) * scale for f in stack]


def _pil_to_array(img: Any) -> np.ndarray:
    mode = img.mode
    if mode in ("L", "RGB"):
        return np.ascontiguousarray(np.asarray(img))
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return to_uint8(np.asarray(img))
    if mode == "1":
        return np.asarray(img.convert("L"))
    return np.asarray(img.convert("RGB"))


def _load_dicom(path: Path) -> Loaded:
    try:
        import pydicom
    except ImportError as exc:  # pragma: no cover - pydicom is in requirements/ml.txt
        raise MLError("DICOM support needs pydicom.", code="UNSUPPORTED_FORMAT") from exc
    ds = pydicom.dcmread(str(path))
    try:
        arr = ds.pixel_array
    except Exception as exc:
        raise MLError(
            f"The DICOM file's pixel data cannot be decoded ({type(exc).__name__}).", code="UNSUPPORTED_FORMAT"
        ) from exc
    nframes = int(getattr(ds, "NumberOfFrames", 1) or 1)
    spp = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    arr = np.asarray(arr)
    if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
        arr = arr.max() - arr
    # several frames, or one grey frame stack without a frame count: a video; else one (grey or RGB) image
    stack = nframes > 1 or (spp == 1 and arr.ndim == 3)
    frames = [to_uint8(f) for f in arr] if stack else [to_uint8(arr)]
    spacing = None
    for tag in ("PixelSpacing", "ImagerPixelSpacing"):
        val = getattr(ds, tag, None)
        if val is not None and len(val) >= 2:
            spacing = (float(val[0]), float(val[1]))
            break
    if spacing is None:  # ultrasound stores calibration in regions, in cm
        regions = getattr(ds, "SequenceOfUltrasoundRegions", None)
        if regions:
            r = regions[0]
            dx, dy = getattr(r, "PhysicalDeltaX", None), getattr(r, "PhysicalDeltaY", None)
            units = getattr(r, "PhysicalUnitsXDirection", None)
            if dx and dy and units == 3:  # 3 = cm
                spacing = (abs(float(dy)) * 10.0, abs(float(dx)) * 10.0)
    fps = None
    frame_time = getattr(ds, "FrameTime", None)  # ms
    if frame_time:
        fps = 1000.0 / float(frame_time)
    elif getattr(ds, "CineRate", None):
        fps = float(ds.CineRate)
    return Loaded(
        frames,
        fps=fps,
        pixel_spacing_mm=spacing,
        source_format="dicom",
        meta={"modality": str(getattr(ds, "Modality", ""))},
    )


def _load_video(path: Path) -> Loaded:
    try:
        import imageio.v3 as iio
    except ImportError as exc:
        raise MLError(
            "Reading AVI/MP4 needs the optional packages imageio and imageio-ffmpeg; "
            "export the video as a multi-frame TIFF or a folder of PNG frames instead.",
            code="UNSUPPORTED_FORMAT",
        ) from exc
    try:
        meta = iio.immeta(path)
        frames = []
        for i, fr in enumerate(iio.imiter(path)):
            if i >= MAX_FRAMES:
                raise MLError(f"More than {MAX_FRAMES} frames.", code="TOO_MANY_FRAMES")
            frames.append(to_uint8(np.asarray(fr)))
    except MLError:
        raise
    except Exception as exc:
        raise MLError(
            f"The video {path.name} cannot be decoded ({type(exc).__name__}).", code="UNSUPPORTED_FORMAT"
        ) from exc
    fps = meta.get("fps")
    # decoders return RGB even for grey video; keep grey when the three channels agree
    if frames and frames[0].ndim == 3:
        f0 = frames[0].astype(np.int16)
        if np.abs(f0[..., 0] - f0[..., 1]).max() <= 2 and np.abs(f0[..., 1] - f0[..., 2]).max() <= 2:
            frames = [f[..., 1].copy() for f in frames]
    return Loaded(frames, fps=float(fps) if fps else None, source_format=path.suffix.lstrip(".").lower())


def save_frames_tiff(frames: Sequence[np.ndarray], path: str | Path) -> None:
    """Write frames as one (multi-frame) TIFF, the lossless video format every loader reads."""
    from PIL import Image

    imgs = [Image.fromarray(np.asarray(f)) for f in frames]
    imgs[0].save(str(path), save_all=len(imgs) > 1, append_images=imgs[1:], compression="tiff_deflate")
