"""Build Imagenet8/16/32/64 from an ImageNet folder: one decode, every size.

The job, in the order it runs:

1. Scan: train class folders (WNIDs) and validation files are listed and
   labelled from the devkit; anything inconsistent is an error before any
   work starts. Train files are shuffled with a seeded generator; validation
   files stay in file-name order.
2. Decode and resize (parallel, resumable): every file is decoded once, as
   ``Image.open(p).convert("RGB")`` would, resized to every size with
   imagenet32's Pillow-exact resize (BOX, or each filter asked for), packed
   into channel planes and written at its row of a staging file per filter
   and size on disk. A checkpoint (every CHECKPOINT_SECONDS, and when the
   build is stopped by an exception or Ctrl-C) records which rows are done,
   their bytes synced first, so a killed build resumes with ``--resume`` and
   redoes only the rows since. Unreadable files are skipped and listed with
   the reason.
3. Write: for each filter and size, the exact published files (10 train
   batches with the train mean, one val file), each written to a temporary name
   and renamed, then ``manifest.json`` (counts, options, sha256 of every file)
   and ``skipped.csv``. With several filters each gets a folder of its own.

The bytes of the outputs depend only on the inputs and the options, never on
the number of workers or on interruptions.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import __version__, formats
from .decode import DecodeError, Scratch, decode_rgb
from .devkit import LABEL_ORDERS, Devkit, DevkitError, is_wnid, load_devkit, val_number
from .manifest import MANIFEST
from .pillow_rules import Release, release
from .planes import _pack_planes, add_rows
from .resize import FILTERS, available_cpus, resize_many

try:  # advisory file locks (POSIX); elsewhere builds into one --out are not guarded
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["BuildError", "BuildReport", "build"]

DEFAULT_SIZES = (8, 16, 32, 64)
WORK_DIR = ".imagenet32-build"
PREPARING = WORK_DIR + ".new"  # the work folder until it is complete
RETIRED = WORK_DIR + ".old"  # a finished build's work folder, being removed
LOCK = WORK_DIR + ".lock"  # held while a build runs
CHUNK = 64  # rows per task; a task's rows are consecutive in the staging files
# How often row status is saved; a resumed build redoes at most this much work.
CHECKPOINT_SECONDS = float(os.environ.get("IMAGENET32_CHECKPOINT_SECONDS", "5"))


class BuildError(ValueError):
    """A build that cannot start (bad paths, metadata, options) or resume."""


@dataclass
class BuildReport:
    """What a build produced."""

    out: str
    sizes: list[int]
    filters: list[str]
    counts: dict[str, int]
    skipped: dict[str, int]
    seconds: float
    images_per_second: float
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"imagenet32 build -> {self.out}"]
        for split in ("train", "val"):
            if split in self.counts:
                lines.append(f"  {split}: {self.counts[split]} images, {self.skipped.get(split, 0)} skipped")
            else:
                lines.append(f"  {split}: not built (no --{split} given)")
        lines.append(f"  filters {', '.join(self.filters)}; sizes {', '.join(map(str, self.sizes))}: "
                     f"{len(self.files)} files")
        lines.append(f"  {self.seconds:.1f} s, {self.images_per_second:.0f} images/s")
        return "\n".join(lines)


# ---------------------------------------------------------------- scanning


def _visible(folder: Path) -> tuple[list[str], list[str]]:
    """The names of the folders and of everything else in ``folder`` (files, links, however
    broken: those fail to read and are listed as skipped), sorted; hidden names left out."""
    try:
        entries = sorted((e for e in os.scandir(folder) if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as error:
        raise BuildError(f"{folder}: cannot list ({error.strerror or error})") from None
    is_folder = [_is_folder(e) for e in entries]
    return ([e.name for e, folder in zip(entries, is_folder) if folder],
            [e.name for e, folder in zip(entries, is_folder) if not folder])


def _is_folder(entry: os.DirEntry) -> bool:
    """A folder, or a link to one; a link that cannot be followed (a loop) is not."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def scan_train(root: Path, devkit: Devkit) -> tuple[list[str], np.ndarray]:
    """Relative paths of the train files (class folders in sorted-WNID order, whatever class
    map named them, names sorted) and their devkit IDs."""
    if not root.is_dir():
        raise BuildError(f"--train {root}: not a folder")
    names, files = _visible(root)
    if files:
        raise BuildError(f"--train {root}: '{files[0]}' is a file; train holds class folders only")
    folders = set(names)
    strangers = sorted(f for f in folders if not is_wnid(f))
    if strangers:
        raise BuildError(f"--train {root}: '{strangers[0]}' is not a class folder (expected WNIDs such as n01440764)")
    unknown = sorted(folders - set(devkit.wnids))
    if unknown:
        raise BuildError(f"--train {root}: class folder {unknown[0]} is not in the devkit ({devkit.source})")
    missing = [w for w in devkit.wnids if w not in folders]
    if missing:
        raise BuildError(
            f"--train {root}: {len(missing)} of the devkit's {devkit.num_classes} classes have no folder, "
            f"first {missing[0]}"
        )
    paths: list[str] = []
    labels: list[int] = []
    for wnid in sorted(devkit.wnids):
        ident = devkit.devkit_id(wnid)
        inside, names = _visible(root / wnid)
        if inside:
            raise BuildError(f"--train {root}: {wnid}/{inside[0]} is a folder; class folders hold image files only")
        paths.extend(f"{wnid}/{n}" for n in names)
        labels.extend([ident] * len(names))
    return paths, np.array(labels, dtype=np.int32)


