"""Reading an image file as RGB pixels exactly as ``Image.open(p).convert("RGB")`` does.

Plain RGB and grayscale JPEGs (nearly all of ImageNet) are decoded by
libjpeg-turbo through simplejpeg, with the settings Pillow uses (accurate
integer IDCT, fancy upsampling), which gives Pillow's pixels; strict mode
turns every libjpeg warning into a fallback. Everything else (CMYK JPEGs, a
PNG named .JPEG, palette or 16-bit images) goes through Pillow. Pillow 4.1,
which made the published datasets, converted CMYK to RGB with an older
formula (spec: imagenet-datasets.md); that is reproduced here when asked.
"""

from __future__ import annotations

import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .pillow_rules import Release
from .resize import pil_pixels

try:  # a fast path only; Pillow decodes everything without it
    import simplejpeg
except ImportError:  # pragma: no cover - simplejpeg is a dependency
    simplejpeg = None

__all__ = ["DecodeError", "Decoded", "Scratch", "cmyk_to_rgb", "decode_rgb"]

_JPEG_MAGIC = b"\xff\xd8\xff"


class DecodeError(Exception):
    """A file that cannot be read as an image; the message says why."""


@dataclass(frozen=True)
class Decoded:
    """RGB pixels (H x W x 3 uint8) and how they were read: 'libjpeg-turbo' or 'pillow:<mode>'."""

    pixels: np.ndarray
    reader: str


def cmyk_to_rgb(cmyk: np.ndarray, release: Release) -> np.ndarray:
    """Pillow's CMYK -> RGB: before 4.3, clip(255 - (C + K)); since, a rounded
    (255 - K) * (255 - C) / 255 (spec: imagenet-datasets.md)."""
    c = cmyk[..., :3].astype(np.int32)
    k = cmyk[..., 3:4].astype(np.int32)
    if not release.at_least(4, 3):
        return np.clip(255 - (c + k), 0, 255).astype(np.uint8)
    nk = 255 - k
    t = c * nk + 128
    return np.clip(nk - ((t + (t >> 8)) >> 8), 0, 255).astype(np.uint8)


def _pillow_rgb(data: bytes, release: Release) -> Decoded:
    import io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd metadata; the pixels decide
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                mode = im.mode
                if mode == "CMYK":
                    rgb = cmyk_to_rgb(pil_pixels(im), release)
                else:
                    # Copied out of Pillow's storage before the image is closed.
                    rgb = np.ascontiguousarray(pil_pixels(im if mode == "RGB" else im.convert("RGB"))[..., :3])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DecodeError(f"decompression bomb ({error})") from None
    except Image.UnidentifiedImageError:
        raise DecodeError("not an image Pillow can read") from None
    except Exception as error:  # Pillow's plugins raise many kinds on damaged files
        raise DecodeError(f"cannot decode: {type(error).__name__}: {error}") from None
    return Decoded(rgb, f"pillow:{mode}")


class Scratch:
    """A reusable buffer for decoded pixels: a worker that decodes image after image
    into one buffer skips an allocation, and its page faults, per image (a quarter of
    the decoding time of a 500x375 JPEG)."""

    def __init__(self) -> None:
        self._buffer = np.empty(0, dtype=np.uint8)

    def get(self, nbytes: int) -> np.ndarray:
        if self._buffer.size < nbytes:
            self._buffer = np.empty(nbytes, dtype=np.uint8)
        return self._buffer[:nbytes]


def _read(path: str | Path) -> bytes:
    """The file's bytes, with fewer layers than Path.read_bytes (a build reads a million files)."""
    # Binary (no newline translation on Windows); non-blocking, so that a FIFO is refused, not waited on.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DecodeError("not a regular file")
        size = info.st_size
        data = os.read(fd, size + 1)
        if len(data) != size:  # a short read (over 2 GiB) or a file that changed: read to the end
            data += b"".join(iter(lambda: os.read(fd, 1 << 24), b""))
        return data
    finally:
        os.close(fd)


def decode_rgb(path: str | Path, release: Release, scratch: Scratch | None = None) -> Decoded:
    """The RGB pixels of an image file, as Pillow ``release`` would convert them.

    With ``scratch``, JPEG pixels may be decoded into its buffer: they are then
    valid until the next call with the same scratch."""
    try:
        data = _read(path)
    except OSError as error:
        raise DecodeError(f"cannot read: {error.strerror or error}") from None
    if not data:
        raise DecodeError("empty file")
    if simplejpeg is not None and data.startswith(_JPEG_MAGIC):
        try:
            height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
            if colorspace in ("Gray", "YCbCr", "RGB") and height * width <= Image.MAX_IMAGE_PIXELS:
                buffer = scratch.get(height * width * 3) if scratch is not None else None
                pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", fastdct=False, fastupsample=False, strict=True,
                                                buffer=buffer)
                return Decoded(pixels, "libjpeg-turbo")
        except ValueError:
            pass  # anything libjpeg-turbo warns about: let Pillow decide, as the original did
    return _pillow_rgb(data, release)
