"""Pillow-exact resizing of numpy arrays and PIL images, with every Pillow filter.

``resize(image, size, filter=...)`` returns exactly the bytes of
``Image.fromarray(image).resize(size, filter)`` as computed by the Pillow
release named by ``pillow=`` (default: the newest behaviour, 13.0); ``reduce``
does the same for ``Image.reduce``. This module checks and normalises
arguments; the work is done by the native core (``imagenet32._core``) with the
GIL released.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
import sys
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
from PIL import Image

from . import _core
from .pillow_rules import Release, release

__all__ = ["FILTERS", "available_cpus", "build_info", "reduce", "resize", "resize_batch", "resize_many"]

SizeArg = Union[int, Sequence[int]]
BoxArg = Sequence[float]
FilterArg = Union[str, int]

#: The filters, by the names ``filter=`` takes (Pillow's ``Image.Resampling``
#: members are accepted too). MKS2013 and MKS2021 need ``pillow >= "13.0"``.
FILTERS = ("box", "nearest", "bilinear", "hamming", "bicubic", "lanczos", "mks2013", "mks2021")

# Pillow's filter ids (Image.Resampling) and the native filters.
_PILLOW_IDS = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming", 6: "mks2013",
               7: "mks2021"}
_NATIVE = {name: getattr(_core.Filter, name) for name in FILTERS}
_NEAREST = _core.Filter.nearest

# Output buffers above this are refused with a clear error, not attempted.
MAX_OUTPUT_BYTES = 1 << 32
_MAX_SIDE = (1 << 31) - 1  # Pillow's sizes are C ints

# How a PIL mode is stored: sample dtype, whether its pixels are 4-byte
# groups (Pillow's "image32" layout), the bands of those groups it uses, and
# whether resize works on premultiplied alpha.
_PIL_MODES: dict[str, tuple[str, tuple[int, ...], bool]] = {
    "L": ("u8", (0,), False),
    "LA": ("u8", (0, 3), True),
    "La": ("u8", (0, 3), False),
    "PA": ("u8", (0, 3), False),
    "RGB": ("u8", (0, 1, 2), False),
    "YCbCr": ("u8", (0, 1, 2), False),
    "LAB": ("u8", (0, 1, 2), False),
    "HSV": ("u8", (0, 1, 2), False),
    "RGBA": ("u8", (0, 1, 2, 3), True),
    "RGBa": ("u8", (0, 1, 2, 3), False),
    "RGBX": ("u8", (0, 1, 2, 3), False),
    "CMYK": ("u8", (0, 1, 2, 3), False),
    "I;16": ("u16", (0,), False),
    "I;16L": ("u16", (0,), False),
    "I;16B": ("u16", (0,), False),
    "I;16N": ("u16", (0,), False),
    "I": ("i32", (0,), False),
    "F": ("f32", (0,), False),
    "P": ("u8", (0,), False),
    "1": ("u8", (0,), False),
}

# Modes Pillow resizes with NEAREST whatever the filter.
_NEAREST_ONLY = {"1", "P"}

# Modes whose stored bytes differ from their raw (tobytes) bytes: LAB keeps a
# and b as signed bytes (raw value XOR 128).
_STORAGE_XOR = {"LAB": np.array([0, 128, 128], dtype=np.uint8)}

# Pillow 11-13 read I;16N (and I;16B on big-endian hosts) byte-swapped.
_SWAPPED_16 = {"I;16", "I;16L"} if sys.byteorder == "big" else {"I;16N"}


def _sizes(sizes: Sequence[SizeArg]) -> list[tuple[int, int]]:
    if isinstance(sizes, (str, bytes, bytearray, memoryview)):  # each character or byte was a size
        raise TypeError(f"sizes must be a sequence of sizes, not {type(sizes).__name__}")
    return [_size(s) for s in sizes]


def _size(size: SizeArg) -> tuple[int, int]:
    if type(size) is int:  # the common case, checked first
        w = h = size
    else:
        try:
            if isinstance(size, (bool, np.bool_)):
                raise TypeError
            if isinstance(size, (int, np.integer)):
                w = h = operator.index(size)
            else:
                if isinstance(size, (str, bytes)) or len(size) != 2:
                    raise TypeError
                if any(isinstance(v, (bool, np.bool_)) for v in size):
                    raise TypeError
                w, h = (operator.index(v) for v in size)
        except TypeError:
            raise TypeError(f"size must be an int or a (width, height) pair of ints, not {size!r}") from None
    if w <= 0 or h <= 0:
        raise ValueError(f"size must be positive: got width {w} and height {h}")
    if w > _MAX_SIDE or h > _MAX_SIDE:
        raise ValueError(f"size too large: width {w} and height {h} (at most {_MAX_SIDE})")
    return w, h


# Not a box's four numbers in order (a set's order is its hashes'), as Pillow refuses them.
_UNORDERED = (str, bytes, set, frozenset, dict)


def _four_numbers(box: Any) -> tuple[float, float, float, float]:
    """A box's (x0, y0, x1, y1) as floats: four finite real numbers, else a clear error."""
    try:
        if isinstance(box, _UNORDERED) or len(box) != 4 or not all(isinstance(v, numbers.Real) for v in box):
            raise TypeError
        x0, y0, x1, y1 = (float(v) for v in box)
    except TypeError:
        raise TypeError(f"box must be 4 numbers (x0, y0, x1, y1), not {box!r}") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise ValueError(f"box must be finite numbers, got {box!r}")
    return x0, y0, x1, y1


