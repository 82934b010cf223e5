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

import io
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


def _pillow_rgb(source: bytes | str | Path, release: Release) -> Decoded:
    """Pillow's RGB pixels of a file's bytes, or of a file too large to hold (Pillow reads what it needs)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd metadata; the pixels decide
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
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


# Larger files are left to Pillow, which reads only what it needs of them: a file of 100 GB
# (a disk image, say) in a class folder was read whole, and the build died of a MemoryError.
_MAX_READ = 1 << 30


def _read(path: str | Path) -> bytes | None:
    """The file's bytes, with fewer layers than Path.read_bytes (a build reads a million files);
    None for a file larger than _MAX_READ."""
    # Binary (no newline translation on Windows); non-blocking, so that a FIFO is refused, not waited on.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DecodeError("not a regular file")
        size = info.st_size
        if size > _MAX_READ:
            return None
        data = os.read(fd, size + 1)
        if len(data) != size:  # a file that changed while read: read to the end
            data += b"".join(iter(lambda: os.read(fd, 1 << 24), b""))
        return data
    finally:
        os.close(fd)


# Pillow reads a JPEG's markers itself before libjpeg sees the file, and refuses some files
# libjpeg-turbo decodes (a TEM marker, a JFIF segment too short for its version, 5-bit
# lossless...). A file whose segments are all of the kinds below, each well formed the way
# Pillow's parser needs it, is one Pillow opens as L or RGB; for any other JPEG Pillow's parser
# is asked (about 20 us), and its refusal is the file's verdict, as in the original procedure.
_FRAMES = frozenset((0xC0, 0xC1, 0xC2))  # baseline, extended, progressive
_STORED = frozenset((0xC4, 0xDD, 0xFE, *range(0xE3, 0xED), 0xEF))  # DHT, DRI, COM, APP3-12, APP15
_APP_CHECKED = {  # APPn -> (prefix, least length Pillow's parser needs after it; None: always ask Pillow)
    0xE0: ((b"JFIF", 7),),
    0xE1: ((b"Exif\0\0", None),),  # Pillow parses EXIF for a resolution
    0xE2: ((b"MPF\0", None), (b"ICC_PROFILE\0", 14)),
    0xED: ((b"Photoshop 3.0\0", None),),
    0xEE: ((b"Adobe", 7),),
}


def _plain_jpeg(data: bytes) -> bool:
    """Whether every segment before the scan is one Pillow's parser surely takes: one 8-bit
    frame of 1 or 3 components and a size, whole quantization tables, APP segments it only stores."""
    at, end, frames = 2, len(data), 0
    while at + 4 <= end:
        if data[at] != 0xFF:
            return False
        marker = data[at + 1]
        size = (data[at + 2] << 8 | data[at + 3]) - 2
        body, at = at + 4, at + 4 + size
        if size < 0 or at > end:
            return False
        if marker in _STORED:
            continue
        if marker == 0xDA:  # start of scan: Pillow stops reading here
            return frames == 1
        if marker == 0xDB:
            table = body
            while table < at:
                table += 65 if data[table] < 16 else 129  # 8- or 16-bit entries
            if table != at:
                return False
        elif marker in _FRAMES:
            frames += 1
            if size < 6:
                return False
            precision, components = data[body], data[body + 5]
            height, width = data[body + 1 : body + 3], data[body + 3 : body + 5]
            if precision != 8 or not any(height) or not any(width) or components not in (1, 3):
                return False
            if size != 6 + 3 * components:
                return False
        elif marker in _APP_CHECKED:
            for prefix, least in _APP_CHECKED[marker]:
                if data.startswith(prefix, body) and (least is None or size < least):
                    return False
        else:
            return False
    return False


def _pillow_opens(data: bytes) -> bool:
    """Whether Pillow's parser takes the file as an L or RGB JPEG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                return im.format in ("JPEG", "MPO") and im.mode in ("L", "RGB")
    except Exception:  # its refusal, whatever the kind, is decided again by _pillow_rgb
        return False


def _turbo_rgb(data: bytes, scratch: Scratch | None) -> np.ndarray | None:
    """libjpeg-turbo's pixels for a JPEG where they are Pillow's, else None: a file Pillow
    opens as L or RGB, within Pillow's pixel limit, decoded without a single libjpeg warning."""
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except Exception:  # a damaged header, or one simplejpeg has no name for (4:4:1 is a KeyError)
        return None
    limit = Image.MAX_IMAGE_PIXELS  # None switches Pillow's limit off
    if colorspace not in ("Gray", "YCbCr", "RGB") or (limit is not None and height * width > limit):
        return None
    if not (_plain_jpeg(data) or _pillow_opens(data)):
        return None
    buffer = scratch.get(height * width * 3) if scratch is not None else None
    try:
        return simplejpeg.decode_jpeg(data, colorspace="RGB", fastdct=False, fastupsample=False, strict=True,
                                      buffer=buffer)
    except Exception:  # anything libjpeg-turbo warns about: let Pillow decide, as the original did
        return None


def decode_rgb(path: str | Path, release: Release, scratch: Scratch | None = None) -> Decoded:
    """The RGB pixels of an image file, as Pillow ``release`` would convert them.

    Images over ``Image.MAX_IMAGE_PIXELS`` (Pillow's warning limit) are refused as
    decompression bombs. With ``scratch``, JPEG pixels may be decoded into its buffer:
    they are then valid until the next call with the same scratch."""
    try:
        data = _read(path)
    except OSError as error:
        raise DecodeError(f"cannot read: {error.strerror or error}") from None
    if data is None:
        return _pillow_rgb(path, release)
    if not data:
        raise DecodeError("empty file")
    if simplejpeg is not None and data.startswith(_JPEG_MAGIC):
        pixels = _turbo_rgb(data, scratch)
        if pixels is not None:
            return Decoded(pixels, "libjpeg-turbo")
    return _pillow_rgb(data, release)
