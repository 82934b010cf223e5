"""The files of the Downsampled ImageNet datasets: names, layouts, writing and safe reading.

A dataset is 10 train files ``train_data_batch_1`` .. ``train_data_batch_10`` and one
``val_data``, each a pickled dict (or the same keys in an ``.npz``):

- ``data``: uint8, (rows, 3*S*S); each row is the R plane, then G, then B (row-major);
- ``labels``: 1-based devkit class IDs (1..1000), a list of int in pickles;
- ``mean``: float64, (3*S*S,), train files only: the mean of all train rows.

:func:`write_batch` writes one file atomically and streams the pixels, so a memory-mapped
batch of any size is written without a copy. :func:`read_batch` reads pickles with an
unpickler that can only rebuild dicts, lists, numbers and numpy arrays: a file from the
internet cannot run code. :func:`find_data_files` finds the files in folders and zips.
"""

from __future__ import annotations

import glob
import math
import os
import pickle
import re
import secrets
import struct
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Union

import numpy as np

__all__ = [
    "FORMATS",
    "MAX_IMAGE_SIZE",
    "NUM_CLASSES",
    "SPLITS",
    "TRAIN_BATCHES",
    "Batch",
    "DataFile",
    "FormatError",
    "PathArg",
    "PendingFile",
    "RowBlocks",
    "UnsafePickleError",
    "as_path",
    "as_paths",
    "batch_sizes",
    "find_data_files",
    "image_size",
    "read_batch",
    "remove_partial_writes",
    "train_batch_name",
    "val_name",
    "write_batch",
    "write_pending",
]

TRAIN_BATCHES = 10
MAX_IMAGE_SIZE = 4096  # the largest S a build makes and a reader takes (a row of 48 MiB)
NUM_CLASSES = 1000
FORMATS = ("pickle", "npz")
SPLITS = ("train", "val")

PathArg = Union[str, "os.PathLike[str]"]

# Pixels are written and read in steps of this many bytes, so memory stays bounded
# whatever the size of a batch.
_CHUNK_BYTES = 16 << 20
# The pickle module groups list items in runs of this length; so do we.
_APPENDS_RUN = 1000

_FILE_NAME = re.compile(r"(?:train_data_batch_(\d+)|val_data)(\.npz)?")  # the whole name (fullmatch)
# The published folders and zips name their size: Imagenet32_train, Imagenet64_train_part1.zip.
_SIZE_IN_NAME = re.compile(r"imagenet(\d+)(?:_|\.zip\Z|\Z)", re.IGNORECASE)
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"

# What a zip's reading raises on a damaged archive: zlib.error for a bad deflate stream,
# NotImplementedError for a method or version zipfile lacks, RuntimeError for encryption,
# UnicodeDecodeError for a name not in the encoding its flag says.
_ZIP_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError,
               RuntimeError, UnicodeDecodeError)


class FormatError(ValueError):
    """A dataset file or folder that is missing, truncated, corrupt or not in the format."""


class UnsafePickleError(FormatError):
    """A pickle that asks for something these files never contain (a possible attack)."""