def _box(box: BoxArg | None, width: int, height: int, rel: Release,
         reducing: bool = False) -> tuple[float, float, float, float]:
    """The box as floats, checked as Pillow checks it. ``reducing``: a reducing gap may apply,
    when Pillow checks the box's far edges only against the reduced image (the core does)."""
    if box is None:
        return (0.0, 0.0, float(width), float(height))
    if not rel.has_box:
        raise ValueError(f"Pillow {rel} had no box argument (it appeared in 4.3)")
    x0, y0, x1, y1 = _four_numbers(box)
    # Pillow checks the box as 32-bit floats, in this order.
    f0, g0, f1, g1 = (float(np.float32(v)) for v in (x0, y0, x1, y1))
    if f0 < 0 or g0 < 0:
        raise ValueError(f"box offset can't be negative: {box!r}")
    if not reducing and (f1 > width or g1 > height):
        raise ValueError(f"box can't exceed original image size {width}x{height}: {box!r}")
    if f1 - f0 < 0 or g1 - g0 < 0:
        raise ValueError(f"box can't be empty or inverted: {box!r}")
    return (x0, y0, x1, y1)


def _reducing(reducing_gap: Any, filter: _core.Filter) -> bool:
    return reducing_gap is not None and filter != _NEAREST


def _gap(reducing_gap: float | None, rel: Release) -> float | None:
    if reducing_gap is None:
        return None
    if not rel.has_reducing_gap:
        raise ValueError(f"Pillow {rel} had no reducing_gap argument (it appeared in 7.0)")
    if isinstance(reducing_gap, (bool, np.bool_, np.complexfloating)) or not isinstance(reducing_gap,
                                                                                       (int, float, np.number)):
        raise TypeError(f"reducing_gap must be a number, not {reducing_gap!r}")
    gap = float(reducing_gap)
    if math.isnan(gap):
        raise ValueError("reducing_gap must be a number, not NaN")
    if gap < 1.0:
        raise ValueError(f"reducing_gap must be 1.0 or greater, got {gap}")
    return gap


def _filter(filter: FilterArg, rel: Release) -> _core.Filter:
    try:
        return _FILTER_ARGS[filter]  # the common case
    except (KeyError, TypeError):
        pass
    name = None
    if isinstance(filter, str):
        name = filter.lower()
    elif isinstance(filter, (int, np.integer)) and not isinstance(filter, (bool, np.bool_)):
        name = _PILLOW_IDS.get(int(filter))  # Image.Resampling members are ints
    if name not in _NATIVE:
        raise ValueError(f"unknown filter {filter!r}: use one of {', '.join(FILTERS)}")
    if name.startswith("mks") and not rel.has_mks:
        raise ValueError(f"Pillow {rel} had no {name.upper()} filter (it appeared in 13.0)")
    return _NATIVE[name]


