"""What a dataset holds (``imagenet32 info``) and whether it keeps every rule of the
format (``imagenet32 verify``).

Both read each file once, one at a time, through the safe reader, and keep only
summaries: rows, label counts, the stored mean and, for verify, the exact per-column
sums of the pixels (to check the mean).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .devkit import ORDER_NAMES, Devkit, DevkitError
from .formats import (
    NUM_CLASSES,
    TRAIN_BATCHES,
    DataFile,
    FormatError,
    PathArg,
    batch_sizes,
    find_data_files,
    read_batch,
    train_batch_name,
)
from .load import as_devkit
from .manifest import Recorded, recorded

__all__ = ["FileSummary", "Report", "add_commands", "describe", "info", "verify"]

# Told after each file: its number, the number of files, and a line about it.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, eq=False)
class FileSummary:
    """One file as read: its place in the dataset and what it holds."""

    name: str
    split: str | None
    index: int | None
    fmt: str
    nbytes: int
    rows: int
    size: int
    labels: np.ndarray  # 1-based devkit IDs as stored
    mean: np.ndarray | None
    sums: np.ndarray | None  # per-column pixel sums (uint64), when asked for
    sha256: str | None
    recorded: Recorded | None  # what the manifest of the build that wrote it says

    @property
    def label_order(self) -> str:
        """The order of its labels: "sorted" where its build's manifest says so, else devkit IDs."""
        return self.recorded.label_order if self.recorded is not None else "devkit"

    @property
    def counts(self) -> np.ndarray:
        """Images per label: ``counts[k]`` for label k (``counts[0]`` is always 0)."""
        return np.bincount(self.labels, minlength=NUM_CLASSES + 1)