def _check_fmt(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")


def train_batch_name(i: int, fmt: str) -> str:
    """The file name of train batch ``i`` (1..10): ``train_data_batch_{i}`` (``.npz`` for npz)."""
    _check_fmt(fmt)
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 1 <= i <= TRAIN_BATCHES:
        raise ValueError(f"train batch number must be 1..{TRAIN_BATCHES}, got {i!r}")
    return f"train_data_batch_{int(i)}" + (".npz" if fmt == "npz" else "")


def val_name(fmt: str) -> str:
    """The file name of the val file: ``val_data`` (``val_data.npz`` for npz)."""
    _check_fmt(fmt)
    return "val_data.npz" if fmt == "npz" else "val_data"


def batch_sizes(n: int) -> list[int]:
    """Rows of the 10 train batches for ``n`` images: 9 of ``n // 10``, the 10th the rest."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"the number of train images must be an int >= 0, got {n!r}")
    n = int(n)
    return [n // TRAIN_BATCHES] * (TRAIN_BATCHES - 1) + [n - (TRAIN_BATCHES - 1) * (n // TRAIN_BATCHES)]


def image_size(columns: int) -> int:
    """S from the 3*S*S columns of ``data``; ValueError when the count is not of that form, or
    S is over MAX_IMAGE_SIZE."""
    side = math.isqrt(columns // 3) if columns > 0 else 0
    if side < 1 or 3 * side * side != columns:
        raise ValueError(f"data has {columns} columns, not 3*S*S for any image size S")
    if side > MAX_IMAGE_SIZE:
        raise ValueError(f"data has {columns:,} columns, images of {side}x{side}: over the largest size, "
                         f"{MAX_IMAGE_SIZE}x{MAX_IMAGE_SIZE}")
    return side


@dataclass(frozen=True, eq=False)
class Batch:
    """One file's contents: ``data`` (rows, 3*S*S) uint8, ``labels`` (rows,) int64 1-based
    devkit IDs, ``mean`` (3*S*S,) float64 for train files, else None."""

    data: np.ndarray
    labels: np.ndarray
    mean: np.ndarray | None

    @property
    def size(self) -> int:
        """S, the images' side in pixels."""
        return image_size(self.data.shape[1])

    def __len__(self) -> int:
        return int(self.data.shape[0])


# --- writing -----------------------------------------------------------------------


@dataclass(frozen=True)
class RowBlocks:
    """Rows of pixels written without ever being in memory together: the shape
    (rows, 3*S*S) and a function that yields them, in order, as 2-D uint8 blocks."""

    shape: tuple[int, int]
    blocks: Callable[[], Iterator[np.ndarray]]
    dtype = np.dtype(np.uint8)
    ndim = 2

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.shape[1]


Pixels = Union[np.ndarray, RowBlocks]


def _checked_for_writing(
    data: Pixels, labels: Any, mean: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Refuse to write a file that the reader would reject."""
    if not isinstance(data, (np.ndarray, RowBlocks)) or data.dtype != np.uint8 or data.ndim != 2:
        got = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise TypeError(f"data must be a 2-D uint8 array (rows, 3*S*S) or RowBlocks, got {got}")
    image_size(data.shape[1])
    codes = np.asarray(labels)
    if codes.ndim != 1 or (codes.size and codes.dtype.kind not in "iu"):
        raise TypeError(f"labels must be a sequence of int, got {codes.dtype} of shape {codes.shape}")
    if len(codes) != data.shape[0]:
        raise ValueError(f"{len(codes)} labels for {data.shape[0]} rows of data")
    if codes.size and (codes.min() < 1 or codes.max() > NUM_CLASSES):
        raise ValueError(f"labels must be devkit IDs 1..{NUM_CLASSES}, got {codes.min()}..{codes.max()}")
    if mean is None:
        return codes.astype(np.int64), None
    average = np.asarray(mean)
    if average.dtype != np.float64 or average.shape != (data.shape[1],):
        expected = f"a float64 array of shape ({data.shape[1]},)"
        raise TypeError(f"mean must be {expected}, got {average.dtype} of shape {average.shape}")
    if not np.all((average >= 0) & (average <= 255)):
        raise ValueError("mean has values outside 0..255 (or NaN); a mean of uint8 pixels lies in 0..255")
    return codes.astype(np.int64), average.astype("<f8", copy=False)


def _write_rows(out: IO[bytes], array: Pixels) -> None:
    """Write the pixels' bytes in C order, one bounded chunk of rows at a time."""
    if isinstance(array, RowBlocks):
        rows = 0
        for block in array.blocks():
            if block.dtype != np.uint8 or block.ndim != 2 or block.shape[1] != array.shape[1]:
                raise ValueError(f"a block of {block.dtype} {block.shape} does not fit rows of {array.shape[1]} bytes")
            if block.size:
                out.write(memoryview(np.ascontiguousarray(block)).cast("B"))
            rows += len(block)
        if rows != array.shape[0]:
            raise ValueError(f"the blocks gave {rows} rows, not {array.shape[0]}")
        return
    if array.ndim == 1:
        array = array.reshape(1, -1)
    step = max(1, _CHUNK_BYTES // max(1, array[:1].nbytes))
    for start in range(0, array.shape[0] if array.size else 0, step):
        out.write(memoryview(np.ascontiguousarray(array[start : start + step])).cast("B"))


# The module name numpy 1.x wrote, as in the published files: numpy 2 still reads it, and
# numpy 1.x cannot read numpy 2's "numpy._core".
_REBUILD = np.empty(0, np.uint8).__reduce__()[0]
_GLOBAL_NAMES: dict[Any, tuple[str, str]] = {
    _REBUILD: ("numpy.core.multiarray", "_reconstruct"),
    np.ndarray: ("numpy", "ndarray"),
    np.dtype: ("numpy", "dtype"),
}


_SHORT_TUPLES = (pickle.EMPTY_TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)


def _opcodes(value: Any) -> bytes:
    """Pickle opcodes for the small values of numpy's array and dtype reductions."""
    if value is None:
        return pickle.NONE
    if isinstance(value, bool):
        return pickle.NEWTRUE if value else pickle.NEWFALSE
    if isinstance(value, int):
        if 0 <= value < 1 << 8:
            return pickle.BININT1 + bytes([value])
        if 0 <= value < 1 << 16:
            return pickle.BININT2 + struct.pack("<H", value)
        if -(1 << 31) <= value < 1 << 31:
            return pickle.BININT + struct.pack("<i", value)
        encoded = value.to_bytes(value.bit_length() // 8 + 1, "little", signed=True)
        return pickle.LONG1 + bytes([len(encoded)]) + encoded
    if isinstance(value, str):
        text = value.encode("utf-8")
        if len(text) < 256:
            return pickle.SHORT_BINUNICODE + bytes([len(text)]) + text
        return pickle.BINUNICODE + struct.pack("<I", len(text)) + text
    if isinstance(value, bytes) and len(value) < 256:
        return pickle.SHORT_BINBYTES + bytes([len(value)]) + value
    if isinstance(value, tuple):
        items = b"".join(_opcodes(item) for item in value)
        if len(value) < len(_SHORT_TUPLES):
            return items + _SHORT_TUPLES[len(value)]
        return pickle.MARK + items + pickle.TUPLE
    if isinstance(value, np.dtype):
        rebuild, args, state = value.__reduce__()
        return _opcodes(rebuild) + _opcodes(args) + pickle.REDUCE + _opcodes(state) + pickle.BUILD
    if value in _GLOBAL_NAMES:
        module, name = _GLOBAL_NAMES[value]
        return _opcodes(module) + _opcodes(name) + pickle.STACK_GLOBAL
    raise TypeError(f"no pickle opcodes for {type(value).__name__}")


def _pickle_array(out: IO[bytes], array: Pixels) -> None:
    """An array exactly as numpy reduces it, its pixels streamed as one BINBYTES8 payload."""
    rebuild, args, (version, _, dtype, fortran, _) = np.empty((0,) * array.ndim, array.dtype).__reduce__()
    out.write(_opcodes(rebuild) + _opcodes(args) + pickle.REDUCE)
    out.write(pickle.MARK + _opcodes(version) + _opcodes(tuple(array.shape)) + _opcodes(dtype) + _opcodes(fortran))
    out.write(pickle.BINBYTES8 + struct.pack("<Q", array.nbytes))
    _write_rows(out, array)
    out.write(pickle.TUPLE + pickle.BUILD)


def _pickle_labels(out: IO[bytes], labels: np.ndarray) -> None:
    """A list of int: every label (1..1000) as a BININT2, in runs of APPENDS."""
    codes = np.empty((len(labels), 3), np.uint8)
    codes[:, 0] = pickle.BININT2[0]
    codes[:, 1:] = labels.astype("<u2").view(np.uint8).reshape(-1, 2)
    out.write(pickle.EMPTY_LIST)
    for start in range(0, len(labels), _APPENDS_RUN):
        out.write(pickle.MARK + codes[start : start + _APPENDS_RUN].tobytes() + pickle.APPENDS)


def _write_pickle(out: IO[bytes], data: Pixels, labels: np.ndarray, mean: np.ndarray | None) -> None:
    out.write(pickle.PROTO + bytes([4]) + pickle.EMPTY_DICT + pickle.MARK)
    out.write(_opcodes("data"))
    _pickle_array(out, data)
    out.write(_opcodes("labels"))
    _pickle_labels(out, labels)
    if mean is not None:
        out.write(_opcodes("mean"))
        _pickle_array(out, mean)
    out.write(pickle.SETITEMS + pickle.STOP)


def _write_npz(out: IO[bytes], data: Pixels, labels: np.ndarray, mean: np.ndarray | None) -> None:
    """What np.savez writes (a stored zip of .npy members), with the pixels streamed."""
    arrays = {"data": data, "labels": labels} | ({} if mean is None else {"mean": mean})
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                header = {"descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": False,
                          "shape": tuple(array.shape)}
                np.lib.format.write_array_header_1_0(member, header)  # a 2-D shape always fits 1.0
                _write_rows(member, array)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable; folders cannot be opened for this on every system."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


# What PendingFile names its temporary files: .NAME.<12 hex digits>.tmp
_TEMPORARY = re.compile(r"\.(.+)\.[0-9a-f]{12}\.tmp")


def remove_partial_writes(path: PathArg) -> list[Path]:
    """Remove the temporary files a killed :func:`write_batch` of ``path`` left next to it
    (an interrupted write cleans up after itself; a SIGKILL cannot). Returns what was removed."""
    path = Path(path)
    removed = []
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = _TEMPORARY.fullmatch(candidate.name)
        if match and match.group(1) == path.name:
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


class PendingFile:
    """A file written in full under a temporary name next to ``path``: :meth:`commit`
    syncs it and gives it its name; :meth:`discard` removes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        # os.open with mode 0o666 keeps the user's umask, unlike tempfile's private 0o600.
        self._handle: int | None = os.open(
            self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)

    def stream(self) -> IO[bytes]:
        """A buffered writer of the temporary file; closing it keeps the file open for commit."""
        assert self._handle is not None, "already committed or discarded"
        return open(self._handle, "wb", buffering=1 << 20, closefd=False)

    def _close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            os.close(handle)

    def commit(self) -> None:
        """Sync the bytes, then rename: the file appears under its name only when complete."""
        try:
            assert self._handle is not None, "already committed or discarded"
            os.fsync(self._handle)
            self._close()
            os.replace(self.temporary, self.path)
        except BaseException:
            self.discard()
            raise
        _fsync_folder(self.path.parent)

    def discard(self) -> None:
        self._close()
        self.temporary.unlink(missing_ok=True)


def write_pending(path: PathArg, data: Pixels, labels: Any, mean: np.ndarray | None, fmt: str) -> PendingFile:
    """What :func:`write_batch` does before syncing: the file written in full under a
    temporary name, which its ``commit()`` replaces ``path`` with. A build commits each file
    in a thread of its own, so that the disk takes one file while the next is made."""
    _check_fmt(fmt)
    codes, average = _checked_for_writing(data, labels, mean)
    writer = _write_pickle if fmt == "pickle" else _write_npz
    pending = PendingFile(as_path(path))
    try:
        with pending.stream() as out:
            writer(out, data, codes, average)
    except BaseException:
        pending.discard()
        raise
    return pending


def write_batch(path: PathArg, data: Pixels, labels: Any, mean: np.ndarray | None, fmt: str) -> None:
    """Write one dataset file in the published layout, atomically.

    ``fmt="pickle"``: a protocol-4 pickle of ``{'data', 'labels', 'mean'}`` (no ``mean``
    when it is None) that plain ``pickle.load`` reads; ``fmt="npz"``: the same keys as
    arrays (``labels`` int64). ``data`` may be a memory map of any size, or
    :class:`RowBlocks`: its rows are streamed to disk in bounded chunks. The file appears under its name only when
    complete and synced.
    """
    write_pending(path, data, labels, mean, fmt).commit()


# --- finding files -----------------------------------------------------------------


@dataclass(frozen=True)
class DataFile:
    """One dataset file: ``path`` on disk, or the ``member`` of the zip at ``path``."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        """How messages name the file: the path, or ``archive.zip:member``."""
        return f"{self.path}:{self.member}" if self.member is not None else str(self.path)

    @property
    def basename(self) -> str:
        return _member_path(self.member).name if self.member is not None else self.path.name

    @property
    def split(self) -> str | None:
        """"train" or "val" from the file name; None for a name outside the format."""
        match = _FILE_NAME.fullmatch(self.basename)
        if match is None:
            return None
        return "val" if match[1] is None else "train"

    @property
    def index(self) -> int | None:
        """The train batch number from the file name (val and unknown names: None)."""
        match = _FILE_NAME.fullmatch(self.basename)
        return int(match[1]) if match is not None and match[1] is not None else None

    @property
    def fmt(self) -> str:
        """"npz" for a zip (an .npz is one), else "pickle" (which any other bytes fail to be)."""
        with self.open() as stream:
            magic = stream.read(4)
        if not magic:
            raise FormatError(f"{self.name}: an empty file")
        return "npz" if magic in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC) else "pickle"

    @property
    def nbytes(self) -> int:
        """The file's size (uncompressed, for a zip member)."""
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    def rows_at_most(self, columns: int) -> int:
        """At least as many rows of ``columns`` bytes as the file holds, without reading its
        pixels: a pickle holds them uncompressed, so its size bounds them; an .npz (maybe
        compressed) says its rows in the header of data.npy."""
        if self.fmt != "npz":
            return self.nbytes // columns
        try:
            with self.open() as stream, zipfile.ZipFile(stream) as archive:
                _members(archive, self.name)
                info = archive.getinfo("data.npy")
                with archive.open(info) as member:
                    shape = _NpyMember.read_header(self.name, info, member).shape
        except FormatError:
            raise
        except (*_ZIP_ERRORS, ValueError, KeyError) as error:
            raise FormatError(f"{self.name}: not a readable .npz ({type(error).__name__}: {error})") from None
        return int(shape[0]) if len(shape) == 2 else 0  # another shape fails when the file is read

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file's bytes as a seekable binary stream."""
        try:
            if self.member is None:
                with open(self.path, "rb") as stream:
                    yield stream
            else:
                with zipfile.ZipFile(self.path) as archive:
                    _members(archive, str(self.path))
                    with archive.open(self.member) as stream:
                        yield stream
        except _ZIP_ERRORS as error:
            raise FormatError(f"{self.name}: cannot read ({type(error).__name__}: {error})") from None


def _sniff(path: Path) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(4)
    except OSError as error:
        raise FormatError(f"{path}: cannot read ({error})") from None


_ZIP_METHODS = {9: "Deflate64", 12: "bzip2", 14: "LZMA"}  # what zip tools write besides deflate


def _members(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """The archive's members, checked for what would make zipfile expand without bound: two
    entries of one name or one place (it expands the member once per entry), and bzip2 or LZMA
    compression (it expands a whole chunk of those at once, gigabytes from a few bytes)."""
    infos = archive.infolist()
    if len({i.filename for i in infos}) != len(infos) or len({i.header_offset for i in infos}) != len(infos):
        raise FormatError(f"{name}: two entries of one member (a damaged or crafted zip)")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _ZIP_METHODS.get(info.compress_type, "an unknown method")
            raise FormatError(f"{name}: {info.filename[:80]} is compressed with {method} (zip method "
                              f"{info.compress_type}), not stored or deflated as dataset files are (zip it again "
                              "with deflate)")
    return infos


def _zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _members(archive, str(path))
        # Not folders (a name ending in /), nor a nameless member.
        return [info.filename for info in infos if info.filename and not info.filename.endswith("/")]
    except _ZIP_ERRORS as error:
        raise FormatError(f"{path}: not a readable zip ({type(error).__name__}: {error})") from None


def _is_archive(path: Path) -> bool:
    """A zip of dataset files, as opposed to one .npz (a zip of .npy arrays) or a pickle."""
    magic = _sniff(path)
    if magic not in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC):
        return False
    return "data.npy" not in _zip_members(path)


def _named_size(parts: Sequence[str]) -> int | None:
    """The one image size that folder or zip names state (``Imagenet32_train``), if any."""
    sizes = {int(m[1]) for m in map(_SIZE_IN_NAME.match, parts) if m}
    return sizes.pop() if len(sizes) == 1 else None


def _member_path(member: str) -> PurePosixPath:
    """A zip member's name as a path; some Windows tools write backslashes for slashes."""
    return PurePosixPath(member.replace("\\", "/"))


def _zipped_size(archive: Path, member: str) -> int | None:
    """The size a zip member's names (the archive's, its folders') give it, if one."""
    return _named_size([archive.name, *_member_path(member).parts[:-1]])


def _zip_files(path: Path, size: int | None) -> list[DataFile]:
    files = [DataFile(path, m) for m in _zip_members(path) if _FILE_NAME.fullmatch(_member_path(m).name)]
    return [f for f in files if size is None or _zipped_size(path, f.member or "") in (None, size)]


def _tree_files(root: Path) -> list[Path]:
    """The names below ``root``, sorted, also through links to folders (datasets linked in from
    another disk). Each folder is taken once, under its own path where it has one below
    ``root`` (the folders are walked before the links, which then add only folders not seen):
    a link such as ``latest -> Imagenet64_val`` must not hide the size in the real name, and a
    link back up is no loop."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    links: deque[Path] = deque()

    def walk(top: Path) -> None:
        for folder, subfolders, names in os.walk(top):  # not into links: they wait their turn
            try:
                info = os.stat(folder)
            except OSError:  # gone meanwhile
                continue
            if (info.st_dev, info.st_ino) in seen:
                subfolders.clear()
                continue
            seen.add((info.st_dev, info.st_ino))
            subfolders.sort()  # links in name order, whatever order the system lists them in
            links.extend(Path(folder, name) for name in subfolders if os.path.islink(os.path.join(folder, name)))
            found.extend(Path(folder, name) for name in names)

    walk(root)
    while links:
        walk(links.popleft())
    return sorted(found)


def _files_in(path: Path, size: int | None) -> list[DataFile]:
    """The dataset files at ``path``; with ``size``, not those below folders or in zips
    named for another size (the names of ``path``'s own parents are not looked at)."""
    if path.is_dir():
        loose = [p for p in _tree_files(path) if _FILE_NAME.fullmatch(p.name)]
        for p in loose:
            if not p.is_file():  # named as a dataset file: leaving it out would only say one is missing
                raise FormatError(f"{p}: not a file that can be read (a link to nothing?)")
        if size is not None:
            loose = [p for p in loose if _named_size(p.relative_to(path).parts[:-1]) in (None, size)]
        files = [DataFile(p) for p in loose]
        # The zips' files that are not lying loose too: an archive next to its unpacked copy is no
        # clash, and one next to another split's unpacked folder is not left out.
        unpacked = {(_named_size(p.relative_to(path).parts[:-1]), f.split, f.index) for p, f in zip(loose, files)}
        for archive in sorted(path.glob("*.zip")):
            if archive.is_file() and _is_archive(archive):
                files += [f for f in _zip_files(archive, size)
                          if (_zipped_size(archive, f.member or ""), f.split, f.index) not in unpacked]
        return files
    if path.is_file():
        return _zip_files(path, size) if _is_archive(path) else [DataFile(path)]
    raise FormatError(f"{path}: no such file or folder")


def as_path(path: Any) -> Path:
    """A path given as str, bytes or os.PathLike, as a Path; anything else (or "") an error."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"expected a path, got {type(path).__name__}: {path!r}")
    text = os.fsdecode(path)
    if not text:
        raise ValueError("an empty path (use '.' for the current folder)")
    return Path(text)


def as_paths(paths: PathArg | Sequence[PathArg]) -> list[Path]:
    if isinstance(paths, (str, bytes, os.PathLike)):
        return [as_path(paths)]
    if not isinstance(paths, Sequence) or not paths:
        raise TypeError(f"expected a path or a non-empty list of paths, got {paths!r}")
    return [as_path(p) for p in paths]


def find_data_files(paths: PathArg | Sequence[PathArg], size: int | None = None) -> list[DataFile]:
    """The dataset files under one or more paths: folders (searched recursively, and the
    zips in them for the files not lying there unpacked too), zips of dataset files, and single
    pickle or .npz files. Train files come first, by batch number, then val.

    With ``size``, files under folders or zips named for another size (``Imagenet64_val``)
    are left out, so a folder holding every size can be named. A file whose name is not
    ``train_data_batch_N`` / ``val_data`` (``.npz``) is accepted only when named directly.
    Two copies of one file (say a pickle and an .npz) raise :class:`FormatError`.
    """
    roots = as_paths(paths)
    found: list[DataFile] = []
    for root in roots:
        files = _files_in(root, size)
        if not files:
            where = "" if size is None else f" of size {size}"
            raise FormatError(f"{root}: no dataset files{where} (train_data_batch_1..10 or val_data, pickle or .npz)")
        found.extend(files)
    seen: dict[tuple[str, int | None], DataFile] = {}
    for f in found:
        if f.split is None:
            continue
        if f.index is not None and not 1 <= f.index <= TRAIN_BATCHES:
            raise FormatError(f"{f.name}: the format has train batches 1..{TRAIN_BATCHES} only")
        if (f.split, f.index) in seen:
            first = seen[f.split, f.index].name
            hint = ("give only one" if size is not None
                    else "give only one (or size=S, --size S, when they hold different sizes)")
            raise FormatError(f"two copies of one dataset file: {first} and {f.name}; {hint}")
        seen[f.split, f.index] = f
    return sorted(found, key=lambda f: (f.split != "train", f.split is None, f.index or 0, f.name))


# --- reading -----------------------------------------------------------------------


# A pickle may name these numpy globals (under numpy 1.x and 2.x module names), which
# numpy's own reductions of arrays, dtypes and scalars use. None of numpy's functions is
# handed to the file: numpy rebuilds whatever state it is given, and a crafted dtype state
# crashes the interpreter, a bare ndarray call returns uninitialised memory and zero
# strides make any number of rows. The file's arguments go to the checked stand-ins below,
# and arrays are made only from a state whose shape, dtype and byte count agree.
_PLAIN_DTYPES = frozenset(("i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"))
_MAX_DIMENSIONS = 32


def _brief(value: Any) -> str:
    """A value from a file, for a message: its repr when small and flat, else its type (a repr
    of nested containers from a file could take any time)."""
    if (value is None or isinstance(value, (bool, float)) or (type(value) is int and value.bit_length() <= 64)
            or (isinstance(value, (str, bytes)) and len(value) <= 40)):
        return repr(value)
    if type(value) is tuple and len(value) <= _MAX_DIMENSIONS and all(type(v) is int for v in value):
        return repr(value) if all(v.bit_length() <= 64 for v in value) else "a tuple of large ints"
    name = type(value).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


class _NdarrayClass:
    """What ``numpy.ndarray`` stands for: only the class argument of ``_reconstruct``."""

    def __call__(self, *args: Any) -> None:
        raise pickle.UnpicklingError("numpy.ndarray called directly (dataset files never do)")


_NDARRAY = _NdarrayClass()


class _PickledDtype:
    """``numpy.dtype(name, align, copy)`` and its BUILD state: a plain number type only."""

    def __init__(self, name: Any, align: Any = False, copy: Any = True) -> None:
        if not isinstance(name, str) or name not in _PLAIN_DTYPES:
            raise pickle.UnpicklingError(f"dtype {_brief(name)} (dataset files hold plain numbers only)")
        self.dtype = np.dtype(name)

    def __setstate__(self, state: Any) -> None:
        # numpy's state: (version, byte order, subarray, names, fields, ...); plain types have no
        # subarray, names or fields.
        if not (isinstance(state, tuple) and len(state) >= 5 and state[1] in ("<", ">", "|", "=")
                and state[2:5] == (None, None, None)):
            raise pickle.UnpicklingError(f"a dtype state numpy does not write for plain numbers: {_brief(state)}")
        if state[1] in "<>":
            self.dtype = self.dtype.newbyteorder(state[1])


def _dtype(value: Any) -> np.dtype:
    if not isinstance(value, _PickledDtype):
        raise pickle.UnpicklingError(f"expected a dtype, got {type(value).__name__}")
    return value.dtype


def _payload(raw: Any) -> bytes | bytearray | np.ndarray:
    """An array's bytes: bytes, a bytearray (protocol 5), a Python 2 str (latin1, as numpy
    writes it), or a large payload as _Reader reads it (a uint8 array)."""
    if isinstance(raw, str):
        return raw.encode("latin1")
    if isinstance(raw, (bytes, bytearray)) or (isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and raw.ndim == 1):
        return raw
    raise pickle.UnpicklingError(f"array bytes are a {type(raw).__name__}")


def _from_payload(raw: Any, dtype: np.dtype, shape: Any, fortran: bool) -> np.ndarray:
    """The array of ``shape`` whose bytes are exactly ``raw``: no more, no fewer, no strides."""
    if not (isinstance(shape, tuple) and len(shape) <= _MAX_DIMENSIONS
            and all(type(n) is int and 0 <= n < 2**63 for n in shape)):  # before multiplying them
        raise pickle.UnpicklingError(f"an array shape of {_brief(shape)}")
    data = _payload(raw)
    if len(data) != math.prod(shape) * dtype.itemsize:
        raise pickle.UnpicklingError(f"{len(data)} bytes for an array of {_brief(shape)} {dtype}")
    if isinstance(data, bytes):  # numpy's own rebuilding, from a checked state: writeable, not copied
        array = _REBUILD(np.ndarray, (0,), b"b")
        array.__setstate__((1, shape, dtype, fortran, data))
        return array
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")


class _PickledArray:
    """``_reconstruct(ndarray, (0,), b'b')``, which BUILD then fills: the array is made from its
    state once the file is read (see _resolved)."""

    def __init__(self, cls: Any, shape: Any, typecode: Any) -> None:
        if cls is not _NDARRAY or shape != (0,) or typecode not in (b"b", "b"):
            raise pickle.UnpicklingError("_reconstruct called otherwise than numpy does for an ndarray")
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def array(self) -> np.ndarray:
        state = self.state
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise pickle.UnpicklingError("an array without its data")
        shape, dtype, fortran, raw = state[-4:]
        return _from_payload(raw, _dtype(dtype), shape, bool(fortran))


def _scalar(dtype: Any, raw: Any) -> Any:
    """``numpy.core.multiarray.scalar``: a number of a plain type from its bytes."""
    return _from_payload(raw, _dtype(dtype), (), False)[()]


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """``numpy.core.numeric._frombuffer`` (protocol 5's arrays)."""
    if order not in ("C", "F"):
        raise pickle.UnpicklingError(f"array order {_brief(order)}")
    return _from_payload(buffer, _dtype(dtype), shape, order == "F")


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes, and for nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode used for something other than bytes ({_brief(encoding)})")
    return text.encode("latin1")


def _empty_bytes() -> bytes:
    """``bytes()`` as protocol-2 pickles use it for an empty payload; ``bytes(n)`` would
    let a file ask for any amount of memory."""
    return b""


_SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _PickledDtype,
    ("_codecs", "encode"): _latin1_bytes,
    ("__builtin__", "bytes"): _empty_bytes,
    ("builtins", "bytes"): _empty_bytes,
}
for _core in ("numpy.core", "numpy._core"):
    _SAFE_GLOBALS[_core + ".multiarray", "_reconstruct"] = _PickledArray
    _SAFE_GLOBALS[_core + ".multiarray", "scalar"] = _scalar
    _SAFE_GLOBALS[_core + ".numeric", "_frombuffer"] = _frombuffer


def _resolved(content: Any) -> Any:
    """The unpickled content with its arrays made: in a dict's values and in the lists among
    them (where dataset files have them; anywhere else a stand-in stays and fails the checks)."""

    def made(value: Any) -> Any:
        return value.array() if isinstance(value, _PickledArray) else value

    if not isinstance(content, dict):
        return made(content)
    return {key: [made(item) for item in value] if isinstance(value, list) else made(value)
            for key, value in content.items()}


class _SafeUnpickler(pickle._Unpickler):  # type: ignore[name-defined]
    """The pure-Python unpickler of the pickle module, not the C one: its memo is a dict,
    where the C unpickler fills a table as long as the largest memo index a file names (9
    bytes could ask for gigabytes)."""

    def __init__(self, stream: _Reader, name: str) -> None:
        # latin1 lets numpy rebuild arrays from Python 2 pickles; Python 3 text is UTF-8 anyway.
        super().__init__(stream, encoding="latin1")
        self._name = name

    def find_class(self, module: str, name: str) -> Any:
        if not all(part.isidentifier() for part in [*module.split("."), *name.split(".")]):
            # Text read as protocol 0 names such "classes" (import pickle -> module 'mport pickle').
            raise pickle.UnpicklingError(f"a class name that is no Python name ({module[:40]!r}), so not a pickle")
        try:
            return _SAFE_GLOBALS[module, name]
        except KeyError:
            raise UnsafePickleError(
                f"{self._name}: refused to load {module}.{name}: dataset files hold only dicts, lists, "
                "numbers and numpy arrays, so this file is corrupt or malicious"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"{self._name}: refused a persistent reference, which dataset files never hold")

    def load_bytearray8(self) -> None:
        """As Python's, but reading the bytes before making room for them: a corrupt length is
        refused by the reader, not allocated (and zero-filled) first."""
        (size,) = struct.unpack("<Q", self.read(8))
        data = self.read(size)
        self.append(data if isinstance(data, np.ndarray) else bytearray(data))  # both writeable

    def _decode_string(self, value: bytes | np.ndarray) -> str | np.ndarray:
        """A Python 2 str as text (latin1), or, when _Reader read it as a large payload, as
        those bytes: only an array's data is that large."""
        return value if isinstance(value, np.ndarray) else super()._decode_string(value)

    # Dataset files hold no sets, and only text as dict keys: a key or set item is hashed, and a
    # file's tuples nested deep crash the hashing (C recursion), nested wide (shared through the
    # memo) make it take any time.
    @staticmethod
    def _key(key: Any) -> Any:
        if type(key) is not str and type(key) is not bytes:
            raise pickle.UnpicklingError(f"a dict key of type {type(key).__name__} (dataset files have text keys)")
        return key

    def load_setitem(self) -> None:
        value = self.stack.pop()
        key = self._key(self.stack.pop())
        self.stack[-1][key] = value

    def _pairs(self) -> Iterator[tuple[Any, Any]]:
        items = self.pop_mark()
        if len(items) % 2:
            raise pickle.UnpicklingError(f"{len(items)} items for keys and values")
        return ((self._key(items[i]), items[i + 1]) for i in range(0, len(items), 2))

    def load_setitems(self) -> None:
        pairs = self._pairs()
        target = self.stack[-1]
        for key, value in pairs:
            target[key] = value

    def load_dict(self) -> None:
        made = dict(self._pairs())  # before self.append is looked up: popping the mark replaces it
        self.append(made)

    def load_set(self) -> None:
        raise pickle.UnpicklingError("a set, which dataset files never hold")

    def load_build(self) -> None:
        """BUILD gives state to the stand-ins of numpy's arrays and dtypes only: given to anything
        else (a function or class the file named), it could change the reader itself."""
        if not isinstance(self.stack[-2], (_PickledArray, _PickledDtype)):
            raise pickle.UnpicklingError(f"state given to {_brief(self.stack[-2])} (dataset files give it to arrays)")
        super().load_build()

    dispatch = dict(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8
    dispatch[pickle.SETITEM[0]] = load_setitem
    dispatch[pickle.SETITEMS[0]] = load_setitems
    dispatch[pickle.DICT[0]] = load_dict
    dispatch[pickle.BUILD[0]] = load_build
    for _opcode in (pickle.EMPTY_SET, pickle.ADDITEMS, pickle.FROZENSET):
        dispatch[_opcode[0]] = load_set


class _Reader:
    """The file object the unpickler reads from, ``size`` bytes long. No read may ask for
    more than is left (a corrupt length cannot make it allocate more than the file); large
    payloads are read in bounded steps into a uint8 array that is not zero-filled first,
    which also keeps zip streams from building them a second time in memory."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self._stream, self._left = stream, size

    def read(self, n: int = -1) -> bytes | np.ndarray:
        if n < 0:
            n = self._left
        if n > self._left:
            raise pickle.UnpicklingError(f"a length of {n} bytes with {self._left} left in the file")
        if n < _CHUNK_BYTES:
            data: bytes | np.ndarray = self._stream.read(n)
        else:  # into memory no one zero-fills first, a bounded step at a time
            data = np.empty(n, np.uint8)
            view, filled = memoryview(data), 0
            while filled < n:
                got = self._stream.readinto(view[filled : filled + _CHUNK_BYTES])  # type: ignore[attr-defined]
                if not got:
                    break
                filled += got
            data = data[:filled]
        self._left -= len(data)
        return data

    def readline(self) -> bytes:
        line = self._stream.readline(self._left)
        self._left -= len(line)
        return line

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


# What a damaged pickle makes the unpickler or the array making raise.
_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
                  KeyError, OverflowError, RecursionError, struct.error, *_ZIP_ERRORS)


def _unpickle(stream: IO[bytes], name: str, size: int) -> Any:
    try:
        content = _resolved(_SafeUnpickler(_Reader(stream, size), name).load())
        # Reading to the end also makes a zip check the member's CRC.
        trailing = stream.read(1)
    except UnsafePickleError:
        raise
    except MemoryError:
        raise FormatError(f"{name}: a payload too large for memory (corrupt length field?)") from None
    except _PICKLE_ERRORS as error:
        raise FormatError(f"{name}: not a readable pickle ({type(error).__name__}: {error})") from None
    if trailing:
        raise FormatError(f"{name}: bytes after the end of the pickle (corrupt or two files joined)")
    return content


def _npy_header(stream: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, Fortran order and dtype of the .npy array whose bytes start the stream."""
    version = np.lib.format.read_magic(stream)
    header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return header(stream)


@dataclass(frozen=True)
class _NpyMember:
    """An .npy member of an .npz whose header is checked against the member: plain values
    (no pickled objects), and exactly the declared array's bytes after the header."""

    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    header_bytes: int

    @classmethod
    def read_header(cls, name: str, info: zipfile.ZipInfo, member: IO[bytes]) -> _NpyMember:
        where = f"{name}: {info.filename}"
        try:
            shape, fortran, dtype = _npy_header(member)
        except (MemoryError, RecursionError):
            raise FormatError(f"{where}: an .npy header too large to read") from None
        except Exception as error:  # numpy's parsing of a damaged header raises many kinds
            if isinstance(error, _ZIP_ERRORS):
                raise
            raise FormatError(f"{where}: not a readable .npy header ({type(error).__name__}: {error})") from None
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
            raise FormatError(f"{where}: an array of {dtype}, where dataset files hold plain numbers")
        if any(n < 0 for n in shape):
            raise FormatError(f"{where}: an array of shape {shape}")
        header_bytes = member.tell()
        held = info.file_size - header_bytes
        declared = math.prod(shape) * dtype.itemsize
        if declared != held:
            raise FormatError(f"{where}: its header declares a {shape} {dtype} array ({declared:,} bytes) "
                              f"where the member holds {held:,} bytes")
        return cls(info, shape, fortran, dtype, header_bytes)

    def read(self, member: IO[bytes]) -> np.ndarray:
        """The array, read into memory no one zero-fills first, a bounded step at a time; then
        the member to its end, which makes zipfile check its CRC."""
        array = np.empty(self.shape, self.dtype, order="F" if self.fortran else "C")
        view, filled = memoryview(array.reshape(-1, order="A").view(np.uint8)), 0
        while filled < len(view):
            got = member.readinto(view[filled : filled + _CHUNK_BYTES])  # type: ignore[attr-defined]
            if not got:
                raise EOFError(f"{self.info.filename} ends after {filled} of {len(view)} bytes")
            filled += got
        if member.read(1):
            raise zipfile.BadZipFile(f"{self.info.filename} holds more than its size")
        return array

    def mapped(self, path: Path) -> np.ndarray | None:
        """The array as a read-only memory map of the .npz at ``path`` when it lies there as
        is: stored (not compressed or encrypted), uint8, 2-D, C order. Its CRC is not checked
        (the pixels are not read)."""
        info = self.info
        if (info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 1 or info.compress_size != info.file_size
                or self.fortran or self.dtype != np.uint8 or len(self.shape) != 2):
            return None
        with open(path, "rb") as stream:
            stream.seek(info.header_offset)
            local = stream.read(30)
        if len(local) != 30 or local[:4] != _ZIP_MAGIC:
            return None
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        offset = info.header_offset + 30 + name_length + extra_length + self.header_bytes
        if offset + math.prod(self.shape) > path.stat().st_size:
            return None
        return np.memmap(path, np.uint8, "r", offset, self.shape)


def _read_npz(source: DataFile, stream: IO[bytes], mmap: bool) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(stream) as archive:
            content: dict[str, Any] = {}
            for info in _members(archive, source.name):
                key = info.filename.removesuffix(".npy")
                if key not in ("data", "labels", "mean") or info.filename != f"{key}.npy":
                    content.setdefault(key, None)  # reported by name, never read
                    continue
                with archive.open(info) as member:
                    npy = _NpyMember.read_header(source.name, info, member)
                    mapped = npy.mapped(source.path) if mmap and key == "data" and source.member is None else None
                    content[key] = mapped if mapped is not None else npy.read(member)
            return content
    except FormatError:
        raise
    except MemoryError:
        raise FormatError(f"{source.name}: arrays too large for memory") from None
    except (*_ZIP_ERRORS, ValueError, KeyError) as error:
        raise FormatError(f"{source.name}: not a readable .npz ({type(error).__name__}: {error})") from None


def _integers(values: Any) -> np.ndarray | None:
    """Labels as int64 when they are a 1-D list or array of integers (not bools), else None."""
    if isinstance(values, np.ndarray):
        # np.savez(labels=[]) stores an empty float64 array: no label, so no wrong one.
        return values.astype(np.int64) if values.ndim == 1 and (values.dtype.kind in "iu" or not values.size) else None
    if not isinstance(values, (list, tuple)):
        return None
    # The few distinct types, not every item, are checked: a list of 128,116 labels is fast.
    kinds = set(map(type, values))
    if not all(issubclass(k, (int, np.integer)) and not issubclass(k, (bool, np.bool_)) for k in kinds):
        return None
    try:
        return np.array(values, dtype=np.int64).reshape(len(values))
    except OverflowError:
        return None


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        what = f"{value.dtype} array of shape {value.shape}"
    else:
        what = f"{type(value).__module__}.{type(value).__qualname__}".removeprefix("builtins.")
    return ("an " if what[0] in "aeio" else "a ") + what


def _check_content(content: Any, *, pickled: bool, strict: bool) -> tuple[Batch | None, list[str]]:
    """The problems of a file's unpickled or npz content, and the Batch when there are none.

    ``strict`` also holds the file to the published types exactly (labels a list of Python
    int in pickles, ``mean`` float64), where the reader otherwise converts harmlessly.
    """
    if not isinstance(content, dict):
        return None, [f"holds {_describe(content)}, not a dict of data, labels and mean"]
    problems = []
    keys = set(content)
    missing = [k for k in ("data", "labels") if k not in keys]
    unknown = sorted(str(k)[:40] for k in keys - {"data", "labels", "mean"})
    if missing:
        problems.append(f"missing key(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown key(s) {', '.join(repr(k) for k in unknown)} (keys: data, labels, mean)")
    data = content.get("data")
    columns = None
    if "data" in keys:
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
            problems.append(f"data is {_describe(data)}, not a 2-D uint8 array (rows, 3*S*S)")
        else:
            try:
                image_size(data.shape[1])
                columns = data.shape[1]
            except ValueError as error:
                problems.append(str(error))
    labels = None
    if "labels" in keys:
        raw = content["labels"]
        labels = _integers(raw)
        if labels is None:
            problems.append(f"labels is {_describe(raw)}, not a list of int")
        elif strict and pickled and not (isinstance(raw, list) and set(map(type, raw)) <= {int}):
            kinds = ", ".join(sorted({t.__name__ for t in map(type, raw)})) if isinstance(raw, (list, tuple)) else ""
            what = f"a {type(raw).__name__} of {kinds}" if kinds else _describe(raw)
            problems.append(f"labels is {what}; the format has a list of Python int")
            labels = None
        if labels is not None and isinstance(data, np.ndarray) and data.ndim == 2 and len(labels) != len(data):
            problems.append(f"{len(labels)} labels for {len(data)} rows of data")
        if labels is not None and labels.size:
            bad = np.flatnonzero((labels < 1) | (labels > NUM_CLASSES))
            if bad.size:
                problems.append(
                    f"{bad.size} label(s) outside 1..{NUM_CLASSES} (first at row {bad[0]}: {labels[bad[0]]}); "
                    "the format has 1-based devkit IDs"
                )
    mean = content.get("mean")
    if "mean" in keys:
        if not isinstance(mean, np.ndarray) or mean.dtype.kind != "f" or (strict and mean.dtype != np.float64):
            problems.append(f"mean is {_describe(mean)}, not a float64 array")
        elif columns is not None and mean.shape != (columns,):
            problems.append(f"mean has shape {mean.shape}, data rows have {columns} values")
        elif not np.all((mean >= 0) & (mean <= 255)):
            problems.append("mean has values outside 0..255 (or NaN)")
    if problems:
        return None, problems
    assert isinstance(data, np.ndarray) and labels is not None
    average = None if mean is None else np.ascontiguousarray(mean, dtype=np.float64)
    return Batch(np.ascontiguousarray(data), labels, average), []


def _load_content(source: DataFile, mmap: bool) -> tuple[Any, bool]:
    fmt = source.fmt
    with source.open() as stream:
        if fmt == "npz":
            return _read_npz(source, stream, mmap), False
        return _unpickle(stream, source.name, source.nbytes), True


def read_batch(path: PathArg | DataFile, *, mmap: bool = False, strict: bool = False) -> Batch:
    """Read and check one dataset file (pickle or .npz, told apart by content).

    Pickles are read with an unpickler that only rebuilds dicts, lists, numbers and numpy
    arrays; anything else raises :class:`UnsafePickleError` before it can run. ``.npz``
    files are read with ``allow_pickle=False``. With ``mmap=True`` the pixels of an
    uncompressed .npz on disk are memory-mapped (read-only) instead of read. Any
    problem raises :class:`FormatError` naming the file and every problem found.
    """
    source = path if isinstance(path, DataFile) else DataFile(as_path(path))
    content, pickled = _load_content(source, mmap)
    try:
        batch, problems = _check_content(content, pickled=pickled, strict=strict)
    except MemoryError:
        raise FormatError(f"{source.name}: arrays too large for memory (corrupt shapes?)") from None
    if batch is None:
        raise FormatError(f"{source.name}: " + "; ".join(problems))
    return batch

