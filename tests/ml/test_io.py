"""ml.io: every supported container comes back as uint8 frames with its metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml import io
from ml.base import MLError


def _frames(n: int = 3, h: int = 40, w: int = 50) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w), dtype=np.uint8) for _ in range(n)]


def test_png_grey_and_rgb(tmp_path: Path) -> None:
    grey = _frames(1)[0]
    Image.fromarray(grey).save(tmp_path / "g.png")
    got = io.load(tmp_path / "g.png")
    assert len(got.frames) == 1 and got.frames[0].dtype == np.uint8
    assert np.array_equal(got.frames[0], grey)
    rgb = np.stack([grey, grey // 2, 255 - grey], axis=2)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    assert io.load(tmp_path / "c.png").frames[0].shape == (40, 50, 3)


def test_rgba_and_16bit_are_converted(tmp_path: Path) -> None:
    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[..., 0] = 200
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert io.load(tmp_path / "a.png").frames[0].shape == (30, 30, 3)
    a16 = (np.arange(900).reshape(30, 30) * 70).astype(np.uint16)
    Image.fromarray(a16).save(tmp_path / "b.png")
    f = io.load(tmp_path / "b.png").frames[0]
    assert f.dtype == np.uint8 and f.max() == 255 and f.min() == 0


def test_multiframe_tiff_is_a_video(tmp_path: Path) -> None:
    frames = _frames(5)
    io.save_frames_tiff(frames, tmp_path / "v.tif")
    got = io.load(tmp_path / "v.tif")
    assert got.is_video and len(got.frames) == 5
    assert all(np.array_equal(a, b) for a, b in zip(got.frames, frames, strict=True))


def test_jpeg_and_folder_of_frames(tmp_path: Path) -> None:
    frames = _frames(3)
    d = tmp_path / "frames"
    d.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(d / f"f{i:03d}.png")
    got = io.load(d)
    assert len(got.frames) == 3 and np.array_equal(got.frames[2], frames[2])
    Image.fromarray(frames[0]).save(tmp_path / "x.jpg", quality=95)
    assert io.load(tmp_path / "x.jpg").frames[0].shape == (40, 50)


def test_numpy_arrays(tmp_path: Path) -> None:
    stack = np.stack(_frames(4))
    assert len(io.load(stack).frames) == 4
    assert len(io.load(stack[0]).frames) == 1
    np.save(tmp_path / "s.npy", stack.astype(np.float32) / 255.0)
    got = io.load(tmp_path / "s.npy")
    assert len(got.frames) == 4 and got.frames[0].dtype == np.uint8
    assert abs(int(got.frames[1][3, 4]) - int(stack[1][3, 4])) <= 1


def test_dicom_with_pixel_spacing(tmp_path: Path) -> None:
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = pydicom.uid.UID("1.2.840.10008.5.1.4.1.1.6.1")  # ultrasound image storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(tmp_path / "u.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
    img = _frames(1, 64, 80)[0]
    ds.Modality = "US"
    ds.Rows, ds.Columns = img.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelSpacing = [0.12, 0.12]
    ds.PixelData = img.tobytes()
    ds.save_as(str(tmp_path / "u.dcm"), enforce_file_format=True)
    got = io.load(tmp_path / "u.dcm")
    assert got.source_format == "dicom"
    assert got.pixel_spacing_mm == pytest.approx((0.12, 0.12))
    assert np.array_equal(got.frames[0], img)
    assert pydicom is not None


def test_video_container_or_clear_unsupported(tmp_path: Path) -> None:
    frames = [np.full((48, 64), v, np.uint8) for v in range(0, 200, 20)]
    try:
        import imageio.v3 as iio
    except ImportError:
        (tmp_path / "v.mp4").write_bytes(b"\0" * 100)
        with pytest.raises(MLError) as exc:
            io.load(tmp_path / "v.mp4")
        assert exc.value.code == "UNSUPPORTED_FORMAT"
        return
    iio.imwrite(tmp_path / "v.mp4", np.stack(frames), fps=25)
    got = io.load(tmp_path / "v.mp4")
    assert got.fps == pytest.approx(25.0)
    assert len(got.frames) == len(frames)
    assert got.frames[0].ndim == 2  # grey video stays grey
    assert abs(float(got.frames[5].mean()) - 100.0) < 6


def test_errors_have_codes(tmp_path: Path) -> None:
    with pytest.raises(MLError) as exc:
        io.load(tmp_path / "missing.png")
    assert exc.value.code == "FILE_NOT_FOUND"
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(MLError) as exc:
        io.load(tmp_path / "junk.png")
    assert exc.value.code == "UNSUPPORTED_FORMAT"
    (tmp_path / "bad.mp4").write_bytes(b"\0" * 64)
    with pytest.raises(MLError) as exc:
        io.load(tmp_path / "bad.mp4")
    assert exc.value.code == "UNSUPPORTED_FORMAT"
    d = tmp_path / "mixed"
    d.mkdir()
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(d / "a.png")
    Image.fromarray(np.zeros((12, 10), np.uint8)).save(d / "b.png")
    with pytest.raises(MLError) as exc:
        io.load(d)
    assert exc.value.code == "INCONSISTENT_FRAMES"


def test_16bit_tiff_stack_keeps_one_scale(tmp_path: Path) -> None:
    a = np.full((20, 20), 1000, np.uint16)
    b = np.full((20, 20), 3000, np.uint16)
    b[0, 0] = 4000
    imgs = [Image.fromarray(a), Image.fromarray(b)]
    imgs[0].save(tmp_path / "s.tif", save_all=True, append_images=imgs[1:])
    got = io.load(tmp_path / "s.tif")
    assert len(got.frames) == 2
    # one range for the stack: frame 0 stays darker than frame 1 instead of both spanning 0..255
    assert got.frames[0].max() == 0 and int(got.frames[1][5, 5]) == 170 and got.frames[1].max() == 255


def test_a_multi_frame_file_is_closed_once_read(tmp_path: Path) -> None:
    """Pillow keeps a multi-frame file open for seeking; the loader closes it, rather than leaving
    it to the garbage collector (a worker reading many videos would hold their file handles)."""
    import gc
    import warnings

    from ml.io import load

    path = tmp_path / "stack.tif"
    frames = [Image.fromarray(np.full((32, 32), v, np.uint8)) for v in (10, 20, 30)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(load(path).frames) == 3
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
