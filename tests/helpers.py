"""Shared helpers: the installed Pillow as the reference, and test images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

import imagenet32

BOX = Image.Resampling.BOX
GOLDEN = Path(__file__).parent / "data" / "golden"
FILTER_GOLDEN = Path(__file__).parent / "data" / "filters"

# The installed Pillow's release, as imagenet32 names it ("13.0").
INSTALLED = ".".join(PIL.__version__.split(".")[:2])
INSTALLED_COVERED = (4, 0) <= tuple(int(v) for v in INSTALLED.split(".")) <= (13, 0)

# Bands of the golden inputs used by each mode.
GOLDEN_BANDS = {"L": [0], "LA": [0, 3], "RGB": [0, 1, 2], "RGBA": [0, 1, 2, 3]}


def pillow_box(image: np.ndarray, size, box=None, reducing_gap=None) -> np.ndarray:
    """The installed Pillow's BOX resize of an array, as an array."""
    return np.asarray(Image.fromarray(image).resize(size, BOX, box=box, reducing_gap=reducing_gap))


def outcome(call):
    """What a call gives: its result, or the type of the exception it raised."""
    try:
        return call()
    except (ValueError, TypeError) as error:
        return type(error)


def same_outcome(a, b) -> bool:
    if isinstance(a, type) or isinstance(b, type):
        return a is b
    if isinstance(a, Image.Image):
        return (a.mode, a.size, a.tobytes()) == (b.mode, b.size, b.tobytes())
    return a.shape == b.shape and np.array_equal(a, b)


def random_image(rng: np.random.Generator, height: int, width: int, channels: int | None, kind: str = "noise"):
    """A uint8 image: uniform noise, a smooth gradient or flat blocks (ties happen on blocks)."""
    shape = (height, width) if channels is None else (height, width, channels)
    if kind == "noise":
        return rng.integers(0, 256, shape, dtype=np.uint8)
    if kind == "blocks":
        levels = rng.integers(0, 256, (max(1, height // 3 + 1), max(1, width // 3 + 1)) + shape[2:], dtype=np.uint8)
        return np.ascontiguousarray(levels.repeat(3, 0).repeat(3, 1)[:height, :width])
    y = np.linspace(0, 255, height)[:, None]
    x = np.linspace(0, 255, width)[None, :]
    base = ((y + x) / 2).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(base[..., None], shape) if channels else base)


def at_page_end(image: np.ndarray) -> np.ndarray:
    """A copy of `image` whose last byte is the last readable one: an unreadable page
    follows it, so a kernel that reads past the image crashes the test."""
    return _beside_guard_page(image, after=True)


def at_page_start(image: np.ndarray) -> np.ndarray:
    """A copy of `image` whose first byte is the first readable one: an unreadable page
    precedes it, so a kernel that reads before the image crashes the test."""
    return _beside_guard_page(image, after=False)


def _beside_guard_page(image: np.ndarray, after: bool) -> np.ndarray:
    import ctypes
    import mmap

    size = image.nbytes
    pages = -(-size // mmap.PAGESIZE) + 1
    memory = mmap.mmap(-1, pages * mmap.PAGESIZE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    guard = base + (pages - 1) * mmap.PAGESIZE if after else base
    libc = ctypes.CDLL(None, use_errno=True)
    prot_none = 0
    if libc.mprotect(ctypes.c_void_p(guard), mmap.PAGESIZE, prot_none) != 0:
        raise OSError(ctypes.get_errno(), "mprotect failed")
    offset = (pages - 1) * mmap.PAGESIZE - size if after else mmap.PAGESIZE
    copy = np.frombuffer(memory, np.uint8, size, offset).reshape(image.shape)
    copy[...] = image
    return copy


def golden_cases():
    """(case, input array) for every case of the golden set."""
    cases = json.loads((GOLDEN / "cases.json").read_text())["cases"]
    with np.load(GOLDEN / "inputs.npz") as inputs:
        images = {key: inputs[key] for key in inputs.files}
    for case in cases:
        img = images[case["img"]][..., GOLDEN_BANDS[case["mode"]]]
        if case["mode"] == "L":
            img = img[..., 0]
        yield case, np.ascontiguousarray(img)


def simd_backends() -> list[str]:
    return list(imagenet32._core.simd_backends())


def segment(marker: int, body: bytes) -> bytes:
    """A JPEG marker segment: 0xFF, the marker, the length, the body."""
    return bytes((0xFF, marker)) + (len(body) + 2).to_bytes(2, "big") + body


# A 4x4 lossless JPEG of 5-bit RGB samples (imagecodecs.jpeg8_encode(rgb, lossless=True, bitspersample=5)):
# libjpeg-turbo decodes it, Pillow refuses it.
LOSSLESS_5_BIT = bytes.fromhex(
    "ffd8ffee000e41646f626500640000000000ffc30011050004000403521100471100421100ffc400160001010100000000000000"
    "000000000000020405ffda000c03520047004200010000cf8216db6db7659636db6dbb2cb1b6de161613cbcbcb6db6db7fffd9")
