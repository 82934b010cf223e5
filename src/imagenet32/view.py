"""Pictures of a dataset: contact sheets of its images (``imagenet32 show --grid``) and a
bar chart of images per class (``--histogram``), as the original test script drew them.

The sheets need only numpy and Pillow; the chart needs matplotlib (``imagenet32[plot]``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from .devkit import ORDER_NAMES
from .formats import NUM_CLASSES, DataFile, FormatError, PathArg, as_path, find_data_files, read_batch
from .load import LAYOUTS, select_files
from .manifest import label_order_of

__all__ = ["SHEET_SIDE", "add_commands", "class_counts", "contact_sheet", "save_grid", "save_histogram"]

# The original script's sheets: 100 x 100 images, each in a cell 4 pixels wider than it.
SHEET_SIDE = 100
GAP = 2


def contact_sheet(images: np.ndarray, *, layout: str = "NCHW", columns: int = SHEET_SIDE, gap: int = GAP) -> np.ndarray:
    """One RGB picture (H, W, 3) uint8 of uint8 images laid out in rows of ``columns``,
    each with ``gap`` black pixels around it (so 2 * gap between neighbours)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        got = f"{images.dtype} {images.shape}" if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"images must be a 4-D uint8 array, got {got}")
    hwc = images.transpose(0, 2, 3, 1) if layout == "NCHW" else images
    if hwc.shape[3] != 3 or len(hwc) == 0:
        raise ValueError(f"images must be one or more {layout} RGB images, got shape {images.shape}")
    if not isinstance(columns, (int, np.integer)) or not isinstance(gap, (int, np.integer)) or columns < 1 or gap < 0:
        raise ValueError(f"columns must be an int >= 1 and gap an int >= 0, got {columns!r} and {gap!r}")
    count, height, width = hwc.shape[:3]
    rows, across = -(-count // columns), min(columns, count)
    cells = np.zeros((rows * across, height + 2 * gap, width + 2 * gap, 3), np.uint8)
    cells[:count, gap : gap + height, gap : gap + width] = hwc
    grid = cells.reshape(rows, across, *cells.shape[1:]).transpose(0, 2, 1, 3, 4)
    return np.ascontiguousarray(grid).reshape(rows * cells.shape[1], across * cells.shape[2], 3)


def _split_of(path: PathArg | Sequence[PathArg], split: str | None, size: int | None) -> str:
    """The asked split, or train when there are train files and val otherwise."""
    if split is not None:
        return split
    return "train" if any(f.split == "train" for f in find_data_files(path, size)) else "val"


def _picture(out: PathArg, extensions: Sequence[str], what: str) -> Path:
    """``out`` as the file a picture is written to, whose extension names its format: a folder,
    or a name without one of ``extensions`` (lower case, with the dot), is refused before any
    work."""
    target = as_path(out)
    if target.is_dir():
        raise ValueError(f"{target} is a folder; name the {what} file to write, such as {target / 'out.png'}")
    if target.suffix.lower() not in extensions:
        problem = f"extension {target.suffix!r} is not" if target.suffix else "no extension names"
        raise ValueError(f"{target}: {problem} a format the {what} can be written in (such as .png); "
                         f"these are: {' '.join(sorted(extensions))}")
    return target


# Formats that write a large RGB picture without anything beyond Pillow (of those Pillow registers
# a saver for, some need a plugin, others take only small images or other modes).
_SHEET_FORMATS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".tga", ".pdf")


def _sheet_target(out: PathArg) -> Path:
    extensions = Image.registered_extensions()
    return _picture(out, [e for e in _SHEET_FORMATS if extensions.get(e) in Image.SAVE], "contact sheet")


def _chart_target(out: PathArg) -> Path:
    try:
        import matplotlib.figure  # noqa: F401  (what the chart is drawn with)
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise ImportError("the class histogram needs matplotlib: pip install 'imagenet32[plot]'") from None
    # All matplotlib writes by itself: PGF needs a LaTeX installation.
    return _picture(out, ["." + e for e in FigureCanvasBase.get_supported_filetypes() if e != "pgf"], "chart")


def _sheet_names(out: Path, sheets: int) -> list[Path]:
    if sheets == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{k}{out.suffix}") for k in range(1, sheets + 1)]


def save_grid(
    path: PathArg | Sequence[PathArg],
    out: PathArg,
    *,
    split: str | None = None,
    start: int = 0,
    count: int | None = None,
    columns: int = SHEET_SIDE,
    size: int | None = None,
) -> list[Path]:
    """Contact sheets of images ``start`` .. ``start + count - 1`` of a split, counted
    across its files in order (``train_data_batch_1`` first), ``columns`` x ``columns``
    images per sheet. One sheet is written to ``out``; more go to ``out-1.png``,
    ``out-2.png``, ... Returns the files written. Files after the last image drawn are
    not read. Without ``count``, one full sheet or as many as the split has; a ``count``
    past the split's end draws the rest of it, with a warning saying how many."""
    for name, value, least in (("start", start, 0), ("count", count, 1), ("columns", columns, 1)):
        if value is None and name == "count":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
    asked, count = count, columns * columns if count is None else count
    target = _sheet_target(out)
    split = _split_of(path, split, size)
    picked: list[np.ndarray] = []
    skip, wanted = start, count
    image_side = None
    for source in select_files(path, split, size=size, require_all=False):
        if wanted == 0:
            break
        batch = read_batch(source)
        if image_side is not None and batch.size != image_side:
            raise FormatError(f"{source.name}: {batch.size}x{batch.size} images among {image_side}x{image_side} ones")
        image_side = batch.size
        rows = batch.data[skip : skip + wanted]
        skip = max(0, skip - len(batch))
        wanted -= len(rows)
        picked.append(rows.reshape(-1, 3, batch.size, batch.size).copy())
    images = np.concatenate(picked) if picked else np.empty((0, 3, 1, 1), np.uint8)
    if not len(images):
        raise ValueError(f"{split} has no image number {start} (it has fewer images)")
    if asked is not None and len(images) < asked:
        drawn = len(images)
        warnings.warn(f"{split} has {drawn:,} images from number {start}: drew those, not {asked:,}", stacklevel=2)
    per_sheet = columns * columns
    chunks = [images[k : k + per_sheet] for k in range(0, len(images), per_sheet)]
    written = _sheet_names(target, len(chunks))
    for chunk, sheet in zip(chunks, written):
        Image.fromarray(contact_sheet(chunk, columns=columns)).save(sheet)
    return written


