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
from helpers import LOSSLESS_5_BIT, segment

from imagenet32.decode import DecodeError, Scratch, _plain_jpeg, _read, cmyk_to_rgb, decode_rgb

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
    decoded = decode_rgb(path, NEW)
    assert decoded.pixels.shape == (6, 4, 3)
    assert decoded.reader == "libjpeg-turbo"  # EXIF makes Pillow's parser look first, not decode


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


def small_jpeg(seed: int = 0, gray: bool = False) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (13, 11, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    (Image.fromarray(pixels).convert("L") if gray else Image.fromarray(pixels)).save(buffer, "JPEG")
    return buffer.getvalue()


def segment_starts(data: bytes) -> list[int]:
    """Where each segment after SOI begins, up to and including the start of scan."""
    starts, at = [], 2
    while True:
        starts.append(at)
        if data[at + 1] == 0xDA:
            return starts
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")


# Files libjpeg-turbo decodes and Pillow's own marker parser refuses (so Image.open fails).
REFUSED_BY_PILLOWS_PARSER = {
    "a TEM marker": b"\xff\x01",
    "a JFIF segment too short for its version": segment(0xE0, b"JFIF\0\x01"),
    "an Adobe segment too short for its version": segment(0xEE, b"Adobe"),
    "an ICC chunk without its sequence numbers": segment(0xE2, b"ICC_PROFILE\0"),
    "a Photoshop block cut after a resource code": segment(0xED, b"Photoshop 3.0\x008BIM\x03\xed"),
}


@pytest.mark.parametrize("name", [*REFUSED_BY_PILLOWS_PARSER, "5-bit lossless"])
def test_jpegs_pillows_parser_refuses_are_decode_errors(tmp_path, name):
    """The original procedure skipped a file Image.open refused; libjpeg-turbo reading it
    anyway would add a row."""
    path = tmp_path / "x.JPEG"
    if name == "5-bit lossless":
        path.write_bytes(LOSSLESS_5_BIT)
    else:
        data = small_jpeg()
        path.write_bytes(data[:2] + REFUSED_BY_PILLOWS_PARSER[name] + data[2:])
    assert pillow_rgb(path) is None  # the premise
    with pytest.raises(DecodeError, match="not an image Pillow can read"):
        decode_rgb(path, NEW)


# Segments to insert: every kind Pillow's parser reads, and the bodies it looks into, cut at any length.
MARKERS = [0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xCC, 0xDB, 0xDC, 0xDD, 0xDF, 0xFE, *range(0xE0, 0xF0)]
BODIES = [(0xE0, b"JFIF"), (0xE0, b"JFXX"), (0xE1, b"Exif\0\0"), (0xE1, b"http://ns.adobe.com/xap/1.0/\x00"),
          (0xE2, b"FPXR\0"), (0xE2, b"ICC_PROFILE\0"), (0xE2, b"MPF\0"), (0xED, b"Photoshop 3.0\x00"),
          (0xED, b"Photoshop 3.0\x008BIM\x03\xed"), (0xEE, b"Adobe"), (0xDB, b"\x00" + bytes(63)),
          (0xDB, b"\x10" + bytes(64)), (0xDB, b"\x01" + bytes(64) + b"\x11" + bytes(64)),
          (0xC0, b"\x08\x00\x0d\x00\x0b\x03"), (0xC2, b"\x08\x00\x0d\x00\x0b\x01"), (0xC3, b"\x08\x00\x0d\x00\x0b\x03"),
          (0xC0, b"\x0c\x00\x0d\x00\x0b\x03"), (0xC1, b"\x08\x00\x0d\x00\x0b\x02")]
SEGMENTS = st.one_of(
    st.builds(lambda kind, tail: segment(kind[0], kind[1] + tail), st.sampled_from(BODIES), st.binary(max_size=12)),
    st.builds(segment, st.sampled_from(MARKERS), st.binary(max_size=24)),
    st.sampled_from([b"\xff\x01", b"\xff\xd0", b"\xff\xff", b"\x00", b"\xff\xd8", b"\xff\xc8"]),
)


def check_follows_pillows_parser(path: Path, data: bytes) -> None:
    """_plain_jpeg claims a file only when Pillow opens it as L or RGB; decoding gives Pillow's
    pixels or, where Pillow fails, a DecodeError."""
    path.write_bytes(data)
    if _plain_jpeg(data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                assert im.format == "JPEG" and im.mode in ("L", "RGB")
    expected = pillow_rgb(path)
    if expected is None:
        with pytest.raises(DecodeError):
            decode_rgb(path, NEW)
    else:
        assert np.array_equal(decode_rgb(path, NEW).pixels, expected)


@pytest.mark.parametrize("kind", BODIES + [(marker, b"") for marker in MARKERS])
def test_every_kind_of_segment_cut_at_every_length(tmp_path, kind):
    """Each kind of segment, its body cut or padded to every length up to 20 bytes more than its
    prefix, right after SOI and right before the frame."""
    data = small_jpeg()
    starts = segment_starts(data)
    frame = next(at for at in starts if data[at + 1] == 0xC0)
    marker, prefix = kind
    for length in range(len(prefix) + 21):
        for fill in (0x00, 0x01, 0xFF):
            body = (prefix + bytes([fill]) * 20)[:length]
            for at in (2, frame):
                check_follows_pillows_parser(tmp_path / "x.JPEG", data[:at] + segment(marker, body) + data[at:])


def test_frames_and_bare_markers(tmp_path):
    """The frame with every precision and component count (its length kept or matching), a
    height or width of 0, no frame, two frames; markers without a length (TEM, RSTn, fill bytes) after SOI and before
    the frame."""
    data = small_jpeg()
    starts = segment_starts(data)
    frame = next(at for at in starts if data[at + 1] == 0xC0)
    after = starts[starts.index(frame) + 1]
    body = data[frame + 4 : after]
    variants = [data[:frame] + data[after:], data[:frame] + data[frame:after] * 2 + data[after:]]
    for precision in range(17):
        variants.append(data[:frame + 4] + bytes([precision]) + body[1:] + data[after:])
    for at in (1, 2, 3, 4):  # a height or width of 0 (either byte cleared: 13 x 11 fits in one)
        variants.append(data[:frame + 4] + body[:at] + b"\x00" + body[at + 1 :] + data[after:])
    for components in range(6):
        for tail in (body[6:], (body[6:9] * 5)[: 3 * components]):
            variants.append(data[:frame] + segment(0xC0, body[:5] + bytes([components]) + tail) + data[after:])
    for bare in (b"\xff\x01", b"\xff\xd0", b"\xff\xd7", b"\xff\xff", b"\x00", b"\xff\xd8", b"\xff\xc8",
                 b"\xff\xf0", b"\xff\xd9", b"\xff\x00"):
        variants += [data[:at] + bare + data[at:] for at in (2, frame)]
    for variant in variants:
        check_follows_pillows_parser(tmp_path / "x.JPEG", variant)


@given(seed=st.integers(0, 3), gray=st.booleans(), inserts=st.lists(st.tuples(st.integers(0, 8), SEGMENTS), max_size=3),
       cut=st.one_of(st.none(), st.integers(2, 400)))
def test_decoding_follows_pillows_parser_on_odd_segments(tmp_path_factory, seed, gray, inserts, cut):
    """Segments of every kind, well formed or not, several at a time, before the scan."""
    data = small_jpeg(seed, gray)
    starts = segment_starts(data)
    for at in sorted({starts[where % len(starts)] for where, _ in inserts}, reverse=True):
        data = data[:at] + b"".join(insert for where, insert in inserts if starts[where % len(starts)] == at) + data[at:]
    check_follows_pillows_parser(tmp_path_factory.mktemp("odd") / "x.JPEG", data[:cut] if cut else data)


def test_headers_simplejpeg_cannot_name_go_to_pillow(tmp_path, monkeypatch):
    """simplejpeg raises KeyError on a 4:4:1 JPEG's header (a subsampling it has no name for)."""
    import simplejpeg

    def no_name(data):
        raise KeyError(6)

    monkeypatch.setattr(simplejpeg, "decode_jpeg_header", no_name)
    path = tmp_path / "x.JPEG"
    path.write_bytes(small_jpeg())
    decoded = decode_rgb(path, NEW)
    assert decoded.reader == "pillow:RGB" and np.array_equal(decoded.pixels, pillow_rgb(path))


def test_no_pixel_limit_when_pillows_is_off(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow's way to switch its check off
    path = tmp_path / "x.JPEG"
    path.write_bytes(small_jpeg())
    decoded = decode_rgb(path, NEW)
    assert decoded.reader == "libjpeg-turbo" and np.array_equal(decoded.pixels, pillow_rgb(path))