# The names every release has, looked up first.
_FILTER_ARGS: dict[Any, _core.Filter] = {name: _NATIVE[name] for name in FILTERS if not name.startswith("mks")}


def _squares(image: np.ndarray, sides: int | list, filter: FilterArg, pillow: str | None) -> Any:
    """resize's and resize_many's commonest calls (a uint8 array to squares, no box or
    gap: ``sides`` an int, or a list or tuple of ints) straight to the core; None when the call is
    not that simple after all (the core checks) and needs the general path, which checks everything.
    The checked filter and release are remembered for arguments that are strings (keys equal only
    to themselves)."""
    try:
        f, rules = _SQUARE_ARGS[filter, pillow]
    except (KeyError, TypeError):
        rel = _release(pillow)
        f, rules = _filter(filter, rel), rel.rules
        if type(filter) is str and (pillow is None or type(pillow) is str):
            _SQUARE_ARGS[filter, pillow] = f, rules
    return _resize8_squares(image, sides, f, rules)


_SQUARE_ARGS: dict[tuple[str, str | None], tuple[_core.Filter, _core.Rules]] = {}
_ndarray = np.ndarray
_resize8_squares = _core.resize8_squares


def _simd(simd: str | None) -> str:
    if simd is None or simd == "auto":
        return ""
    if simd not in _core.simd_backends():
        raise ValueError(f"unknown SIMD backend {simd!r}: this CPU has {', '.join(_core.simd_backends())}")
    return simd


def _gib(size: int) -> str:
    """Bytes in GiB; sizes from boxes of 1e300 were an OverflowError here."""
    return f"{size / 2**30:.1f} GiB" if size < 2**1000 else "more than 2^1000 bytes"


def _check_memory(width: int, height: int, sizes: list[tuple[int, int]], sample_bytes: int) -> None:
    for w, h in sizes:
        # The output, and the intermediate of whichever pass runs first.
        largest = max(w * h, w * height, width * h) * sample_bytes
        if largest > MAX_OUTPUT_BYTES:
            raise ValueError(
                f"resizing {width}x{height} to {w}x{h} needs {_gib(largest)} buffers "
                f"(limit {MAX_OUTPUT_BYTES / 2**30:.0f} GiB)"
            )
    outputs = sum(w * h for w, h in sizes) * sample_bytes
    if outputs > MAX_OUTPUT_BYTES:  # each size within the limit, all of them not (six of 1 GiB were 6 GiB)
        raise ValueError(f"resizing {width}x{height} to {len(sizes)} sizes needs {_gib(outputs)} of outputs in all "
                         f"(limit {MAX_OUTPUT_BYTES / 2**30:.0f} GiB)")


_ARRAY_KINDS = {np.dtype(np.uint16): "u16", np.dtype(np.int32): "i32", np.dtype(np.float32): "f32"}


_U8 = np.dtype(np.uint8)


