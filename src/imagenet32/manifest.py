"""What the ``manifest.json`` of an imagenet32 build records of the files it wrote.

A build writes ``OUT/manifest.json`` beside ``OUT/Imagenet{S}_{split}/`` (with several
filters, beside ``OUT/<filter>/Imagenet{S}_{split}/``): among other things the label order
of every file (devkit IDs, the format's, or sorted-WNID IDs with ``--labels sorted``) and
each file's sha256. The files themselves cannot say which order they hold, so the readers
look for the manifest two and three folders up from a file (where the file lies, if reached
through links; in the zip, for a zip of a build's folder), and take it only when it is an
imagenet32 manifest that lists that very file. Files with no such manifest (the published
ones) hold devkit IDs.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from .devkit import LABEL_ORDERS
from .formats import DataFile, FormatError

__all__ = ["MANIFEST", "Recorded", "label_order_of", "recorded"]

MANIFEST = "manifest.json"
_MAX_BYTES = 64 << 20  # far above any build's manifest; a larger file is not one


@dataclass(frozen=True)
class Recorded:
    """A file as its build's manifest records it."""

    manifest: Path
    label_order: str  # "devkit" or "sorted"
    sha256: str


def _is_digest(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _parse(data: bytes) -> tuple[str, dict[str, str]] | None:
    """(label order, {file: sha256}) of an imagenet32 manifest; None for anything else."""
    if len(data) > _MAX_BYTES:  # read one byte past the limit: larger than any manifest
        return None
    try:
        content = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not str(content.get("tool", "")).startswith("imagenet32 "):
        return None
    order, digests = content.get("labels"), content.get("sha256")
    if order not in LABEL_ORDERS or not isinstance(digests, dict):
        return None
    return order, {name: digest for name, digest in digests.items() if isinstance(name, str) and _is_digest(digest)}


# Read again only when the file changed (its time and size are part of the key).
@lru_cache(maxsize=16)
def _on_disk(path: str, _mtime_ns: int, _size: int) -> tuple[str, dict[str, str]] | None:
    try:
        with open(path, "rb") as f:
            return _parse(f.read(_MAX_BYTES + 1))
    except OSError:
        return None


@lru_cache(maxsize=16)
def _in_zip(archive: str, member: str, _mtime_ns: int, _size: int) -> tuple[str, dict[str, str]] | None:
    try:
        with DataFile(Path(archive), member).open() as stream:  # the readers' checks of a member
            return _parse(stream.read(_MAX_BYTES + 1))
    # No such member, or a damaged zip: no manifest.
    except (KeyError, FormatError, OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, RuntimeError):
        return None


def _manifest(archive: Path | None, folder: Path | PurePosixPath) -> tuple[str, dict[str, str]] | None:
    """The manifest in ``folder``: on disk, or within the zip ``archive``."""
    try:
        info = (archive if archive is not None else folder / MANIFEST).stat()
    except OSError:
        return None
    if archive is not None:
        return _in_zip(str(archive), str(folder / MANIFEST).removeprefix("./"), info.st_mtime_ns, info.st_size)
    if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
        return None
    return _on_disk(str(folder / MANIFEST), info.st_mtime_ns, info.st_size)


def recorded(source: DataFile) -> Recorded | None:
    """What the manifest of the build that wrote ``source`` records of it; None when no
    imagenet32 manifest two or three folders up lists it. A file reached through links is
    looked for where it lies too; a zip member in the zip (a zip of a build's folder)."""
    if source.member is not None:
        places: list[tuple[Path | None, PurePosixPath | Path]] = [(source.path, PurePosixPath(source.member))]
    else:
        given, real = Path(os.path.abspath(source.path)), Path(os.path.realpath(source.path))
        places = [(None, given)] + ([(None, real)] if real != given else [])
    for archive, path in places:
        for root in path.parents[1:3]:
            found = _manifest(archive, root)
            if found is None:
                continue
            order, digests = found
            digest = digests.get(path.relative_to(root).as_posix())
            if digest is not None:
                where = Path(f"{archive}:{root / MANIFEST}") if archive is not None else root / MANIFEST
                return Recorded(where, order, digest)
    return None


def label_order_of(files: Sequence[DataFile]) -> str:
    """The label order the files hold: "sorted" when their build's manifest says so, else
    the format's "devkit". Files of both orders together are a FormatError."""
    orders: dict[str, DataFile] = {}
    for source in files:
        entry = recorded(source)
        orders.setdefault(entry.label_order if entry is not None else "devkit", source)
    if len(orders) > 1:
        raise FormatError(
            f"{orders['sorted'].name} holds sorted-WNID IDs (its build's {MANIFEST} says so), "
            f"{orders['devkit'].name} devkit IDs: files of two datasets mixed?"
        )
    return next(iter(orders), "devkit")
