"""Decoding is exactly Image.open(p).convert("RGB"): the libjpeg-turbo fast path
on generated JPEGs of every kind and on the real photos in Pillow's source
distribution, the CMYK formulas, and the failures."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import imagenet32
from imagenet32.decode import DecodeError, Scratch, _read, cmyk_to_rgb, decode_rgb

NEW, OLD = imagenet32.release("13.0"), imagenet32.release("4.1")
PILLOW_IMAGES = os.environ.get("IMAGENET32_PILLOW_IMAGES")  # Tests/images of Pillow's sdist (.ci/run fetches it)


def pillow_rgb(path: Path) -> np.ndarray | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return np.asarray(im.convert("RGB"))
    except Exception:
        return None


@given(seed=st.integers(0, 2**32 - 1), width=st.integers(1, 80), height=st.integers(1, 80),
       quality=st.integers(5, 100), subsampling=st.sampled_from([0, 1, 2]), progressive=st.booleans(),
       gray=st.booleans(), smooth=st.booleans())
def test_generated_jpegs_decode_like_pillow(tmp_path_factory, seed, width, height, quality, subsampling,
                                           progressive, gray, smooth):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if smooth:
        pixels = np.cumsum(pixels // 32, axis=1, dtype=np.uint8)
    im = Image.fromarray(pixels).convert("L") if gray else Image.fromarray(pixels)
    path = tmp_path_factory.mktemp("jpeg") / "x.JPEG"
    im.save(path, "JPEG", quality=quality, subsampling=subsampling, progressive=progressive,
            optimize=bool(seed % 2))
    decoded = decode_rgb(path, NEW)
    assert decoded.reader == "libjpeg-turbo"
    assert np.array_equal(decoded.pixels, pillow_rgb(path))


def test_one_scratch_buffer_serves_image_after_image(tmp_path):
    """Decoding into a reused buffer (as build workers do) gives each image's own pixels,
    whether the next image is smaller or larger."""
    rng = np.random.default_rng(7)
    scratch = Scratch()
    for i, (w, h) in enumerate([(40, 30), (12, 9), (64, 80), (33, 17)]):
        path = tmp_path / f"{i}.JPEG"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, quality=90)
        decoded = decode_rgb(path, NEW, scratch)
        assert decoded.reader == "libjpeg-turbo" and decoded.pixels.shape == (h, w, 3)
        assert np.array_equal(decoded.pixels, pillow_rgb(path))


@pytest.mark.skipif(not PILLOW_IMAGES, reason="set IMAGENET32_PILLOW_IMAGES to Pillow's Tests/images (.ci/run does)")
def test_real_images_of_pillows_sdist_decode_like_pillow():
    files = sorted(p for p in Path(PILLOW_IMAGES).rglob("*") if p.is_file())
    assert len(files) > 500
    readers = {"libjpeg-turbo": 0, "pillow": 0, "failed": 0}
    for path in files:
        expected = pillow_rgb(path)
        try:
            got = decode_rgb(path, NEW)
        except DecodeError:
            assert expected is None, path
            readers["failed"] += 1
            continue
        assert expected is not None and np.array_equal(got.pixels, expected), path
        readers[got.reader.split(":")[0]] += 1
    assert readers["libjpeg-turbo"] >= 40 and readers["pillow"] >= 500


def cmyk_jpeg(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    path = tmp_path / "cmyk.JPEG"
    Image.fromarray(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), "CMYK").save(path, "JPEG", quality=95)
    return path


def test_cmyk_jpegs_use_each_release_formula(tmp_path):
    path = cmyk_jpeg(tmp_path)
    with Image.open(path) as im:
        cmyk = np.asarray(im).astype(int)
        new = np.asarray(im.convert("RGB"))
    assert np.array_equal(decode_rgb(path, NEW).pixels, new)
    old = decode_rgb(path, OLD)
    assert old.reader == "pillow:CMYK"
    assert np.array_equal(old.pixels, np.clip(255 - (cmyk[..., :3] + cmyk[..., 3:]), 0, 255))
    assert not np.array_equal(old.pixels, new)


@given(st.integers(0, 2**32 - 1))
def test_new_cmyk_formula_is_pillows_convert(seed):
    cmyk = np.random.default_rng(seed).integers(0, 256, (9, 7, 4), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(cmyk, "CMYK").convert("RGB"))
    assert np.array_equal(cmyk_to_rgb(cmyk, NEW), expected)
    assert np.array_equal(cmyk_to_rgb(cmyk, imagenet32.release("4.3")), expected)


@pytest.mark.parametrize(("mode", "fmt"), [("P", "PNG"), ("LA", "PNG"), ("RGBA", "PNG"), ("I;16", "PNG"),
                                           ("L", "PNG"), ("RGB", "BMP"), ("P", "GIF"), ("1", "PNG")])
def test_other_formats_go_through_pillow(tmp_path, mode, fmt):
    rng = np.random.default_rng(2)
    im = Image.fromarray(rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)).convert(mode if mode != "I;16" else "I")
    if mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65536, (13, 17), dtype=np.uint16))
    path = tmp_path / "image.JPEG"  # named .JPEG, as ImageNet's one PNG
    im.save(path, fmt)
    decoded = decode_rgb(path, NEW)
    assert decoded.reader.startswith("pillow:")
    assert decoded.pixels.shape == (13, 17, 3) and decoded.pixels.flags.c_contiguous
    assert np.array_equal(decoded.pixels, pillow_rgb(path))


def test_failures_are_decode_errors(tmp_path, monkeypatch):
    empty = tmp_path / "empty.JPEG"
    empty.write_bytes(b"")
    text = tmp_path / "text.JPEG"
    text.write_text("hello")
    jpeg = tmp_path / "ok.JPEG"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(jpeg)
    truncated = tmp_path / "cut.JPEG"
    truncated.write_bytes(jpeg.read_bytes()[:300])
    cases = {empty: "empty file", text: "not an image", truncated: "(?i)truncated", tmp_path / "none.JPEG": "cannot read",
             tmp_path: "cannot read|not a regular file"}
    if hasattr(os, "mkfifo"):  # a pipe would wait for a writer for ever: refused at once
        os.mkfifo(tmp_path / "pipe.JPEG")
        cases[tmp_path / "pipe.JPEG"] = "not a regular file"
    for path, reason in cases.items():
        with pytest.raises(DecodeError, match=reason):
            decode_rgb(path, NEW)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    with pytest.raises(DecodeError, match="decompression bomb"):
        decode_rgb(jpeg, NEW)  # 1600 pixels: over twice the limit


def test_exif_orientation_is_not_applied(tmp_path):
    im = Image.fromarray(np.arange(6 * 4 * 3, dtype=np.uint8).reshape(6, 4, 3))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    path = tmp_path / "rotated.JPEG"
    im.save(path, "JPEG", exif=exif.tobytes())
    assert decode_rgb(path, NEW).pixels.shape == (6, 4, 3)


def test_jpeg_bytes_with_warnings_fall_back_to_pillow(tmp_path):
    """Extra bytes between markers make libjpeg warn; strict mode hands the file to Pillow."""
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(buffer, "JPEG")
    data = buffer.getvalue()
    sos = data.index(b"\xff\xda")
    path = tmp_path / "junk.JPEG"
    path.write_bytes(data[:sos] + b"\x00\x01\x02" + data[sos:])
    expected = pillow_rgb(path)
    if expected is None:
        with pytest.raises(DecodeError):
            decode_rgb(path, NEW)
    else:
        decoded = decode_rgb(path, NEW)
        assert decoded.reader.startswith("pillow") and np.array_equal(decoded.pixels, expected)


@pytest.mark.parametrize("size", [0, 1, 4096, 300_001])
@pytest.mark.parametrize("stat_error", [0, -7, 5])
def test_files_are_read_whole(tmp_path, monkeypatch, size, stat_error):
    """Every byte, also when the size fstat reported is wrong (a file that changed meanwhile)."""
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    real_fstat = os.fstat

    class Stat:
        def __init__(self, fd):
            self.st_mode = real_fstat(fd).st_mode
            self.st_size = max(0, real_fstat(fd).st_size + stat_error)

    monkeypatch.setattr(os, "fstat", Stat)
    assert _read(path) == data
    assert _read(str(path)) == data