def _check_array(image: Any) -> tuple[np.ndarray, str, bool]:
    """The array to resize, its sample kind and whether it has alpha (LA, RGBA)."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a numpy array or a PIL.Image.Image, not {type(image).__name__}")
    dtype = image.dtype
    if dtype is _U8 or dtype == _U8:
        ndim = image.ndim
        if ndim == 3:
            channels = image.shape[2]
            if channels not in (2, 3, 4):
                raise ValueError(
                    f"an H x W x C image needs 2, 3 or 4 channels (LA, RGB, RGBA), got shape {image.shape}"
                )
            return image if image.flags.c_contiguous else _pixel_contiguous(image), "u8", channels != 3
        if ndim == 2:
            return image if image.flags.c_contiguous else _pixel_contiguous(image), "u8", False
        raise ValueError(f"image must be H x W or H x W x C, got shape {image.shape}")
    kind = _ARRAY_KINDS.get(dtype.newbyteorder("="))
    if kind is None:
        raise TypeError(
            f"unsupported dtype {dtype}: images are uint8 (L, LA, RGB, RGBA), "
            "or single-channel uint16 (I;16), int32 (I) or float32 (F)"
        )
    if image.ndim != 2:
        raise ValueError(f"{dtype} images must be H x W (one channel), got shape {image.shape}")
    if not dtype.isnative and kind != "u16":  # Image.fromarray reads these as I;32B and F;32BF: native I and F
        image = image.astype(dtype.newbyteorder("="))
    return _pixel_contiguous(image), kind, False


def _pixel_contiguous(a: np.ndarray) -> np.ndarray:
    item = a.dtype.itemsize
    channels = a.shape[2] if a.ndim == 3 else 1
    if ((a.ndim == 3 and a.strides[2] != item) or (a.shape[1] > 1 and a.strides[1] != item * channels)
            or a.strides[0] % item):  # rows a whole number of samples apart
        return np.ascontiguousarray(a)
    return a


def _run(
    pixels: np.ndarray,
    kind: str,
    alpha: bool,
    sizes: list[tuple[int, int]],
    box: tuple[float, float, float, float],
    gap: float | None,
    filter: _core.Filter,
    rel: Release,
    simd: str,
    swapped16: bool = False,
    early_copy: bool = True,
) -> list[np.ndarray]:
    rules = rel.rules
    if kind == "u8":
        return _core.resize8(pixels, sizes, box, gap, alpha, filter, rules, simd, early_copy)
    if kind == "u16":
        if filter != _NEAREST:
            if not rel.resizes_16bit:
                raise ValueError(f"Pillow {rel} could resize I;16 images only with NEAREST (filters came in 11.0)")
            if gap is not None and any(
                int((box[2] - box[0]) / w / gap) > 1 or int((box[3] - box[1]) / h / gap) > 1 for w, h in sizes
            ):
                raise ValueError("Pillow cannot reduce I;16 images, so reducing_gap does not apply to them")
        raw = pixels if pixels.dtype.isnative else pixels.view(pixels.dtype.newbyteorder("="))
        out = _core.resize16(raw, sizes, box, gap, filter, rules, swapped16)
        return out if pixels.dtype.isnative else [o.view(pixels.dtype) for o in out]
    if kind == "i32":
        return _core.resize32i(pixels, sizes, box, gap, filter, rules)
    return _core.resize32f(pixels, sizes, box, gap, filter, rules)


def _resize_array(image: Any, sizes: list[tuple[int, int]], filter: _core.Filter, box: Any, reducing_gap: Any,
                  rel: Release, simd: str) -> list[np.ndarray]:
    pixels, kind, alpha = _check_array(image)
    height, width = pixels.shape[0], pixels.shape[1]
    _check_memory(width, height, sizes, pixels.itemsize * (pixels.shape[2] if pixels.ndim == 3 else 1))
    if kind == "u8" and box is None and reducing_gap is None:  # the common case, with the least overhead
        whole = (0.0, 0.0, float(width), float(height))
        return _core.resize8(pixels, sizes, whole, None, alpha, filter, rel.rules, simd)
    swapped = kind == "u16" and pixels.dtype.isnative and "I;16" in _SWAPPED_16
    checked_box = _box(box, width, height, rel, _reducing(reducing_gap, filter))
    return _run(pixels, kind, alpha, sizes, checked_box, _gap(reducing_gap, rel), filter, rel, simd, swapped,
                _early_copy(box, width, height))


def _early_copy(box: Any, width: int, height: int) -> bool:
    """Whether Image.resize to the image's own size returns a copy: with no box, or one equal
    to the tuple (0, 0, width, height) (a list never is; then it resizes, lossily with alpha)."""
    return box is None or (isinstance(box, tuple) and box == (0, 0, width, height))


def _arrow_export_works(version: str) -> bool:
    """Whether a Pillow release exports every image through Arrow safely: before 13.0 (12.3 and
    Pillow-SIMD 12.1 included) exporting an image made by ``Image.fromarray`` crashes the process."""
    return int(version.split(".")[0]) >= 13


_ARROW_EXPORT = _arrow_export_works(Image.__version__)


def pil_pixels(im: Image.Image) -> np.ndarray:
    """The image's pixels without a copy where Pillow allows (Arrow export): H x W x 4
    for modes Pillow stores in 4 bytes per pixel (RGB included), else H x W (x bands)."""
    im.load()
    export = getattr(im, "__arrow_c_array__", None) if _ARROW_EXPORT else None
    if export is not None:
        try:
            pixels = _core.arrow_pixels(*export(), im.width, im.height)
        except ValueError:  # e.g. images stored in several blocks
            pass
        else:
            pixels.flags.writeable = False
            return pixels
    kind, bands, _ = _PIL_MODES[im.mode]
    dtype = {"u8": np.uint8, "u16": np.uint16, "i32": np.int32, "f32": np.float32}[kind]
    shape = (im.height, im.width, len(bands)) if len(bands) > 1 else (im.height, im.width)
    # Mode 1 as stored (a byte of 0 or 255 a pixel), not packed eight pixels a byte as tobytes() gives.
    pixels = np.frombuffer(im.tobytes("raw", "L") if im.mode == "1" else im.tobytes(), dtype=dtype).reshape(shape)
    if im.mode in _STORAGE_XOR:
        pixels = pixels ^ _STORAGE_XOR[im.mode]
    return pixels


def _resize_pil(im: Image.Image, sizes: list[tuple[int, int]], filter: _core.Filter, box: Any, reducing_gap: Any,
                rel: Release, simd: str) -> list[Image.Image]:
    if im.mode not in _PIL_MODES:
        raise ValueError(f"mode {im.mode} is not supported: supported modes are {', '.join(_PIL_MODES)}")
    if im.mode in _NEAREST_ONLY:
        filter = _NEAREST
    kind, bands, alpha = _PIL_MODES[im.mode]
    pixels = pil_pixels(im)
    width, height = im.size
    _check_memory(width, height, sizes, pixels.itemsize * (pixels.shape[2] if pixels.ndim == 3 else 1))
    early_copy = _early_copy(box, width, height)
    checked_box = _box(box, width, height, rel, _reducing(reducing_gap, filter))
    outs = _run(pixels, kind, alpha, sizes, checked_box, _gap(reducing_gap, rel), filter, rel, simd,
                im.mode in _SWAPPED_16, early_copy)
    images = []
    for (w, h), out in zip(sizes, outs):
        if (w, h) == im.size and early_copy:
            images.append(im.copy())  # Image.resize's early copy keeps the palette and everything else
            continue
        if out.ndim == 3 and out.shape[2] != len(bands):
            out = out[:, :, list(bands)]
        # A crop keeps the core image's palette. (No reducing gap reduces first then: the box's
        # size over the output's is 1.)
        images.append(_to_pil(out, im, copy_palette=filter == _NEAREST or _core.is_crop(*checked_box, w, h)))
    return images


def _to_pil(out: np.ndarray, like: Image.Image, copy_palette: bool = False) -> Image.Image:
    """A result as an image of ``like``'s mode, with its info and palette object
    (as Image._new makes). Pillow's NEAREST and crops also copy the palette into
    the new core image; its convolutions do not."""
    if like.mode in _STORAGE_XOR:
        out = out ^ _STORAGE_XOR[like.mode]
    data = np.packbits(out != 0, axis=1) if like.mode == "1" else np.ascontiguousarray(out)
    result = Image.frombytes(like.mode, (out.shape[1], out.shape[0]), data.tobytes())
    if like.mode in ("P", "PA") and like.palette is not None:
        if copy_palette:
            result.putpalette(like.getpalette(like.palette.mode), like.palette.mode)
            result.load()  # installs it in the core image before the palette object is replaced
        result.palette = like.palette.copy()
    result.info = like.info.copy()
    return result


def _release(pillow: str | None) -> Release:
    try:
        return _RELEASES[pillow]
    except (KeyError, TypeError):
        rel = release(pillow)  # raises for anything that is not a known release
        _RELEASES[pillow] = rel
        return rel


_RELEASES: dict[str | None, Release] = {}


def resize(
    image: np.ndarray | Image.Image,
    size: SizeArg,
    *,
    filter: FilterArg = "box",
    box: BoxArg | None = None,
    reducing_gap: float | None = None,
    pillow: str | None = None,
    simd: str | None = None,
) -> Any:
    """Resize exactly as Pillow's ``Image.resize``, byte for byte.

    ``image`` is a numpy array (uint8 H x W, H x W x 2, x 3 or x 4, read as
    ``Image.fromarray`` reads it: L, LA, RGB, RGBA; or single-channel uint16,
    int32, float32: I;16, I, F), returned as an array of the same layout, or a
    ``PIL.Image`` in any mode Pillow resizes, returned as a ``PIL.Image`` of
    the same mode (modes 1 and P always use NEAREST, as in Pillow).

    ``size`` is ``(width, height)`` or an int for a square. ``filter`` is one
    of :data:`FILTERS` or an ``Image.Resampling`` member; the default is
    ``"box"`` (Pillow's default is BICUBIC). ``box`` and ``reducing_gap`` are
    Pillow's. ``pillow`` names the release whose bytes to reproduce ('4.1.1',
    '6.2', '12.3', '13.0'; default: the newest behaviour); releases before 4.3
    had no ``box``, before 7.0 no ``reducing_gap``, before 13.0 no MKS
    filters. ``simd`` forces a kernel set ('scalar', 'avx2', 'avx512'); the output is
    the same.
    """
    if type(image) is _ndarray and type(size) is int and box is reducing_gap is simd is None:
        out = _squares(image, size, filter, pillow)  # the commonest call, with the least overhead
        if out is not None:
            return out
    rel = _release(pillow)
    sizes = [_size(size)]
    f = _filter(filter, rel)
    if isinstance(image, Image.Image):
        return _resize_pil(image, sizes, f, box, reducing_gap, rel, _simd(simd))[0]
    return _resize_array(image, sizes, f, box, reducing_gap, rel, _simd(simd))[0]


def resize_many(
    image: np.ndarray | Image.Image,
    sizes: Sequence[SizeArg],
    *,
    filter: FilterArg = "box",
    box: BoxArg | None = None,
    reducing_gap: float | None = None,
    pillow: str | None = None,
    simd: str | None = None,
) -> list[Any]:
    """``[resize(image, s, ...) for s in sizes]``, from one shared pass over the input.

    The dataset case: ``resize_many(rgb, [64, 32, 16, 8], pillow="4.1")``.
    Each output is byte-identical to its own :func:`resize` call. (BOX shares
    one pass over the input between the sizes; the other filters run per size.)
    """
    if type(image) is _ndarray and type(sizes) in (list, tuple) and box is reducing_gap is simd is None:
        out = _squares(image, sizes, filter, pillow)  # the dataset call, with the least overhead
        if out is not None:
            return out
    rel = _release(pillow)
    if isinstance(sizes, (int, np.integer)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of sizes, not {sizes!r}")
    size_list = _sizes(sizes)
    f = _filter(filter, rel)
    if isinstance(image, Image.Image):
        return _resize_pil(image, size_list, f, box, reducing_gap, rel, _simd(simd))
    return _resize_array(image, size_list, f, box, reducing_gap, rel, _simd(simd))


def available_cpus() -> int:
    """The cores this process may run on (its affinity: a cluster job or ``taskset`` gets
    fewer than the machine has), the default number of threads and build workers."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on every system
        return os.cpu_count() or 1