def class_counts(path: PathArg | Sequence[PathArg], *, split: str | None = None, size: int | None = None) -> np.ndarray:
    """Images per class of a split: ``counts[k]`` for label ``k + 1`` as the files hold it (1000 values)."""
    return _counts(select_files(path, _split_of(path, split, size), size=size, require_all=False))


def _counts(files: Sequence[DataFile]) -> np.ndarray:
    counts = np.zeros(NUM_CLASSES, np.int64)
    for source in files:
        counts += np.bincount(read_batch(source).labels - 1, minlength=NUM_CLASSES)
    return counts


def save_histogram(
    path: PathArg | Sequence[PathArg],
    out: PathArg,
    *,
    split: str | None = None,
    sort: bool = False,
    size: int | None = None,
) -> Path:
    """A bar chart of images per class (``sort``: smallest to largest), as a PNG (or another
    format matplotlib writes by itself, by ``out``'s extension). Needs matplotlib."""
    target = _chart_target(out)
    from matplotlib.figure import Figure

    # A Figure without pyplot draws off screen and leaves the user's backend alone.
    figure = Figure(figsize=(12, 4.5), dpi=100, layout="constrained")
    split = _split_of(path, split, size)
    files = select_files(path, split, size=size, require_all=False)
    counts, order = _counts(files), label_order_of(files)
    heights = np.sort(counts) if sort else counts
    axes = figure.subplots()
    # One filled outline of 1000 unit-wide bars: the look of bar(), without 1000 patches.
    axes.stairs(heights, np.arange(NUM_CLASSES + 1) + 0.5, fill=True, color="darkblue")
    axes.set_xlim(0.5, NUM_CLASSES + 0.5)
    axes.set_xlabel("classes, by images (ascending)" if sort else f"class ({ORDER_NAMES[order]} ID)")
    axes.set_ylabel("images")
    present = counts[counts > 0]
    summary = f"{counts.sum():,} images, {present.size} classes"
    if present.size:
        summary += f", {present.min():,}..{present.max():,} per class"
    axes.set_title(f"{split}: images per class ({summary})")
    figure.savefig(target)
    return target


def _run_show(args: argparse.Namespace) -> int:
    if args.grid is None and args.histogram is None:
        print("imagenet32 show: error: give --grid OUT.png, --histogram OUT.png or both", file=sys.stderr)
        return 2
    try:
        for out, check in ((args.grid, _sheet_target), (args.histogram, _chart_target)):
            if out is not None:
                check(out)  # both names before either picture is drawn
        if args.grid is not None:
            with warnings.catch_warnings(record=True) as notes:
                warnings.simplefilter("always")
                written = save_grid(args.path, args.grid, split=args.split, start=args.start, count=args.count,
                                    columns=args.columns, size=args.size)
            for sheet in written:
                print(f"wrote {sheet}")
            for note in notes:
                print(f"imagenet32 show: note: {note.message}", file=sys.stderr)
        if args.histogram is not None:
            chart = save_histogram(args.path, args.histogram, split=args.split, sort=args.sorted, size=args.size)
            print(f"wrote {chart}")
    except (FormatError, ValueError, ImportError, OSError) as error:
        print(f"imagenet32 show: error: {error}", file=sys.stderr)
        return 1
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser(
        "show",
        help="draw contact sheets of the images and a bar chart of images per class",
        description=(
            "Draw a split's images as contact sheets like the original test script's (100 x 100 images per "
            "sheet, 2 black pixels around each) and/or a bar chart of images per class (needs matplotlib: "
            "pip install 'imagenet32[plot]')."
        ),
        epilog="example: imagenet32 show Imagenet32_val --grid val.png --count 400 --histogram classes.png --sorted",
    )
    p.add_argument("path", nargs="+", metavar="PATH", help="a dataset folder, a zip of its files, or single files")
    p.add_argument("--split", choices=("train", "val"), help="default: train if present, else val")
    p.add_argument("--size", type=int, metavar="S", help="only folders and zips named for this size")
    p.add_argument("--grid", metavar="OUT.png", help="write contact sheets here (out-1.png, ... when several)")
    p.add_argument("--start", type=int, default=0, metavar="I", help="first image, counted from 0 (default 0)")
    p.add_argument("--count", type=int, metavar="N",
                   help="images to draw (default: one full sheet, C x C, or as many as there are)")
    p.add_argument("--columns", type=int, default=SHEET_SIDE, metavar="C",
                   help=f"images per sheet row; a sheet holds C x C (default {SHEET_SIDE})")
    p.add_argument("--histogram", metavar="OUT.png", help="write the bar chart of images per class here")
    p.add_argument("--sorted", action="store_true", help="sort the bars by height, as the original --sorted_histogram")
    p.set_defaults(run=_run_show)
