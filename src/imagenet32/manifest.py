"""What the ``manifest.json`` of an imagenet32 build records of the files it wrote.

A build writes ``OUT/manifest.json`` beside ``OUT/Imagenet{S}_{split}/`` (with several
filters, beside ``OUT/<filter>/Imagenet{S}_{split}/``): among other things the label order
of every file (devkit IDs, the format's, or sorted-WNID IDs with ``--labels sorted``) and
each file's sha256. The files themselves cannot say which order they hold, so the readers
look for the manifest two and three folders up from a file, and take it only when it is an
imagenet32 manifest that lists that very file. Files with no such manifest (the published
ones) hold devkit IDs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
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


@lru_cache(maxsize=16)
def _read(path: str, _mtime_ns: int, _size: int) -> tuple[str, dict[str, str]] | None:
    """(label order, {file: sha256}) of an imagenet32 manifest; None for anything else.
    Keyed by the file's time and size too, so a manifest written again is read again."""
    try:
        with open(path, "rb") as f:
            content = json.loads(f.read(_MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or not str(content.get("tool", "")).startswith("imagenet32 "):
        return None
    order, digests = content.get("labels"), content.get("sha256")
    if order not in LABEL_ORDERS or not isinstance(digests, dict):
        return None
    return order, {name: digest for name, digest in digests.items() if isinstance(name, str) and _is_digest(digest)}


def _manifest(folder: Path) -> tuple[str, dict[str, str]] | None:
    path = folder / MANIFEST
    try:
        info = path.stat()
    except OSError:
        return None
    if not path.is_file() or info.st_size > _MAX_BYTES:
        return None
    return _read(str(path), info.st_mtime_ns, info.st_size)


def recorded(source: DataFile) -> Recorded | None:
    """What the manifest of the build that wrote ``source`` records of it; None when no
    imagenet32 manifest two or three folders up lists it (zip members: never)."""
    if source.member is not None:
        return None
    path = Path(os.path.abspath(source.path))
    for root in path.parents[1:3]:
        found = _manifest(root)
        if found is None:
            continue
        order, digests = found
        digest = digests.get(path.relative_to(root).as_posix())
        if digest is not None:
            return Recorded(root / MANIFEST, order, digest)
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