def resize_batch(
    images: Sequence[np.ndarray],
    sizes: Sequence[SizeArg],
    *,
    filter: FilterArg = "box",
    reducing_gap: float | None = None,
    pillow: str | None = None,
    threads: int | None = None,
    simd: str | None = None,
) -> list[np.ndarray]:
    """Resize many uint8 images (any shapes, the same channels) to every size.

    Returns one array per size, stacking the results: N x h x w (x C). The
    work is spread over ``threads`` native threads (default: :func:`available_cpus`) with
    the GIL released; the bytes do not depend on the thread count.
    """
    rel = _release(pillow)
    if isinstance(sizes, (int, np.integer)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of sizes, not {sizes!r}")
    size_list = _sizes(sizes)
    f = _filter(filter, rel)
    if threads is None:
        threads = available_cpus()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    prepared = []
    alpha = None
    for i, image in enumerate(images):
        pixels, kind, has_alpha = _check_array(image)
        if kind != "u8":
            raise TypeError(f"images[{i}]: resize_batch takes uint8 images, got {image.dtype}")
        if alpha is not None and has_alpha != alpha:
            raise ValueError(f"images[{i}]: all images of a batch must have the same channels")
        alpha = has_alpha
        _check_memory(pixels.shape[1], pixels.shape[0], size_list, pixels.shape[2] if pixels.ndim == 3 else 1)
        prepared.append(pixels)
    channels = prepared[0].shape[2] if prepared and prepared[0].ndim == 3 else 1
    for w, h in size_list:
        stacked = len(prepared) * w * h * channels
        if stacked > MAX_OUTPUT_BYTES:
            raise ValueError(f"{len(prepared)} images resized to {w}x{h} need a {_gib(stacked)} stack "
                             f"(limit {MAX_OUTPUT_BYTES / 2**30:.0f} GiB)")
    gap = _gap(reducing_gap, rel)
    threads = min(threads, max(1, len(prepared)))  # no more threads than images (and within a C int)
    return _core.resize8_batch(prepared, size_list, gap, bool(alpha), f, rel.rules, _simd(simd), threads)


_INT_MAX = 2**31 - 1


def _factor(factor: Any) -> tuple[int, int]:
    try:
        if isinstance(factor, (list, tuple)):
            if len(factor) != 2 or any(isinstance(v, (bool, np.bool_)) for v in factor):
                raise TypeError
            fx, fy = (operator.index(v) for v in factor)
        else:
            if isinstance(factor, (bool, np.bool_)):
                raise TypeError
            fx = fy = operator.index(factor)
    except TypeError:
        raise TypeError(f"factor must be an int or a pair of ints, not {factor!r}") from None
    if fx < 1 or fy < 1:
        raise ValueError(f"factor must be at least 1, got {factor!r}")
    if max(fx, fy) > _INT_MAX:
        raise ValueError(f"factor must be at most 2^31 - 1 (a C int, as in Pillow), got {factor!r}")
    return fx, fy


def _int_box(box: Any, width: int, height: int) -> tuple[int, int, int, int]:
    if box is None:
        return (0, 0, width, height)
    try:
        if isinstance(box, _UNORDERED) or len(box) != 4 or any(isinstance(v, (bool, np.bool_)) for v in box):
            raise TypeError
        x0, y0, x1, y1 = (operator.index(v) for v in box)
    except TypeError:
        raise TypeError(f"box must be 4 ints (x0, y0, x1, y1), not {box!r}") from None
    if x0 < 0 or y0 < 0:
        raise ValueError(f"box offset can't be negative: {box!r}")
    if x1 > width or y1 > height:
        raise ValueError(f"box can't exceed original image size {width}x{height}: {box!r}")
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box can't be empty: {box!r}")
    return (x0, y0, x1, y1)


def _whole(box: Any, width: int, height: int, rel: Release) -> bool:
    """Whether Image.reduce before 13.0 took ``box`` for the whole image: None, or equal to
    the tuple (0, 0, width, height), floats too (a list only before 10.4, made a tuple)."""
    if box is None:
        return True
    if rel.reduce_box_as_tuple and isinstance(box, list):
        box = tuple(box)
    return isinstance(box, tuple) and box == (0, 0, width, height)


def _crop(image: np.ndarray, box: Any) -> np.ndarray:
    """``Image.crop(box)`` of an array: the box rounded to whole pixels, zeros where it lies
    past the image."""
    pixels, _, _ = _check_array(image)
    height, width = pixels.shape[:2]
    if box is None:
        return np.array(pixels)
    left, top, right, bottom = _four_numbers(box)
    if right < left:
        raise ValueError(f"box: coordinate 'right' is less than 'left': {box!r}")
    if bottom < top:
        raise ValueError(f"box: coordinate 'lower' is less than 'upper': {box!r}")
    x0, y0, x1, y1 = (round(v) for v in (left, top, right, bottom))
    _check_memory(width, height, [(x1 - x0, y1 - y0)], pixels.itemsize * math.prod(pixels.shape[2:]))
    out = np.zeros((y1 - y0, x1 - x0, *pixels.shape[2:]), pixels.dtype)
    left, top, right, bottom = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if right > left and bottom > top:
        out[top - y0 : bottom - y0, left - x0 : right - x0] = pixels[top:bottom, left:right]
    return out


def reduce(
    image: np.ndarray | Image.Image,
    factor: int | tuple[int, int],
    box: Sequence[int] | None = None,
    *,
    pillow: str | None = None,
    simd: str | None = None,
) -> Any:
    """``Image.reduce(factor, box)``, byte for byte: each output is the rounded
    mean of a factor x factor block (partial blocks at the right and bottom).

    ``image`` is as for :func:`resize`: uint8 L, LA, RGB, RGBA arrays, int32
    (I) and float32 (F) arrays, or a ``PIL.Image`` of a mode Pillow reduces
    (not 1, P or I;16, except by 1). ``factor`` is an int or ``(fx, fy)``;
    ``box`` is an integer region. Pillow has had ``reduce`` since 7.0.
    ``simd`` forces a kernel set for 8-bit images, as for :func:`resize`.
    By 1 Pillow crops, any mode: from 13.0 a factor of 1 (or ``(1, 1)``) is
    ``Image.crop(box)``, any box; a list ``[1, 1]``, and before 13.0 any box
    but the whole image, is the core's crop, through premultiplied alpha for
    LA and RGBA (which rounds colours where alpha is low).
    """
    rel = _release(pillow)
    if not rel.has_reduce:
        raise ValueError(f"Pillow {rel} had no Image.reduce (it appeared in 7.0)")
    fx, fy = _factor(factor)
    by_one = (fx, fy) == (1, 1)
    # Image.reduce's own shortcuts compare the factor with the tuple (1, 1): a list [1, 1] is not
    # one, and goes the core's way (for LA and RGBA through premultiplied alpha, which rounds).
    ones = by_one and not isinstance(factor, list)
    if ones and rel.reduce_by_one_crops:
        return image.crop(box) if isinstance(image, Image.Image) else _crop(image, box)
    if isinstance(image, Image.Image):
        if image.mode not in _PIL_MODES:
            raise ValueError(f"Pillow cannot reduce images of mode {image.mode}")
        kind, bands, alpha = _PIL_MODES[image.mode]
        pixels = pil_pixels(image)
    else:
        pixels, kind, alpha = _check_array(image)
    height, width = pixels.shape[0], pixels.shape[1]
    if ones and _whole(box, width, height, rel):  # before 13.0 Image.reduce copied a whole image
        out = np.array(pixels)
    else:
        int_box = _int_box(box, width, height)  # the core checks the box first
        if by_one and not alpha:  # and crops any mode by one
            x0, y0, x1, y1 = int_box
            out = np.ascontiguousarray(pixels[y0:y1, x0:x1])
        elif kind == "u16" or (isinstance(image, Image.Image) and image.mode in _NEAREST_ONLY):
            raise ValueError(f"Pillow cannot reduce images of mode {getattr(image, 'mode', 'I;16 (uint16)')}")
        else:  # by one with alpha too: the premultiplied round trip, as Pillow's
            out = _core.reduce(pixels, fx, fy, int_box, alpha, _simd(simd))
    if not isinstance(image, Image.Image):
        return out
    if out.ndim == 3 and out.shape[2] != len(bands):
        out = out[:, :, list(bands)]
    return _to_pil(out, image, copy_palette=by_one)


def build_info() -> dict[str, Any]:
    """What this build is: version, SIMD kernels, compiler and flags that matter."""
    from . import __version__

    return {
        "version": __version__,
        "simd": _core.default_simd(),
        "simd_available": list(_core.simd_backends()),
        "compiler": _core.compiler(),
        "compile_flags": _core.compile_flags,
        "pillow_behaviour": release().behaviour,
        "pillow_installed": Image.__version__,
        "numpy": np.__version__,
    }