def scan_val(root: Path, devkit: Devkit) -> tuple[list[str], np.ndarray]:
    """Relative paths of the validation files in file-name order and their
    devkit IDs: from WNID folders when the files are sorted into them, else
    from the devkit's ground truth."""
    if not root.is_dir():
        raise BuildError(f"--val {root}: not a folder")
    folders, names = _visible(root)
    entries: list[tuple[str, str, int]] = []  # (file name, relative path, label)
    if folders:
        if names:
            raise BuildError(f"--val {root}: '{names[0]}' lies beside class folders (val is either flat or "
                             "sorted into class folders)")
        for folder in folders:
            if not is_wnid(folder):
                raise BuildError(f"--val {root}: '{folder}' is neither a class folder nor a validation file")
            try:
                ident = devkit.devkit_id(folder)
            except DevkitError as error:
                raise BuildError(f"--val {root}: {error}") from None
            inside, names_inside = _visible(root / folder)
            if inside:
                raise BuildError(f"--val {root}: {folder}/{inside[0]} is a folder; class folders hold image files only")
            entries.extend((n, f"{folder}/{n}", ident) for n in names_inside)
        for name, path, _ in entries:
            if val_number(name) is None:
                raise BuildError(f"--val {root}: {path} is not an ILSVRC2012_val_XXXXXXXX file")
    else:
        if names and not devkit.val_labels:
            raise BuildError(
                f"--val {root} is flat, but the devkit ({devkit.source}) has no validation ground truth"
            )
        for name in names:
            if val_number(name) is None:
                raise BuildError(f"--val {root}: {name} is not an ILSVRC2012_val_XXXXXXXX file")
            try:
                entries.append((name, name, devkit.val_label(name)))
            except DevkitError as error:
                raise BuildError(f"--val {root}: {error}") from None
    entries.sort()
    for (name, path, _), (other, other_path, _) in zip(entries, entries[1:]):
        if val_number(name) == val_number(other):  # sorted by name: one image's files lie side by side
            raise BuildError(f"--val {root}: {path} and {other_path} are both validation image {val_number(name)}")
    return [e[1] for e in entries], np.array([e[2] for e in entries], dtype=np.int32)


# ---------------------------------------------------------------- the work directory


@dataclass(frozen=True)
class Output:
    """One dataset of a build: a filter and a size."""

    filter: str
    size: int

    @property
    def row_bytes(self) -> int:
        return 3 * self.size * self.size


def _outputs(filters: Sequence[str], sizes: Sequence[int]) -> list[Output]:
    return [Output(f, s) for f in filters for s in sizes]


@dataclass
class Split:
    """One split's inputs and staging state, all kept under the work directory."""

    name: str
    root: Path
    work: Path
    count: int

    @property
    def paths_file(self) -> Path:
        return self.work / f"{self.name}.paths"

    @property
    def status_file(self) -> Path:
        return self.work / f"{self.name}.status.npy"

    def stage_file(self, output: Output) -> Path:
        return self.work / f"{self.name}.{output.filter}.stage{output.size}.u8"

    def order(self) -> np.ndarray:
        """Staging row -> index into the path list."""
        return np.load(self.work / f"{self.name}.order.npy", mmap_mode="r")

    def labels(self) -> np.ndarray:
        """Labels in path-list order."""
        return np.load(self.work / f"{self.name}.labels.npy")

    def path(self, index: int, offsets: np.ndarray, blob: bytes) -> str:
        """The file of path-list entry ``index`` (a str: the build opens a million of them)."""
        name = blob[offsets[index] : offsets[index + 1] - 1].decode("utf-8", "surrogateescape")
        return f"{self.root}{os.sep}{name}"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _save_npy(path: Path, array: np.ndarray) -> None:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    _atomic_write(path, buffer.getvalue())


def _prepare_split(name: str, root: Path, work: Path, paths: list[str], labels: np.ndarray,
                   outputs: Sequence[Output], seed: int | None) -> None:
    _atomic_write(work / f"{name}.paths", _path_list(paths))
    _save_npy(work / f"{name}.labels.npy", labels)
    order = np.arange(len(paths), dtype=np.int64)
    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(paths))
    _save_npy(work / f"{name}.order.npy", order)
    split = Split(name, root, work, len(paths))
    for output in outputs:
        with open(split.stage_file(output), "wb") as f:
            f.truncate(len(paths) * output.row_bytes)
    _save_npy(split.status_file, np.zeros(len(paths), dtype=np.uint8))


def _path_list(paths: list[str]) -> bytes:
    """Relative paths as stored in the work folder: each ended by NUL, the one byte no file name holds."""
    return "".join(p + "\0" for p in paths).encode("utf-8", "surrogateescape")


