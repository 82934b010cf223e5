"""Load the datasets as arrays for training: whole splits, batch files one by one,
the seed's ``load_databatch`` recipe, and shuffled, augmented minibatches.

Rows of ``data`` are channel planes, so uint8 NCHW is a view of the file's array, made
without a copy; uint8 NHWC is rearranged in place. float32 is made in one pass by a
Numba kernel: ``x / 255`` (minus ``mean / 255`` with ``subtract_mean``), rounded exactly
as the seed's numpy recipe rounds it. So loading one file needs its pixels once (uint8)
or the output plus its pixels (float32); several files need the output plus one file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from .devkit import LABEL_ORDERS, Devkit, load_devkit
from .formats import (
    NUM_CLASSES,
    SPLITS,
    TRAIN_BATCHES,
    Batch,
    DataFile,
    FormatError,
    PathArg,
    as_paths,
    find_data_files,
    read_batch,
)
from .manifest import MANIFEST, label_order_of

__all__ = [
    "DTYPES",
    "LABEL_ORDERS",
    "LAYOUTS",
    "Split",
    "as_devkit",
    "iter_batches",
    "load",
    "load_databatch",
    "minibatches",
    "select_files",
]

LAYOUTS = ("NCHW", "NHWC")
DTYPES = ("uint8", "float32")


@dataclass(frozen=True, eq=False)
class Split:
    """Images and labels of a split (or of one batch file of it).

    - ``images``: (N, 3, S, S) for NCHW or (N, S, S, 3) for NHWC; uint8, or float32 in
      [0, 1] (``x / 255``; minus ``mean / 255`` when the mean was subtracted).
    - ``labels``: (N,) int64 in ``label_order``, from 0 when ``zero_based``.
    - ``mean``: the train mean image in pixel units (0..255), float64, shaped like one
      image in ``layout``; None for val.
    - ``wnids`` / ``names``: the classes in label order (label k is ``wnids[k]``, or
      ``wnids[k - 1]`` when 1-based), when a devkit was given; else None.
    - ``files``: the names of the files read, in order.
    """

    images: np.ndarray
    labels: np.ndarray
    mean: np.ndarray | None
    size: int
    split: str
    layout: str
    label_order: str
    zero_based: bool
    wnids: tuple[str, ...] | None
    names: tuple[str, ...] | None
    files: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.labels.shape[0])


# --- kernels -----------------------------------------------------------------------
# ``mean`` is already divided by 255 (zeros when nothing is subtracted: x - 0.0 is exact).
# The arithmetic is the recipe's: x / float32(255) in float32, the mean subtracted in
# float64, the result rounded to float32.


@njit(cache=True, nogil=True)
def _scale(planes, mean, out):  # type: ignore[no-untyped-def]
    scale = np.float32(255.0)
    for i in range(planes.shape[0]):
        for j in range(planes.shape[1]):
            out[i, j] = np.float32(np.float64(np.float32(planes[i, j]) / scale) - mean[j])


@njit(cache=True, nogil=True)
def _scale_interleave(planes, mean, out):  # type: ignore[no-untyped-def]
    scale = np.float32(255.0)
    pixels = out.shape[1]
    for i in range(planes.shape[0]):
        row = planes[i]
        image = out[i]
        for k in range(pixels):
            for c in range(3):
                at = c * pixels + k
                image[k, c] = np.float32(np.float64(np.float32(row[at]) / scale) - mean[at])


@njit(cache=True, nogil=True)
def _interleave(planes, out):  # type: ignore[no-untyped-def]
    # Each row is copied aside first, so ``out`` may be ``planes`` itself: NHWC in place.
    pixels = out.shape[1]
    row = np.empty(planes.shape[1], np.uint8)
    for i in range(planes.shape[0]):
        source = planes[i]
        for j in range(row.shape[0]):  # an explicit loop: Numba's slice copy is 2x slower here
            row[j] = source[j]
        image = out[i]
        for k in range(pixels):
            image[k, 0] = row[k]
            image[k, 1] = row[pixels + k]
            image[k, 2] = row[2 * pixels + k]


@njit(cache=True, nogil=True)
def _crop_flip(images, index, dy, dx, flip, out):  # type: ignore[no-untyped-def]
    # NCHW views of any strides; pixels shifted outside the image are the zero padding.
    channels, height, width = out.shape[1], out.shape[2], out.shape[3]
    for r in range(out.shape[0]):
        source = images[index[r]]
        for c in range(channels):
            for y in range(height):
                sy = y + dy[r]
                for x in range(width):
                    sx = (width - 1 - x if flip[r] else x) + dx[r]
                    if 0 <= sy < height and 0 <= sx < width:
                        out[r, c, y, x] = source[c, sy, sx]
                    else:
                        out[r, c, y, x] = 0


# --- options -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Options:
    size: int | None
    layout: str
    dtype: str
    subtract: bool
    given_mean: np.ndarray | None
    zero_based: bool
    label_order: str | None  # None until _labelled: the files' own
    kit: Devkit | None
    label_map: np.ndarray  # the files' label -> output label
    wnids: tuple[str, ...] | None
    names: tuple[str, ...] | None
    mmap: bool


def _choice(name: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def as_devkit(devkit: Devkit | PathArg | Sequence[PathArg] | None) -> Devkit | None:
    """A Devkit from a Devkit or paths for ``load_devkit``, checked to know the devkit IDs
    (not only the sorted-WNID order of Kaggle's synset mapping)."""
    kit = devkit if devkit is None or isinstance(devkit, Devkit) else load_devkit(*as_paths(devkit))
    if kit is not None and not kit.has_devkit_ids:
        raise ValueError(
            f"devkit {kit.source!r} gives only sorted-WNID order, not the devkit IDs the files hold "
            "(it needs map_clsloc.txt or the devkit's meta.mat, not just LOC_synset_mapping.txt)"
        )
    return kit


def _options(
    *,
    size: int | None,
    layout: str,
    dtype: str,
    subtract_mean: bool | np.ndarray,
    zero_based: bool,
    label_order: str | None,
    devkit: Devkit | PathArg | Sequence[PathArg] | None,
    mmap: bool,
) -> _Options:
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1):
        raise ValueError(f"size must be a positive int or None, got {size!r}")
    layout = _choice("layout", layout, LAYOUTS)
    dtype = _choice("dtype", dtype, DTYPES)
    if label_order is not None:
        label_order = _choice("label_order", label_order, LABEL_ORDERS)
    for flag, value in (("zero_based", zero_based), ("mmap", mmap)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be True or False, got {value!r}")
    given_mean = None
    if isinstance(subtract_mean, np.ndarray):
        given_mean = subtract_mean
    elif not isinstance(subtract_mean, bool):
        raise TypeError(f"subtract_mean must be True, False or a mean image array, got {type(subtract_mean).__name__}")
    subtract = given_mean is not None or subtract_mean is True
    if subtract and dtype != "float32":
        raise ValueError("subtract_mean needs dtype='float32' (uint8 cannot hold mean-subtracted pixels)")
    kit = as_devkit(devkit)
    return _Options(
        None if size is None else int(size), layout, dtype, subtract, given_mean, zero_based, label_order,
        kit, np.empty(0, np.int64), None, None, mmap,
    )


def _labelled(options: _Options, files: Sequence[DataFile]) -> _Options:
    """The options with the labels' order settled for these files: the order asked for (None:
    the order the files hold, which their build's manifest.json tells, else devkit IDs), the
    map from the files' IDs to it, and the devkit's classes in it."""
    stored = label_order_of(files)
    wanted = options.label_order or stored
    kit = options.kit
    if wanted != stored and kit is None:
        why = f"their build's {MANIFEST} says so" if stored == "sorted" else "the format's order"
        raise ValueError(f"label_order={wanted!r}: the files hold {stored} IDs ({why}); converting needs the "
                         "devkit (devkit=path to map_clsloc.txt or the devkit)")
    if kit is None:  # the files' IDs as they are
        label_map = np.arange(NUM_CLASSES + 1, dtype=np.int64)
        wnids = names = None
    else:  # checked against the devkit's classes
        label_map = kit.relabel(stored, wanted)
        order = np.argsort(np.array(kit.wnids)) if wanted == "sorted" else np.arange(kit.num_classes)
        wnids = tuple(kit.wnids[i] for i in order)
        names = tuple(kit.names[i] for i in order)
    return replace(options, label_order=wanted, label_map=label_map - 1 if options.zero_based else label_map,
                   wnids=wnids, names=names)


# --- choosing files ----------------------------------------------------------------


def _batch_numbers(batches: int | Iterable[int]) -> list[int]:
    numbers = [batches] if isinstance(batches, (int, np.integer)) else list(batches)
    for i in numbers:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 1 <= i <= TRAIN_BATCHES:
            raise ValueError(f"batches must be train batch numbers 1..{TRAIN_BATCHES}, got {i!r}")
    if not numbers or len(set(numbers)) != len(numbers):
        raise ValueError(f"batches must name each train batch once, got {numbers}")
    return [int(i) for i in numbers]


def _where(path: PathArg | Sequence[PathArg]) -> str:
    return ", ".join(map(str, as_paths(path)))


def select_files(
    path: PathArg | Sequence[PathArg],
    split: str,
    batches: int | Iterable[int] | None = None,
    size: int | None = None,
    *,
    require_all: bool = True,
    split_hint: bool = True,
) -> list[DataFile]:
    """The files of ``split`` under ``path``, in order; ``batches`` picks train batches.

    With ``batches=None`` all 10 train batches must be there when ``path`` names folders
    or zips (the Imagenet64 train set comes as two zips: give both); dataset files named
    one by one are taken as they are (``require_all=False``: whatever is there). ``size``
    leaves out folders and zips named for other sizes. ``split_hint``: when the split is not
    there, the error says which argument asks for the other.
    """
    split = _choice("split", split, SPLITS)
    found = find_data_files(path, size)
    unnamed = [f for f in found if f.split is None]
    if unnamed:
        if len(found) > 1 or batches is not None:
            raise FormatError(
                f"{unnamed[0].name}: cannot tell which split and batch this file is; name it "
                "train_data_batch_N or val_data (.npz), or load it alone without batches"
            )
        return found
    chosen = [f for f in found if f.split == split]
    if not chosen:
        others = ", ".join(f.basename for f in found)
        other = found[0].split
        raise FormatError(f"{_where(path)}: no {split} files (found {others})"
                          + (f"; pass split='{other}' (--split {other})" if split_hint else ""))
    if split == "val":
        if batches is not None:
            raise ValueError("batches picks train batches; the val split is one file")
        return chosen
    by_number = {f.index: f for f in chosen}
    if batches is not None:
        wanted = _batch_numbers(batches)
    else:
        named = set(as_paths(path))
        if not require_all or all(f.member is None and f.path in named for f in chosen):
            return chosen
        wanted = list(range(1, TRAIN_BATCHES + 1))
    missing = [i for i in wanted if i not in by_number]
    if missing:
        hint = "" if batches is not None else "; pass batches=[...] to load only some"
        raise FormatError(f"{_where(path)}: no train_data_batch_{', '.join(map(str, missing))}{hint}")
    return [by_number[i] for i in wanted]


# --- converting --------------------------------------------------------------------


def _image_shape(size: int, layout: str) -> tuple[int, int, int]:
    return (3, size, size) if layout == "NCHW" else (size, size, 3)


def _planes(mean: np.ndarray, size: int, layout: str, what: str) -> np.ndarray:
    """A mean image as channel planes (3*S*S,), from planes or from an image in either layout
    (a train split's mean is in that load's layout; for S = 3, where the two shapes are one,
    in ``layout``)."""
    columns = 3 * size * size
    average = np.asarray(mean, dtype=np.float64)
    if average.shape == (columns,):
        return average
    for shape_layout in sorted(("NCHW", "NHWC"), key=lambda name: name != layout):
        if average.shape == _image_shape(size, shape_layout):
            return (average if shape_layout == "NCHW" else average.transpose(2, 0, 1)).reshape(columns)
    expected = f"({columns},), {_image_shape(size, 'NCHW')} or {_image_shape(size, 'NHWC')}"
    raise ValueError(f"{what}: the mean image to subtract has shape {average.shape}; expected {expected}")


def _subtracted(batch: Batch, source: DataFile, options: _Options) -> np.ndarray | None:
    """The mean (planes, pixel units) to subtract from this batch, or None."""
    if not options.subtract:
        return None
    if options.given_mean is not None:
        return _planes(options.given_mean, batch.size, options.layout, source.name)
    if batch.mean is None:
        raise ValueError(
            f"{source.name}: a val file has no mean; pass subtract_mean=<the train mean>, "
            "for example load(train_path, batches=1).mean"
        )
    return batch.mean


def _fill(batch: Batch, subtract: np.ndarray | None, options: _Options, out: np.ndarray) -> None:
    """Write the batch's images into ``out`` (rows, image shape) in one pass."""
    rows, size = len(batch), batch.size
    if options.dtype == "uint8" and options.layout == "NCHW":
        out[...] = batch.data.reshape(out.shape)
    elif options.dtype == "uint8":
        _interleave(batch.data, out.reshape(rows, size * size, 3))
    else:
        scaled_mean = np.zeros(batch.data.shape[1]) if subtract is None else subtract / 255.0
        if options.layout == "NCHW":
            _scale(batch.data, scaled_mean, out.reshape(rows, batch.data.shape[1]))
        else:
            _scale_interleave(batch.data, scaled_mean, out.reshape(rows, size * size, 3))


def _checked_size(batch: Batch, source: DataFile, expected: int | None, first: DataFile | None) -> int:
    if expected is not None and batch.size != expected:
        if first is None:
            raise FormatError(f"{source.name}: images are {batch.size}x{batch.size}, asked for size={expected}")
        raise FormatError(
            f"files of different sizes mixed: {first.name} has {expected}x{expected} images, "
            f"{source.name} has {batch.size}x{batch.size}"
        )
    return batch.size


def _split(
    images: np.ndarray, labels: np.ndarray, mean: np.ndarray | None, size: int, split: str,
    options: _Options, files: Sequence[DataFile],
) -> Split:
    if labels.size and labels.max() >= len(options.label_map):
        raise FormatError(
            f"{files[0].name}: label {labels.max()} is not one of the devkit's {len(options.label_map) - 1} classes"
        )
    shaped_mean = None
    if mean is not None:
        planes = mean.reshape(3, size, size)
        shaped_mean = planes if options.layout == "NCHW" else np.ascontiguousarray(planes.transpose(1, 2, 0))
    return Split(
        images, options.label_map[labels], shaped_mean, size, split, options.layout, options.label_order,
        options.zero_based, options.wnids, options.names, tuple(f.name for f in files),
    )


def _one_file(source: DataFile, split: str, options: _Options, first: DataFile | None = None) -> Split:
    batch = read_batch(source, mmap=options.mmap)
    size = _checked_size(batch, source, options.size, first)
    subtract = _subtracted(batch, source, options)
    if options.dtype == "uint8" and options.layout == "NCHW":
        images = batch.data.reshape((len(batch), *_image_shape(size, "NCHW")))  # a view: no copy
    elif options.dtype == "uint8" and batch.data.flags.writeable:
        # The pixels were read for this call alone, so they are rearranged where they lie.
        images = batch.data.reshape((len(batch), *_image_shape(size, "NHWC")))
        _interleave(batch.data, images.reshape(len(batch), size * size, 3))
    else:
        images = _allocated((len(batch), *_image_shape(size, options.layout)), options.dtype, source.name)
        _fill(batch, subtract, options, images)
    return _split(images, batch.labels, batch.mean, size, split, options, [source])


def _allocated(shape: tuple[int, ...], dtype: str, files: str) -> np.ndarray:
    """An empty array for the images, or a MemoryError saying how much they need."""
    try:
        return np.empty(shape, dtype)
    except MemoryError:
        need = math.prod(shape) * np.dtype(dtype).itemsize / 2**30
        raise MemoryError(f"{shape[0]:,} images ({files}) as {dtype} need {need:,.1f} GiB, more than this "
                          "machine gives") from None


def _check_same_mean(first: DataFile, mean: np.ndarray | None, source: DataFile, other: np.ndarray | None) -> None:
    if (other is None) != (mean is None) or (other is not None and not np.array_equal(other, mean)):
        raise FormatError(f"{first.name} and {source.name} have different means: files of two datasets mixed?")


def _many_files(files: Sequence[DataFile], split: str, options: _Options) -> Split:
    first = read_batch(files[0], mmap=options.mmap)
    size = _checked_size(first, files[0], options.size, None)
    columns = first.data.shape[1]
    # Never short (see rows_at_most); spare rows are never touched, so they cost address
    # space, not memory.
    rows_of = {f: f.rows_at_most(columns) for f in files[1:]}
    capacity = len(first) + sum(rows_of.values())
    most, rows = max(rows_of.items(), key=lambda item: item[1], default=(files[0], len(first)))
    where = f"{len(files)} files; {most.name}: {rows:,} rows by its size or header"
    images = _allocated((capacity, *_image_shape(size, options.layout)), options.dtype, where)
    labels = np.empty(capacity, np.int64)
    mean = first.mean
    # Only one file's pixels are held at a time: the first is let go once copied.
    pending: Batch | None = first
    del first
    filled = 0
    for source in files:
        batch = pending if pending is not None else read_batch(source, mmap=options.mmap)
        pending = None
        _checked_size(batch, source, size, files[0])
        _check_same_mean(files[0], mean, source, batch.mean)
        rows = len(batch)
        if filled + rows > capacity:
            raise FormatError(f"{source.name}: more rows than its size allows (the file changed while read?)")
        _fill(batch, _subtracted(batch, source, options), options, images[filled : filled + rows])
        labels[filled : filled + rows] = batch.labels
        filled += rows
        del batch
    return _split(images[:filled], labels[:filled], mean, size, split, options, files)


def load(
    path: PathArg | Sequence[PathArg],
    split: str = "train",
    *,
    size: int | None = None,
    batches: int | Iterable[int] | None = None,
    layout: str = "NCHW",
    dtype: str = "uint8",
    subtract_mean: bool | np.ndarray = False,
    zero_based: bool = True,
    label_order: str | None = None,
    devkit: Devkit | PathArg | Sequence[PathArg] | None = None,
    mmap: bool = False,
) -> Split:
    """Load a split of a Downsampled ImageNet dataset as arrays.

    ``path``: a folder or zip of ``train_data_batch_1..10`` / ``val_data`` (pickle or
    ``.npz``), a single file, or a list of these (Imagenet64's two train zips). ``size``
    (S) is inferred from the data; when given it is checked, and it picks among folders
    or zips named for several sizes (``Imagenet32_train``, ``Imagenet64_val``). ``batches``
    (train only) picks batch numbers; by default all 10 are loaded into one array. To go
    through the train set one file at a time, use :func:`iter_batches`.

    ``layout``: "NCHW" (for uint8 from one file, a view of the file's array: no copy) or
    "NHWC" (for uint8 from one file, rearranged in place). ``dtype``: "uint8" or
    "float32" (``x / 255``). ``subtract_mean``: True subtracts the train files' mean
    (``mean / 255``); an array gives the mean to subtract (planes of 3*S*S, or one image
    in ``layout``), as val files carry none.

    Labels are in ``label_order``: "devkit" (devkit IDs, the published files' order),
    "sorted" (sorted-WNID order, torchvision's) or None, the order the files hold (devkit
    IDs, or sorted ones where the build's ``manifest.json`` beside the files says so; the
    result's ``label_order`` tells which); from 0 unless ``zero_based=False``. ``devkit``
    (a :class:`~imagenet32.devkit.Devkit` or paths for ``load_devkit``) is needed to
    convert from one order to the other and adds ``wnids``/``names``. ``mmap=True`` memory-maps the pixels of
    uncompressed ``.npz`` files on disk instead of reading them.
    """
    options = _options(
        size=size, layout=layout, dtype=dtype, subtract_mean=subtract_mean, zero_based=zero_based,
        label_order=label_order, devkit=devkit, mmap=mmap,
    )
    files = select_files(path, split, batches, options.size)
    options = _labelled(options, files)
    if len(files) == 1:
        return _one_file(files[0], split, options)
    return _many_files(files, split, options)


def iter_batches(
    path: PathArg | Sequence[PathArg],
    split: str = "train",
    *,
    size: int | None = None,
    batches: int | Iterable[int] | None = None,
    layout: str = "NCHW",
    dtype: str = "uint8",
    subtract_mean: bool | np.ndarray = False,
    zero_based: bool = True,
    label_order: str | None = None,
    devkit: Devkit | PathArg | Sequence[PathArg] | None = None,
    mmap: bool = False,
) -> Iterator[Split]:
    """Like :func:`load`, one :class:`Split` per file, so only one file's pixels are held
    at a time. All files must have the same image size."""
    options = _options(
        size=size, layout=layout, dtype=dtype, subtract_mean=subtract_mean, zero_based=zero_based,
        label_order=label_order, devkit=devkit, mmap=mmap,
    )
    files = select_files(path, split, batches, options.size)
    options = _labelled(options, files)
    first = _one_file(files[0], split, options)
    # Later files must match the first one's size, whether or not a size was asked for, and its
    # mean, as load checks (a copy: the caller may change the one it is given).
    same_size = replace(options, size=first.size)
    mean = None if first.mean is None else first.mean.copy()
    yield first
    del first  # only one file's pixels held here at a time
    for source in files[1:]:
        part = _one_file(source, split, same_size, files[0] if options.size is None else None)
        _check_same_mean(files[0], mean, source, part.mean)
        yield part


def load_databatch(data_folder: PathArg, idx: int, img_size: int = 32) -> dict[str, np.ndarray]:
    """The seed's recipe, for code ported from it, read safely and in one pass.

    Returns ``X_train``: float32 (2N, 3, S, S), ``x / 255 - mean / 255`` with the N
    mirrored copies (flipped left-right) appended; ``Y_train``: int32 0-based labels,
    twice; ``mean``: float64 ``mean / 255`` (3*S*S,). ``data_folder`` may be a folder or
    zip; the file is ``train_data_batch_{idx}`` (pickle or .npz). The image size is
    checked against ``img_size``.
    """
    source = select_files(data_folder, "train", [idx], img_size, split_hint=False)[0]
    batch = read_batch(source)
    _checked_size(batch, source, img_size, None)
    if batch.mean is None:
        raise FormatError(f"{source.name}: no mean, which a train file has")
    rows = len(batch)
    images = np.empty((2 * rows, 3, img_size, img_size), np.float32)
    mean = batch.mean / 255.0
    _scale(batch.data, mean, images[:rows].reshape(rows, batch.data.shape[1]))
    images[rows:] = images[:rows, :, :, ::-1]
    labels = (batch.labels - 1).astype(np.int32)
    return {"X_train": images, "Y_train": np.concatenate([labels, labels]), "mean": mean}


def minibatches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    *,
    layout: str = "NCHW",
    shuffle: bool = True,
    augment: bool = False,
    pad: int = 4,
    seed: int | np.random.Generator | None = None,
    drop_last: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Minibatches ``(images, labels)`` for one epoch, for training without a framework.

    ``shuffle``: a random order, from ``seed``: an int (or None's fresh entropy) seeds
    this call alone, so the same int gives the same order every call; for a new order each
    epoch pass one ``np.random.default_rng(seed)`` to every call. ``augment``: the original
    training augmentation: pad ``pad`` pixels of zeros on each side (for mean-subtracted
    float images, zero is the mean), crop a random S x S window, and flip left-right with
    probability 1/2, independently for each image. ``drop_last``: skip a last, smaller
    minibatch, as the original iterator did. The same seed gives the same minibatches.
    """
    layout = _choice("layout", layout, LAYOUTS)
    if not isinstance(images, np.ndarray) or images.ndim != 4 or images.shape[1 if layout == "NCHW" else 3] != 3:
        got = images.shape if isinstance(images, np.ndarray) else type(images).__name__
        raise ValueError(f"images must be a 4-D {layout} array with 3 channels, got {got}")
    labels = np.asarray(labels)
    if labels.shape != images.shape[:1]:
        raise ValueError(f"{labels.shape[0] if labels.ndim else 'no'} labels for {images.shape[0]} images")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be an int >= 0, got {pad!r}")
    if augment and (not (images.dtype.kind in "iu" or images.dtype in (np.float32, np.float64))
                    or not images.dtype.isnative):
        raise TypeError(f"augment takes integer, float32 or float64 images in this machine's byte order, not "
                        f"{images.dtype.str} (convert them first, e.g. images.astype(np.float32))")
    rng = np.random.default_rng(seed)
    count = images.shape[0]
    order = rng.permutation(count) if shuffle else np.arange(count)
    stop = count - count % batch_size if drop_last else count
    as_nchw = (lambda a: a) if layout == "NCHW" else (lambda a: a.transpose(0, 3, 1, 2))
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        if not augment:
            yield images[index], labels[index]
            continue
        rows = len(index)
        dy = rng.integers(0, 2 * pad + 1, rows) - pad
        dx = rng.integers(0, 2 * pad + 1, rows) - pad
        flip = rng.random(rows) < 0.5
        out = np.empty((rows, *images.shape[1:]), images.dtype)
        _crop_flip(as_nchw(images), index, dy, dx, flip, as_nchw(out))
        yield out, labels[index]