@dataclass(eq=False)
class Report:
    """The files read (in dataset order) and every problem found, one message each."""

    files: list[FileSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(source: DataFile) -> str:
    digest = hashlib.sha256()
    with source.open() as stream:
        for block in iter(lambda: stream.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _number(value: float) -> str:
    """A count, or the half a median of an even number of counts may be."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _scan(
    paths: PathArg | Sequence[PathArg], *, size: int | None, strict: bool, sums: bool, checksums: bool,
    progress: Progress | None,
) -> Report:
    report = Report()
    try:
        files = find_data_files(paths, size)
    except FormatError as error:
        report.problems.append(str(error))
        return report
    for number, source in enumerate(files, 1):
        try:
            batch = read_batch(source, strict=strict)
            if size is not None and batch.size != size:
                raise FormatError(f"{source.name}: images are {batch.size}x{batch.size}, not --size {size}")
            entry = recorded(source)
            # verify compares every file its build recorded; info when it takes checksums
            digest = _sha256(source) if checksums or (strict and entry is not None) else None
            summary = FileSummary(
                source.name, source.split, source.index, source.fmt, source.nbytes, len(batch), batch.size,
                batch.labels, batch.mean, batch.data.sum(axis=0, dtype=np.uint64) if sums else None, digest, entry,
            )
            if entry is not None and digest is not None and digest != entry.sha256:
                report.problems.append(
                    f"{source.name}: its sha256 is not the one {entry.manifest} records (changed since the build)"
                )
        except FormatError as error:
            report.problems.append(str(error))
            if progress is not None:  # the reason, which may be a rule the file breaks, not its bytes
                progress(number, len(files), str(error))
            continue
        del batch
        report.files.append(summary)
        if progress is not None:
            progress(number, len(files), f"{source.name}: {summary.rows:,} images")
    return report


def _check_sizes(report: Report) -> None:
    sizes = sorted({f.size for f in report.files})
    if len(sizes) > 1:
        groups = "; ".join(f"{s}x{s}: " + ", ".join(f.name for f in report.files if f.size == s) for s in sizes)
        report.problems.append(f"files of different sizes mixed ({groups})")


def _check_classes(report: Report, split: str, files: list[FileSummary]) -> None:
    counts = sum((f.counts for f in files), np.zeros(NUM_CLASSES + 1, np.int64))
    absent = np.flatnonzero(counts[1:] == 0) + 1
    if absent.size:
        shown = ", ".join(map(str, absent[:10])) + (", ..." if absent.size > 10 else "")
        report.problems.append(
            f"{split}: {NUM_CLASSES - absent.size} of {NUM_CLASSES} classes present; no images of {shown}"
        )


def _check_train(report: Report, train: list[FileSummary], partial: bool) -> None:
    numbers = {f.index for f in train}
    complete = all(i in numbers for i in range(1, TRAIN_BATCHES + 1))
    if not complete and not partial:
        missing = [train_batch_name(i, "pickle") for i in range(1, TRAIN_BATCHES + 1) if i not in numbers]
        report.problems.append(f"train: missing or unreadable: {', '.join(missing)}")
    with_mean = [f for f in train if f.mean is not None]
    for f in train:
        if f.mean is None:
            report.problems.append(f"{f.name}: no mean; every train file holds the mean of all train rows")
    for f in with_mean[1:]:
        if f.size == with_mean[0].size and not np.array_equal(f.mean, with_mean[0].mean):
            first = with_mean[0].name
            report.problems.append(f"{f.name}: its mean differs from {first}'s; all train files hold one mean")
    if not complete:
        full = [f.rows for f in train if f.index is not None and f.index < TRAIN_BATCHES]
        if len(set(full)) > 1:
            report.problems.append(f"train: batches 1..9 must have equal rows, got {sorted(set(full))}")
        return
    total = sum(f.rows for f in train)
    for f, expected in zip(sorted(train, key=lambda f: f.index or 0), batch_sizes(total)):
        if f.rows != expected:
            report.problems.append(
                f"{f.name}: {f.rows:,} rows; with {total:,} train images batch {f.index} has {expected:,} "
                f"(batches 1..9: N // 10 each, batch 10 the rest)"
            )
    if not partial:
        _check_classes(report, "train", train)
    if len({f.size for f in train}) == 1 and with_mean and all(f.sums is not None for f in train) and total:
        exact = sum((f.sums for f in train), np.zeros_like(train[0].sums)) / total  # type: ignore[arg-type]
        stored = with_mean[0].mean
        if not np.array_equal(exact, stored):
            differ = exact != stored
            worst = float(np.max(np.abs(exact - stored)))
            report.problems.append(
                f"train: the stored mean is not the mean of the {total:,} train images at {int(differ.sum())} "
                f"of {differ.size} values (largest difference {worst:.3g}); it must be sum / N exactly"
            )


def verify(
    paths: PathArg | Sequence[PathArg], *, size: int | None = None, partial: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Check every rule of the format; the report lists each violation.

    Per file: a safe, complete read; keys ``data``, ``labels`` (and ``mean``); uint8 data
    of 3*S*S columns; labels a list of int in 1..1000 matching the rows; mean float64 of
    3*S*S values. Across files: one image size; train batches 1..10 present, of
    ``batch_sizes(N)`` rows; one mean in every train file, equal to the exact mean of all
    train pixels; no mean in val; all 1000 classes in train and in val. ``partial``
    accepts a subset (missing batches or classes; the mean is then not recomputed).
    """
    report = _scan(paths, size=size, strict=True, sums=True, checksums=False, progress=progress)
    _check_sizes(report)
    train = [f for f in report.files if f.split == "train"]
    val = [f for f in report.files if f.split == "val"]
    if train:
        _check_train(report, train, partial)
    for f in val:
        if f.mean is not None:
            report.problems.append(f"{f.name}: has a mean; val files have none")
    if val and not partial:
        _check_classes(report, "val", val)
    return report


def info(
    paths: PathArg | Sequence[PathArg], *, size: int | None = None, checksums: bool = True,
    progress: Progress | None = None,
) -> Report:
    """Read every file and summarise it (see :func:`describe`); unreadable files are
    listed as problems rather than raised."""
    return _scan(paths, size=size, strict=False, sums=False, checksums=checksums, progress=progress)


def _class(kit: Devkit | None, label: int, order: str) -> str:
    if kit is None or label > kit.num_classes:
        return str(label)
    index = int(kit.relabel(order, "devkit")[label]) - 1
    return f"{label} ({kit.wnids[index]} {kit.names[index]})"


def _split_lines(split: str, files: list[FileSummary], kit: Devkit | None) -> list[str]:
    rows = sum(f.rows for f in files)
    formats = "/".join(sorted({f.fmt for f in files}))
    lines = [f"{split}: {len(files)} file{'s' * (len(files) != 1)} ({formats}), {rows:,} images"]
    if not rows:
        return lines
    labels = np.concatenate([f.labels for f in files])
    counts = np.bincount(labels, minlength=NUM_CLASSES + 1)[1:]
    present = counts[counts > 0]
    manifests = sorted({str(f.recorded.manifest) for f in files if f.recorded is not None})
    orders = {f.label_order for f in files}
    order = "sorted" if orders == {"sorted"} else "devkit"
    what = {"devkit": "1-based devkit IDs, map_clsloc.txt order", "sorted": f"1-based {ORDER_NAMES['sorted']} IDs"}
    if len(orders) > 1:
        lines.append(f"  labels {labels.min()}..{labels.max()}: MIXED: devkit IDs in some files, sorted-WNID IDs "
                     f"in others ({', '.join(manifests)})")
    elif manifests:
        lines.append(f"  labels {labels.min()}..{labels.max()}: {what[order]} (as {', '.join(manifests)} records)")
    else:
        lines.append(f"  labels {labels.min()}..{labels.max()}: {what[order]} (the format's; files do not record "
                     "it)")
    fewest, most = int(np.argmin(np.where(counts > 0, counts, rows + 1))) + 1, int(np.argmax(counts)) + 1
    lines.append(
        f"  {present.size} of {NUM_CLASSES} classes present; images per class: min {present.min():,}, "
        f"median {_number(np.median(present))}, mean {present.mean():,.1f}, max {present.max():,}"
    )
    if kit is not None and len(orders) == 1:
        lines.append(f"  fewest images: {counts[fewest - 1]:,} (class {_class(kit, fewest, order)}); "
                     f"most: {counts[most - 1]:,} (class {_class(kit, most, order)})")
        if split == "val" and len(kit.val_labels) == rows:
            lines.append("  " + _val_order(labels, kit, order))
    means = [f.mean for f in files if f.mean is not None]
    if means:
        channels = means[0].reshape(3, -1).mean(axis=1)
        lines.append("  mean image, channel means: " + ", ".join(f"{c} {v:.2f}" for c, v in zip("RGB", channels)))
    return lines


def _val_order(labels: np.ndarray, kit: Devkit, order: str) -> str:
    """Whether val rows follow the devkit's ground truth, and in which label order (the
    files' own, ``order``, or the other)."""
    truth = np.array([kit.val_labels.get(i, 0) for i in range(1, len(labels) + 1)])
    if np.array_equal(labels, kit.relabel("devkit", order)[truth]):
        return f"val rows match the devkit's ground truth row by row, in {ORDER_NAMES[order]} order"
    if order == "devkit" and np.array_equal(labels, kit.to_sorted(truth)):
        return "val rows match the ground truth in SORTED-WNID order, not the format's devkit order"
    if order == "sorted" and np.array_equal(labels, truth):
        return ("val rows match the ground truth in DEVKIT order, not the sorted-WNID order their build's manifest "
                "records")
    return "val labels do not follow the ground truth row by row (rows in another order, or other labels)"


def _bytes(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def describe(report: Report, devkit: Devkit | None = None) -> str:
    """The text of ``imagenet32 info``: size, counts, labels, class balance, channel
    means per split, then each file with its checksum, then any problems."""
    lines = []
    sizes = sorted({f.size for f in report.files})
    if sizes:
        lines.append(", ".join(f"Imagenet{s} ({s}x{s} images)" for s in sizes))
    for split in ("train", "val", None):
        files = [f for f in report.files if f.split == split]
        if files:
            lines += _split_lines(split or "files outside the format's names", files, devkit)
    if report.files:
        shown = [f.name for f in report.files]
        try:
            root = os.path.commonpath(shown) if len(shown) > 1 else ""
        except ValueError:  # relative and absolute names mixed (or names on two drives)
            root = ""
        if root:
            shown = [os.path.relpath(name, root) for name in shown]
        lines.append(f"files (in {root}):" if root else "files:")
        width = max(map(len, shown))
        for name, f in zip(shown, report.files):
            digest = f"  sha256 {f.sha256}" if f.sha256 else ""
            lines.append(f"  {name:<{width}}  {f.fmt:<6}  {f.rows:>9,} images  {_bytes(f.nbytes):>9}{digest}")
    lines += [f"problem: {p}" for p in report.problems]
    return "\n".join(lines)


def _print_progress(number: int, total: int, line: str) -> None:
    print(f"[{number}/{total}] {line}", file=sys.stderr, flush=True)


def _run_info(args: argparse.Namespace) -> int:
    try:
        kit = as_devkit(args.devkit)
    except (DevkitError, ValueError) as error:
        print(f"imagenet32 info: error: {error}", file=sys.stderr)
        return 2
    report = info(args.path, size=args.size, checksums=not args.no_checksums,
                  progress=None if args.quiet else _print_progress)
    print(describe(report, kit))
    return 0 if report.ok else 1


def _run_verify(args: argparse.Namespace) -> int:
    started = time.monotonic()
    report = verify(args.path, size=args.size, partial=args.partial, progress=None if args.quiet else _print_progress)
    for problem in report.problems:
        print(f"FAIL {problem}")
    rows = sum(f.rows for f in report.files)
    seconds = time.monotonic() - started
    if report.ok:
        print(f"OK: {len(report.files)} files, {rows:,} images: every rule of the format holds ({seconds:.1f} s)")
        return 0
    print(f"{len(report.problems)} problem{'s' * (len(report.problems) != 1)} in {len(report.files)} readable files")
    return 1


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, 1 or more, got {text!r}")
    return value


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("path", nargs="+", metavar="PATH",
                       help="a dataset folder, a zip of its files, or single files (pickle or .npz)")
        p.add_argument("--size", type=_positive, metavar="S",
                       help="only folders and zips named for this size (Imagenet32_train ...) when PATH holds several")
        p.add_argument("--quiet", action="store_true", help="no per-file progress on stderr")

    p = commands.add_parser(
        "info",
        help="what a dataset holds: counts, size, labels, class balance, mean, checksums",
        description=(
            "Summarise Downsampled ImageNet files: image size, images per split, label range and order, "
            "images per class, the train mean's channel means, and each file's format, rows and sha256. "
            "Pickles are read safely: nothing in them can run."
        ),
        epilog="example: imagenet32 info Imagenet32_train.zip Imagenet32_val.zip --devkit map_clsloc.txt",
    )
    common(p)
    p.add_argument("--devkit", metavar="PATH", action="append",
                   help="map_clsloc.txt / devkit folder (repeatable): names the classes, checks the val order")
    p.add_argument("--no-checksums", action="store_true", help="skip the sha256 of each file (a second read)")
    p.set_defaults(run=_run_info)

    p = commands.add_parser(
        "verify",
        help="check every rule of the format; exit status 1 on any violation",
        description=(
            "Check Downsampled ImageNet files against the format: keys, dtypes, shapes, 3*S*S columns, labels "
            "in 1..1000, all 1000 classes, train batches 1..10 of N//10 rows (the 10th the rest), one mean in "
            "every train file equal to the exact mean of all train pixels, no mean in val. Each violation is "
            "printed; the exit status is 1 if there is any."
        ),
        epilog="example: imagenet32 verify ~/data/Imagenet32_train ~/data/Imagenet32_val",
    )
    common(p)
    p.add_argument("--partial", action="store_true",
                   help="a subset: do not require all 10 train batches or all 1000 classes")
    p.set_defaults(run=_run_verify)