def _digest(paths_blob: bytes, labels: np.ndarray) -> str:
    return hashlib.sha256(paths_blob + labels.tobytes()).hexdigest()


# ---------------------------------------------------------------- decoding and resizing (workers)

PENDING, DONE, SKIPPED = 0, 1, 2


@dataclass(frozen=True)
class _Job:
    """What every worker needs, sent once."""

    splits: dict[str, Split]
    filters: tuple[str, ...]
    sizes: tuple[int, ...]
    pillow: str

    @property
    def outputs(self) -> list[Output]:
        return _outputs(self.filters, self.sizes)


def _read_inputs(split: Split) -> tuple[np.ndarray, bytes, np.ndarray]:
    """The split's path list (its bytes and where each NUL-ended entry starts, for Split.path)
    and its order."""
    blob = split.paths_file.read_bytes()
    ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 0) + 1
    return np.concatenate(([0], ends)).astype(np.int64), blob, np.array(split.order())


class _Worker:
    """What a worker keeps from task to task of one job: the job, each split's path list and
    order (read once), and a buffer for decoded pixels. One per worker process, or one per
    build that runs its tasks itself (two such builds in one process must not share it)."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.inputs: dict[str, tuple[np.ndarray, bytes, np.ndarray]] = {}
        self.scratch = Scratch()

    def work(self, task: tuple[str, int, int]) -> tuple[str, int, int, list[tuple[int, str]]]:
        """Decode, resize and pack staging rows [start, end) of a split."""
        name, start, end = task
        job = self.job
        split = job.splits[name]
        rel = release(job.pillow)
        if name not in self.inputs:
            self.inputs[name] = _read_inputs(split)
        offsets, blob, order = self.inputs[name]
        outputs = job.outputs  # each filter's sizes in turn, as the loop below makes them
        buffers = [np.zeros((end - start, o.row_bytes), dtype=np.uint8) for o in outputs]
        skipped = []
        for i, index in enumerate(order[start:end].tolist()):
            try:
                rgb = decode_rgb(split.path(index, offsets, blob), rel, self.scratch).pixels
            except DecodeError as error:
                skipped.append((start + i, str(error)))
                continue
            resized = [out for f in job.filters for out in resize_many(rgb, job.sizes, filter=f, pillow=job.pillow)]
            for out, buffer in zip(resized, buffers):
                _pack_planes(out, buffer[i])
        for output, buffer in zip(outputs, buffers):
            fd = os.open(split.stage_file(output), os.O_WRONLY)
            try:
                view, at = memoryview(buffer).cast("B"), start * output.row_bytes
                while view:  # a regular file takes it all at once, but a short write must not lose rows
                    written = os.pwrite(fd, view, at)
                    view, at = view[written:], at + written
            finally:
                os.close(fd)
        return name, start, end, skipped


_pool_worker: _Worker | None = None  # a worker process's


def _pool_start(job: _Job) -> None:
    global _pool_worker
    _pool_worker = _Worker(job)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle: it stops the pool
    threading.Thread(target=_exit_with_build, daemon=True).start()


def _exit_with_build() -> None:
    """A worker's watch: it ends when its build's process has ended (killed with -9, say),
    instead of waiting for tasks for ever, holding its memory and the build's output streams.
    multiprocessing tells, whatever started the worker (fork, a fork server, spawn)."""
    build_process = multiprocessing.parent_process()
    if build_process is not None:
        build_process.join()
        os._exit(1)


def _pool_work(task: tuple[str, int, int]) -> tuple[str, int, int, list[tuple[int, str]]]:
    assert _pool_worker is not None
    return _pool_worker.work(task)


# ---------------------------------------------------------------- progress


class Progress:
    """A progress bar with rate and ETA on a terminal, plain log lines otherwise."""

    def __init__(self, total: int, done: int, enabled: bool, stream=None) -> None:
        self.total, self.done, self.start_done = total, done, done
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr  # looked up now: sys.stderr may have been replaced
        self.tty = self.stream.isatty()
        self.started = self.last = time.monotonic()

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self.last >= (0.2 if self.tty else 10.0) or self.done == self.total):
            self.last = now
            rate = (self.done - self.start_done) / max(now - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            eta_text = time.strftime("%H:%M:%S", time.gmtime(eta)) if eta != float("inf") else "--:--:--"
            text = (f"{100 * self.done / self.total:5.1f}% {self.done}/{self.total} images, "
                    f"{rate:.0f} images/s, ETA {eta_text}")
            if self.tty:
                width = 24
                filled = int(width * self.done / self.total)
                self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}")
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(text + "\n")
            self.stream.flush()


def _start_method() -> str:
    """How worker processes start. Forking copies only the thread that forks: with other threads
    running (two builds from threads, a notebook's), a lock one of them held then (an import's)
    stays held in the worker for ever. Then workers come from a fork server, a process of one
    thread (whose workers import the main module, as spawned ones do)."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    return "fork" if threading.active_count() == 1 else "forkserver"


def _run_tasks(job: _Job, tasks: list[tuple[str, int, int]], workers: int) -> Iterator[tuple]:
    if workers <= 1:
        worker = _Worker(job)
        for task in tasks:
            yield worker.work(task)
        return
    method = _start_method()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method), initializer=_pool_start,
                               initargs=(job,))
    try:
        for done in as_completed([pool.submit(_pool_work, task) for task in tasks]):
            yield done.result()
    except BrokenProcessPool:  # a pool of processes would wait for its lost task for ever
        imported = "" if method == "fork" else (
            f"; workers here are started by {method} and import the main module, so a script must keep its build "
            "under 'if __name__ == \"__main__\":'")
        raise BuildError("a worker process died (killed, or crashed on a file): the rows finished before it are "
                         f"kept, run the same build with --resume to go on{imported}") from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class _Checkpoint:
    """Row status per split, saved only after the rows' bytes are on disk."""

    def __init__(self, splits: dict[str, Split], status: dict[str, np.ndarray], outputs: Sequence[Output],
                 reasons: Path) -> None:
        self.splits, self.status, self.outputs = splits, status, outputs
        self.reasons = open(reasons, "a", encoding="utf-8")
        self.last = time.monotonic()

    def record(self, name: str, start: int, end: int, skipped: list[tuple[int, str]]) -> None:
        for row, reason in skipped:
            self.reasons.write(json.dumps({"split": name, "row": row, "reason": reason}) + "\n")
        rows = np.full(end - start, DONE, dtype=self.status[name].dtype)
        rows[[row - start for row, _ in skipped]] = SKIPPED
        self.status[name][start:end] = rows  # in one step: a Ctrl-C never leaves a skipped row DONE
        if time.monotonic() - self.last > CHECKPOINT_SECONDS:
            self.save()

    def save(self) -> None:
        for split in self.splits.values():
            for output in self.outputs:
                fd = os.open(split.stage_file(output), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        self.reasons.flush()
        os.fsync(self.reasons.fileno())
        for name, split in self.splits.items():
            _save_npy(split.status_file, self.status[name])
        self.last = time.monotonic()

    def close(self) -> None:
        self.reasons.close()


def _skipped_reasons(path: Path) -> dict[tuple[str, int], str]:
    """The recorded reasons; a line cut short by a kill is ignored (its rows are redone)."""
    reasons = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                reasons[(entry["split"], entry["row"])] = entry["reason"]
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    return reasons


# ---------------------------------------------------------------- writing the datasets


def _rows(split: Split, output: Output, rows: np.ndarray, block_bytes: int = 1 << 23) -> Iterator[np.ndarray]:
    """Staging rows (given in increasing order) in blocks of about ``block_bytes``, each
    valid until the next: they are read into one reused buffer (reading into fresh memory
    took three times as long, its page faults included)."""
    row_bytes = output.row_bytes
    per_block = max(1, block_bytes // row_bytes)
    buffer = np.empty(0, dtype=np.uint8)
    with open(split.stage_file(output), "rb", buffering=0) as f:
        for i in range(0, len(rows), per_block):
            part = rows[i : i + per_block]
            first, last = int(part[0]), int(part[-1])
            span = (last - first + 1) * row_bytes
            if buffer.size < span:
                buffer = np.empty(span, dtype=np.uint8)
            view = memoryview(buffer)[:span]
            f.seek(first * row_bytes)
            done = 0
            while done < span:
                got = f.readinto(view[done:])
                if not got:
                    raise BuildError(f"{split.stage_file(output)} ends before row {last}: the work folder was altered")
                done += got
            block = buffer[:span].reshape(-1, row_bytes)
            yield block if last - first + 1 == len(part) else block[part - first]


def _mean(split: Split, output: Output, rows: np.ndarray) -> np.ndarray:
    sums = np.zeros(output.row_bytes, dtype=np.uint64)
    for block in _rows(split, output, rows):
        add_rows(block, sums)
    return sums / len(rows) if len(rows) else sums.astype(np.float64)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


class _Committer:
    """Commits written files (sync, rename) one after the other in a thread of its own, so
    that the disk takes one file while the next is made, and logs each as finished. At most
    ``ahead`` files wait; leaving the block waits for them all, and raises a failed commit."""

    def __init__(self, log: Path, ahead: int = 2) -> None:
        self.log, self.ahead = log, ahead
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="imagenet32-commit")
        self.waiting: deque[Future] = deque()

    def submit(self, pending: formats.PendingFile, key: str) -> None:
        self.waiting.append(self.pool.submit(self._commit, pending, key))
        while len(self.waiting) > self.ahead:
            self.waiting.popleft().result()

    def _commit(self, pending: formats.PendingFile, key: str) -> None:
        pending.commit()
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(key + "\n")

    def __enter__(self) -> _Committer:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.pool.shutdown(wait=True)  # files written in full are committed even when the build stops
        if kind is None:
            for future in self.waiting:
                future.result()


def _write_outputs(out: Path, work: Path, splits: dict[str, Split], status: dict[str, np.ndarray],
                   outputs: Sequence[Output], fmt: str, label_map: np.ndarray | None) -> dict[Path, str]:
    """Write every dataset file not written yet; returns each file's sha256."""
    # A log of the output files already complete, so that a resumed build does not
    # write them again. Not made durable: after a crash a missing or cut line only
    # means rewriting a file, and files are whole either way.
    log = work / "finished.log"
    finished: dict[str, str] = {}  # file -> the row set it was last written from (a later line wins)
    for line in log.read_text(encoding="utf-8").splitlines() if log.exists() else []:
        written, _, rows = line.rpartition(" ")
        finished[written] = rows
    # Each line also names the rows the file was made from: a resumed build may redo rows
    # (those after its last checkpoint) and, if a file read differently this time, get
    # another row set, when every file must be written again from it.
    row_set = hashlib.sha256(b"".join(status[name].tobytes() for name in sorted(status))).hexdigest()[:16]
    several_filters = len({o.filter for o in outputs}) > 1
    digests = {}
    with _Committer(log) as committer:
        for output in outputs:
            for name, split in splits.items():
                ok = np.flatnonzero(status[name] == DONE)
                labels = split.labels()[np.asarray(split.order())[ok]]
                if label_map is not None:
                    labels = label_map[labels]
                folder = (out / output.filter if several_filters else out) / f"Imagenet{output.size}_{name}"
                folder.mkdir(parents=True, exist_ok=True)
                if name == "train":
                    mean = _mean(split, output, ok)
                    bounds = np.cumsum([0] + formats.batch_sizes(len(ok)))
                    batches = [(folder / formats.train_batch_name(i + 1, fmt), bounds[i], bounds[i + 1])
                               for i in range(formats.TRAIN_BATCHES)]
                else:
                    mean = None
                    batches = [(folder / formats.val_name(fmt), 0, len(ok))]
                for path, lo, hi in batches:
                    formats.remove_partial_writes(path)  # a write killed in an earlier run
                    if finished.get(path.relative_to(out).as_posix()) == row_set and path.exists():
                        digests[path] = _sha256(path)
                        continue
                    rows = ok[lo:hi]
                    data = formats.RowBlocks((len(rows), output.row_bytes), lambda: _rows(split, output, rows))
                    pending = formats.write_pending(path, data, labels[lo:hi], mean, fmt)
                    try:
                        digests[path] = _sha256(pending.temporary)  # read back while in the page cache
                    except BaseException:
                        pending.discard()
                        raise
                    committer.submit(pending, f"{path.relative_to(out).as_posix()} {row_set}")
    return digests


# ---------------------------------------------------------------- the build


@dataclass(frozen=True)
class _Options:
    train: str
    val: str
    devkit: list[str]
    sizes: list[int]
    filters: list[str]
    format: str
    pillow: str
    labels: str
    seed: int


def _filters(filter: str | Sequence[str], rel: Release) -> list[str]:
    """The filters asked for, in FILTERS order: a name, several, or "all" (those the release had)."""
    names = [filter] if isinstance(filter, str) else list(filter)
    if names == ["all"]:
        return [f for f in FILTERS if rel.has_mks or not f.startswith("mks")]
    if "all" in names:
        raise BuildError(f"filters {names}: 'all' stands for every filter; give it alone")
    unknown = [n for n in names if n not in FILTERS]
    if unknown or not names:
        raise BuildError(f"unknown filter {unknown[0] if unknown else None!r}: use 'all' or some of "
                         f"{', '.join(FILTERS)}")
    if len(set(names)) != len(names):
        raise BuildError(f"filters repeat: {names}")
    if not rel.has_mks and any(n.startswith("mks") for n in names):
        raise BuildError(f"Pillow {rel} had no MKS filters (they appeared in 13.0); use --pillow 13.0")
    return [f for f in FILTERS if f in names]


def _check_space(out: Path, images: int, outputs: Sequence[Output]) -> None:
    """A build that cannot fit is an error before any work, not a full disk hours later:
    the datasets, and staging files as large while it runs."""
    datasets = images * sum(o.row_bytes for o in outputs)
    where = out
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    if 2 * datasets > free:
        raise BuildError(f"--out {out}: the build needs {_amount(2 * datasets)} ({_amount(datasets)} of datasets, "
                         f"as much again in staging files while it runs), and {_amount(free)} are free there")


def _amount(size: int) -> str:
    """Bytes in the unit that shows them (a small build needed '0.0 GB' where '0.0 GB' were free)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _whole(value: object) -> int | None:
    """An int (or numpy integer) as int; None for anything else, bool included."""
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) else None


def _check_options(sizes: object, fmt: str, labels: str, seed: object, workers: object) -> list[int]:
    """The options checked; returns the sizes, as sorted ints."""
    largest = formats.MAX_IMAGE_SIZE
    if isinstance(sizes, (np.ndarray, set, frozenset)):
        sizes = sizes.tolist() if isinstance(sizes, np.ndarray) else list(sizes)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise BuildError(f"sizes must be a list of sizes, such as [8, 16, 32, 64], not {sizes!r}")
    whole = [_whole(s) for s in sizes]
    if not whole or any(s is None or s < 1 or s > largest for s in whole):
        raise BuildError(f"sizes must be ints from 1 to {largest}, got {list(sizes)}")
    if len(set(whole)) != len(whole):
        raise BuildError(f"sizes repeat: {list(sizes)}")
    if fmt not in ("pickle", "npz"):
        raise BuildError(f"format must be 'pickle' or 'npz', not {fmt!r}")
    if labels not in LABEL_ORDERS:
        raise BuildError(f"labels must be 'devkit' or 'sorted', not {labels!r}")
    if _whole(seed) is None or seed < 0:  # type: ignore[operator]
        raise BuildError(f"seed must be an int >= 0, got {seed!r}")
    if workers is not None and (_whole(workers) is None or workers < 1):  # type: ignore[operator]
        raise BuildError(f"workers must be a positive int, got {workers!r}")
    return sorted(whole)  # type: ignore[arg-type]


def _check_out(out: Path, inputs: dict[str, str | Path | None]) -> None:
    """--out may not lie inside an input folder: its files would become inputs of a resumed build."""
    where = out.resolve()
    for option, folder in inputs.items():
        if folder is not None and where.is_relative_to(Path(folder).resolve()):
            raise BuildError(f"--out {out} is inside {option} {folder}; choose a folder outside it")


def _check_state(out: Path, resume: bool, locked: bool = False) -> str:
    """What ``out`` holds: "finished" (a build), "unfinished" (one to resume) or "new" (nothing yet:
    new, empty, or a build stopped before any work, which --resume begins too); an error where
    that does not fit the options. ``locked``: this build holds the lock on ``out`` (no other build
    can be running there)."""
    work = out / WORK_DIR
    if (out / MANIFEST).exists():
        if not resume:
            raise BuildError(f"{out} already holds a finished build; choose another --out or remove it")
        return "finished"
    if work.exists():
        if not resume:
            if not locked and _running(out):
                raise BuildError(f"{out}: another build is running there")
            raise BuildError(f"{out} holds an unfinished build: continue it with --resume, or remove {work}")
        return "unfinished"
    # New, empty or stopped before any work (while scanning the inputs or preparing): --resume
    # begins the build, as a build stopped at any moment continues with --resume.
    try:
        # Not counted: a build's own names, and what systems leave in a folder (hidden files, such
        # as macOS's .DS_Store, and a file system's lost+found): a build writes none of them.
        others = sorted(name for name in os.listdir(out) if not name.startswith(".") and name != "lost+found")
    except FileNotFoundError:
        others = []
    except OSError as error:
        raise BuildError(f"--out {out}: cannot read ({error.strerror or error})") from None
    if others:
        raise BuildError(f"--out {out} is not empty (it holds {others[0]!r}{' and more' * (len(others) > 1)}): "
                         "a build writes into a new or empty folder")
    return "new"


# Lock files this process holds open. A forked worker closes its copies at once: flock's
# lock belongs to the open file, so a worker outliving its build would keep OUT locked.
_held_locks: set[int] = set()


def _release_locks_in_child() -> None:
    for handle in _held_locks:
        os.close(handle)
    _held_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_release_locks_in_child)


def _running(out: Path) -> bool:
    """Whether a build holds the lock on ``out`` now (see _exclusive)."""
    if fcntl is None:
        return False
    try:
        handle = os.open(out / LOCK, os.O_RDONLY)
    except OSError:  # no lock file: no build runs
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # refused only while a build holds it
        return False
    except OSError:
        return True
    finally:
        os.close(handle)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One build at a time in ``out``: a second is refused, not let to remove the first's work
    folder (an advisory file lock, where the system has one; the file goes when a build ends)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    lock = out / LOCK
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise BuildError(f"--out {out}: cannot create ({error.strerror or error})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BuildError(f"{out}: another build is running there") from None
        _held_locks.add(handle)
        yield
        lock.unlink(missing_ok=True)
    finally:
        _held_locks.discard(handle)
        os.close(handle)


def _recorded_plan(path: Path, key: str | None = None) -> object:
    """The plan a build recorded (plan.json, or the manifest's ``plan``); None if unreadable."""
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return recorded.get(key) if key and isinstance(recorded, dict) else recorded


def _make_work(out: Path, scanned: dict, plan: dict, outputs: Sequence[Output], seed: int) -> None:
    """A new build's work folder, prepared under another name so that it exists only complete."""
    preparing = out / PREPARING
    try:
        shutil.rmtree(preparing, ignore_errors=True)  # a build stopped while preparing: no work done
        preparing.mkdir(parents=True)
    except OSError as error:
        raise BuildError(f"--out {out}: cannot create {PREPARING} ({error.strerror or error})") from None
    for name, (root, paths, labels) in scanned.items():
        _prepare_split(name, root, preparing, paths, labels, outputs, seed if name == "train" else None)
    _atomic_write(preparing / "plan.json", json.dumps(plan).encode())
    os.replace(preparing, out / WORK_DIR)


def _remove_work(out: Path) -> None:
    """Remove a finished build's work folder, first renamed, so that a stop part way leaves no
    half-removed work folder for --resume to find."""
    retired = out / RETIRED
    shutil.rmtree(retired, ignore_errors=True)  # one an earlier build left
    if (out / WORK_DIR).exists():
        os.replace(out / WORK_DIR, retired)
    shutil.rmtree(retired, ignore_errors=True)


def build(
    train: str | Path | None,
    val: str | Path | None,
    devkit: str | Path | Sequence[str | Path],
    out: str | Path,
    *,
    sizes: Sequence[int] = DEFAULT_SIZES,
    filter: str | Sequence[str] = "box",
    format: str = "pickle",
    pillow: str = "4.1",
    labels: str = "devkit",
    seed: int = 0,
    workers: int | None = None,
    resume: bool = False,
    progress: bool = True,
) -> BuildReport:
    """Build the Downsampled ImageNet datasets; see the module docstring and the README."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise BuildError("build() was called while a worker process imported the main module (workers not forked "
                         "import it): keep the build under 'if __name__ == \"__main__\":'")
    started = time.monotonic()
    sizes = _check_options(sizes, format, labels, seed, workers)
    seed, workers = int(seed), None if workers is None else int(workers)
    rel: Release = release(pillow)
    filters = _filters(filter, rel)
    outputs = _outputs(filters, sizes)
    if train is None and val is None:
        raise BuildError("nothing to build: give --train, --val or both")
    if devkit is None or out is None:
        raise BuildError(f"{'--devkit' if devkit is None else '--out'} is required")
    train, val, out = (None if p is None else Path(os.fsdecode(p)) for p in (train, val, out))  # bytes paths too
    devkit_paths = [Path(os.fsdecode(p)) for p in
                    ([devkit] if isinstance(devkit, (str, bytes, os.PathLike)) else devkit)]
    try:
        kit = load_devkit(*devkit_paths)
    except DevkitError as error:
        raise BuildError(f"--devkit: {error}") from None
    if labels == "devkit" and not kit.has_devkit_ids:
        raise BuildError("--devkit gives only sorted-WNID order (LOC_synset_mapping.txt); use --labels sorted "
                         "or add map_clsloc.txt or meta.mat")
    if kit.num_classes > formats.NUM_CLASSES:
        raise BuildError(f"--devkit: {kit.num_classes} classes in {kit.source}; the datasets' labels are "
                         f"1..{formats.NUM_CLASSES}")
    work = out / WORK_DIR
    _check_out(out, {"--train": train, "--val": val})
    options = _Options(str(train.resolve()) if train else "", str(val.resolve()) if val else "",
                       [str(p.resolve()) for p in devkit_paths], list(sizes), filters, format, str(rel), labels,
                       seed)
    state = _check_state(out, resume)

    scanned = {}
    if train is not None:
        scanned["train"] = (train, *scan_train(train, kit))
    if val is not None:
        scanned["val"] = (val, *scan_val(val, kit))
    plan = {"tool": __version__, "options": asdict(options),
            "inputs": {name: _digest(_path_list(paths), lab) for name, (_, paths, lab) in scanned.items()}}
    if state == "new":
        _check_space(out, sum(len(paths) for _, paths, _ in scanned.values()), outputs)
    with _exclusive(out):
        state = _check_state(out, resume, locked=True)  # again: another build may have started or ended meanwhile
        if state != "new" and plan != (_recorded_plan(out / MANIFEST, "plan") if state == "finished"
                                       else _recorded_plan(work / "plan.json")):
            raise BuildError(f"--resume: the inputs or options differ from the build in {out} (same --train/"
                             "--val/--devkit/--sizes/--filter/--format/--pillow/--labels/--seed needed)")
        if state == "finished":
            _remove_work(out)  # left if the build was stopped while removing it
            manifest = json.loads((out / MANIFEST).read_text())
            return BuildReport(str(out), list(sizes), filters, manifest["counts"], manifest["skipped_counts"], 0.0,
                               0.0, [str(out / f) for f in manifest["files"]])
        if state == "new":
            _make_work(out, scanned, plan, outputs, seed)
        splits = {name: Split(name, root, work, len(paths)) for name, (root, paths, _) in scanned.items()}

        status = {name: np.load(s.status_file) for name, s in splits.items()}
        tasks = [(name, start, min(start + CHUNK, split.count))
                 for name, split in splits.items()
                 for start in range(0, split.count, CHUNK)
                 if (status[name][start : start + CHUNK] == PENDING).any()]
        total = sum(s.count for s in splits.values())
        bar = Progress(total, total - sum(end - start for _, start, end in tasks), progress)
        job = _Job(splits, tuple(filters), tuple(sizes), str(rel))
        checkpoint = _Checkpoint(splits, status, outputs, work / "skipped.jsonl")
        try:
            for name, start, end, skipped in _run_tasks(job, tasks, workers or available_cpus()):
                checkpoint.record(name, start, end, skipped)
                bar.advance(end - start)
        except BaseException:
            checkpoint.save()  # stopped part way (Ctrl-C, an error): --resume keeps every row done
            raise
        finally:
            checkpoint.close()
        # All rows done: no checkpoint now. Syncing the staging files once more would only
        # spare a build killed while writing its outputs the rows of its last CHECKPOINT_SECONDS
        # (the outputs are synced as they are written; a resumed build checks their row set).

        label_map = kit.sorted_ids() if labels == "sorted" else None
        digests = _write_outputs(out, work, splits, checkpoint.status, outputs, format, label_map)
        files = list(digests)
        reasons = _skipped_reasons(work / "skipped.jsonl")
        skipped_rows = []
        for name, split in splits.items():
            offsets, blob, order = _read_inputs(split)
            for row in np.flatnonzero(checkpoint.status[name] == SKIPPED):
                path = split.path(int(order[row]), offsets, blob)
                skipped_rows.append((name, path, reasons.get((name, int(row)), "unknown")))
        # Paths as the system gave them: a name that is not UTF-8 keeps its bytes.
        with open(out / "skipped.csv.tmp", "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            writer = csv.writer(f)
            writer.writerow(["split", "path", "reason"])
            writer.writerows(skipped_rows)
        os.replace(out / "skipped.csv.tmp", out / "skipped.csv")

        counts = {name: int((checkpoint.status[name] == DONE).sum()) for name in splits}
        skipped_counts = {name: int((checkpoint.status[name] == SKIPPED).sum()) for name in splits}
        manifest = {
            "tool": f"imagenet32 {__version__}",
            "sizes": list(sizes),
            "counts": counts,
            "skipped_counts": skipped_counts,
            "format": format,
            "label_order": "devkit IDs (1-based, map_clsloc/meta.mat order)" if labels == "devkit"
            else "sorted WNIDs (1-based)",
            "labels": labels,
            "pillow": str(rel),
            "pillow_behaviour": rel.behaviour,
            "filters": filters,
            "resample": ", ".join(f.upper() for f in filters),
            "seed": seed,
            "train_order": "class folders in sorted-WNID order, file names sorted, shuffled with "
                           "numpy.random.default_rng(seed).permutation",
            "val_order": "file-name order",
            "files": [p.relative_to(out).as_posix() for p in files],  # "/" on every system, as the readers look
            "sha256": {p.relative_to(out).as_posix(): digest for p, digest in digests.items()},
            "plan": plan,  # the options and a digest of the inputs, which --resume compares
        }
        _atomic_write(out / MANIFEST, json.dumps(manifest, indent=2).encode())
        _remove_work(out)
        seconds = time.monotonic() - started
        return BuildReport(str(out), list(sizes), filters, counts, skipped_counts, seconds,
                           total / seconds if seconds else 0.0, [str(p) for p in files])


# ---------------------------------------------------------------- command line


def add_commands(commands) -> None:
    p = commands.add_parser(
        "build",
        help="build Imagenet8/16/32/64 from an ImageNet folder",
        description=(
            "Build the Downsampled ImageNet datasets from an ImageNet copy: every image decoded once, resized "
            "to every size with Pillow's exact BOX filter (or any other, or all of them; by default as Pillow "
            "4.1, which made the published files), written in the published layout. Resumable: rerun with "
            "--resume after an interruption."
        ),
    )
    p.add_argument("--train", metavar="DIR", help="train folder: one folder per class, named by WNID")
    p.add_argument("--val", metavar="DIR", help="validation folder: flat ILSVRC2012_val_*.JPEG or WNID folders")
    p.add_argument("--devkit", metavar="PATH", action="append", required=True,
                   help="class IDs and val labels: a folder with map_clsloc.txt and the ground truth, the "
                        "ILSVRC2012 devkit (folder or .tar.gz), or Kaggle's LOC_val_solution.csv (repeatable)")
    p.add_argument("--out", metavar="DIR", required=True, help="where the datasets go")
    p.add_argument("--sizes", metavar="S", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   help="output sizes (default: 8 16 32 64)")
    p.add_argument("--filter", metavar="NAME", nargs="+", default=["box"],
                   help=f"resampling filter(s): {', '.join(FILTERS)}, or 'all' for one dataset per filter, "
                        "each in a folder of its own (default: box)")
    p.add_argument("--format", choices=("pickle", "npz"), default="pickle", help="file format (default: pickle)")
    p.add_argument("--pillow", metavar="VERSION", default="4.1",
                   help="the Pillow release whose bytes to reproduce (default 4.1, the published sets; 13.0: today)")
    p.add_argument("--labels", choices=LABEL_ORDERS, default="devkit",
                   help="devkit IDs as published (default) or sorted-WNID order (torchvision)")
    p.add_argument("--seed", type=int, default=0, help="train shuffle seed (default 0)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all the cores this process may use)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted build in --out")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=_run_cli)


def _run_cli(args) -> int:
    try:
        report = build(args.train, args.val, args.devkit, args.out, sizes=args.sizes, filter=args.filter,
                       format=args.format,
                       pillow=args.pillow, labels=args.labels, seed=args.seed, workers=args.workers,
                       resume=args.resume, progress=not args.quiet)
    except (BuildError, ValueError) as error:
        print(f"imagenet32 build: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a disk that fills up, a folder that cannot be written
        print(f"imagenet32 build: error: {error}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
