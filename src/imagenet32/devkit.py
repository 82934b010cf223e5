"""ImageNet class IDs and validation labels, from whatever metadata the user has.

The published Downsampled ImageNet files label images with the devkit's
ILSVRC2012_ID (1..1000, the order of ``map_clsloc.txt`` and ``meta.mat``), not
the sorted-WNID order of torchvision and Kaggle. :class:`Devkit` holds the
devkit order and converts between the two.

Accepted sources (a file, or a folder searched for them):

- ``map_clsloc.txt`` (``wnid id name`` lines) and, for validation labels,
  ``ILSVRC2012_validation_ground_truth.txt`` or
  ``ILSVRC2015_clsloc_validation_ground_truth.txt`` (line i: the devkit ID of
  val image i), optionally with ``val.txt`` (``name index`` lines);
- the ILSVRC2012 devkit folder or its ``.tar.gz`` (``data/meta.mat``,
  ``data/ILSVRC2012_validation_ground_truth.txt``);
- Kaggle's ``LOC_val_solution.csv`` for validation labels (with a class map
  from one of the above, or ``LOC_synset_mapping.txt`` for sorted labels only).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import matfile

__all__ = ["LABEL_ORDERS", "ORDER_NAMES", "Devkit", "DevkitError", "is_wnid", "load_devkit", "val_number"]

# The two orders of class IDs: the devkit's (map_clsloc.txt, meta.mat; the published files')
# and sorted WNIDs (torchvision's ImageFolder, Kaggle's).
LABEL_ORDERS = ("devkit", "sorted")
ORDER_NAMES = {"devkit": "devkit", "sorted": "sorted-WNID"}  # as messages name them

CLASS_MAP = "map_clsloc.txt"
GROUND_TRUTHS = ("ILSVRC2012_validation_ground_truth.txt", "ILSVRC2015_clsloc_validation_ground_truth.txt")
VAL_INDEX = "val.txt"
META_MAT = "meta.mat"
KAGGLE_SOLUTION = "LOC_val_solution.csv"
KAGGLE_SYNSETS = "LOC_synset_mapping.txt"

_VAL_NAME = re.compile(r"ILSVRC2012_val_([0-9]{8})(?:\.[A-Za-z0-9]+)?")  # the whole name, an extension or none
VAL_IMAGES = 50_000  # ILSVRC2012's validation images, one ground-truth line each
_MAX_METADATA_BYTES = 64 << 20  # the largest devkit file (LOC_val_solution.csv) is 2 MB


class DevkitError(ValueError):
    """Metadata that is missing, malformed or inconsistent."""


def val_number(name: str) -> int | None:
    """The number of a validation image from its file name (ILSVRC2012_val_00000001.JPEG -> 1);
    None for any other name (a copy such as "ILSVRC2012_val_00000001 (1).JPEG" too)."""
    match = _VAL_NAME.fullmatch(name)
    return int(match[1]) if match else None


@dataclass(frozen=True)
class Devkit:
    """The 1000 classes in devkit order, and validation labels when known.

    ``wnids[i]`` and ``names[i]`` belong to devkit ID ``i + 1``. ``val_labels``
    maps the number of a validation image (1..50000) to its devkit ID.
    ``has_devkit_ids`` is False when only sorted-WNID order is known (Kaggle's
    synset mapping), so devkit IDs cannot be written.
    """

    wnids: tuple[str, ...]
    names: tuple[str, ...]
    val_labels: dict[int, int] = field(default_factory=dict)
    has_devkit_ids: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.wnids) != len(self.names):
            raise DevkitError("class map: WNIDs and names differ in number")
        where = self.source or "class map"
        twice = next((w for w, n in Counter(self.wnids).items() if n > 1), None)
        if twice is not None:
            raise DevkitError(f"{where}: WNID {twice} appears twice")
        bad = [w for w in self.wnids if not is_wnid(w)]
        if bad:
            raise DevkitError(f"{where}: {bad[0]!r} is not a WNID (n + 8 digits)")

    @property
    def num_classes(self) -> int:
        return len(self.wnids)

    def devkit_id(self, wnid: str) -> int:
        """The 1-based devkit ID of a WNID."""
        try:
            return self._index[wnid] + 1
        except KeyError:
            raise DevkitError(f"{wnid} is not one of the {self.num_classes} classes of {self.source}") from None

    @property
    def _index(self) -> dict[str, int]:
        cached = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {w: i for i, w in enumerate(self.wnids)}
            object.__setattr__(self, "_index_cache", cached)
        return cached

    def sorted_ids(self) -> np.ndarray:
        """Array s with s[devkit_id] = the 1-based sorted-WNID ID (s[0] unused)."""
        order = np.argsort(np.array(self.wnids))  # sorted position -> devkit index
        ranks = np.empty(len(order) + 1, dtype=np.int64)
        ranks[0] = 0
        ranks[order + 1] = np.arange(1, len(order) + 1)
        return ranks

    def to_sorted(self, devkit_ids: np.ndarray) -> np.ndarray:
        """1-based devkit IDs -> 1-based sorted-WNID IDs."""
        return self.sorted_ids()[np.asarray(devkit_ids)]

    def to_devkit(self, sorted_ids: np.ndarray) -> np.ndarray:
        """1-based sorted-WNID IDs -> 1-based devkit IDs."""
        inverse = np.empty_like(self.sorted_ids())
        inverse[self.sorted_ids()] = np.arange(len(inverse))
        return inverse[np.asarray(sorted_ids)]

    def relabel(self, stored: str, wanted: str) -> np.ndarray:
        """Array m with m[i] = the 1-based ID in ``wanted`` order of the class whose 1-based ID
        in ``stored`` order is i (m[0] unused); each order "devkit" or "sorted"."""
        if stored == wanted:
            return np.arange(self.num_classes + 1, dtype=np.int64)
        if (stored, wanted) == ("devkit", "sorted"):
            return self.sorted_ids()
        return self.to_devkit(np.arange(self.num_classes + 1))

    def val_label(self, name: str) -> int:
        """The devkit ID of a validation image, from its file name."""
        number = val_number(name)
        if number is None:
            raise DevkitError(f"{name}: not an ILSVRC2012_val_XXXXXXXX file name")
        try:
            return self.val_labels[number]
        except KeyError:
            raise DevkitError(f"{name}: no validation label in {self.source}") from None


def _is_id(text: str) -> bool:
    """ASCII digits only (str.isdigit also takes characters such as '²' that int() refuses)."""
    return text.isascii() and text.isdigit()


def is_wnid(name: str) -> bool:
    """A WordNet ID as ImageNet names classes: 'n' and eight digits (n01440764)."""
    return len(name) == 9 and name[0] == "n" and _is_id(name[1:])


def _bytes(content: bytes | Path) -> bytes:
    """A metadata file's bytes (already read from an archive, or read now); one far larger
    than any devkit file is refused unread."""
    if not isinstance(content, Path):
        return content
    path = content
    try:
        size = path.stat().st_size
        if size > _MAX_METADATA_BYTES:
            raise DevkitError(f"{path}: {size} bytes, too large for a devkit file")
        return path.read_bytes()
    except OSError as error:
        raise DevkitError(f"{path}: cannot read ({error})") from None


def _lines(text: str, source: str) -> list[str]:
    """Lines as the devkit's files have them: split at line ends of any system (LF, CR LF, an
    old Mac's CR) only, since a name may hold other line breaks Python knows; without a
    byte-order mark and without the blank lines a file may end with. An empty file is refused:
    it is a copy gone wrong, not metadata."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DevkitError(f"{source}: empty")
    return lines


def _shown(line: str, limit: int = 80) -> str:
    """A line as an error message quotes it: whole when short."""
    return repr(line) if len(line) <= limit else f"{line[:limit]!r}... ({len(line)} characters)"


def parse_class_map(text: str, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``wnid id name`` lines (map_clsloc.txt): WNIDs and names in ID order."""
    entries: dict[int, tuple[str, str]] = {}
    lines: dict[str, int] = {}  # WNID -> its line
    for number, line in enumerate(_lines(text, source), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 2 or not _is_id(parts[1]):
            raise DevkitError(f"{source}:{number}: expected 'wnid id name', got {_shown(line)}")
        wnid, ident = parts[0], int(parts[1])
        if ident in entries:
            raise DevkitError(f"{source}:{number}: ID {ident} appears twice")
        if not is_wnid(wnid):
            raise DevkitError(f"{source}:{number}: {wnid!r} is not a WNID (n + 8 digits)")
        if wnid in lines:
            raise DevkitError(f"{source}:{number}: WNID {wnid} appears twice (line {lines[wnid]} too)")
        lines[wnid] = number
        entries[ident] = (wnid, parts[2].strip() if len(parts) > 2 else wnid)
    if sorted(entries) != list(range(1, len(entries) + 1)):
        raise DevkitError(f"{source}: IDs must be 1..{len(entries)} with none missing")
    return tuple(entries[i][0] for i in sorted(entries)), tuple(entries[i][1] for i in sorted(entries))


def parse_ground_truth(text: str, source: str, num_classes: int) -> list[int]:
    """One devkit ID per line, line i for validation image i."""
    labels = []
    for number, line in enumerate(_lines(text, source), 1):
        value = line.strip()
        if not _is_id(value) or not 1 <= int(value) <= num_classes:
            raise DevkitError(f"{source}:{number}: expected a class ID 1..{num_classes}, got {_shown(line)}")
        labels.append(int(value))
    return labels


def parse_val_index(text: str, source: str, truth_lines: int | None = None) -> dict[int, int]:
    """``val.txt``: ``ILSVRC2012_val_XXXXXXXX index`` lines -> {image number: ground-truth line},
    each line given to one image, and within 1..``truth_lines`` when given."""
    out: dict[int, int] = {}
    given: dict[int, int] = {}  # ground-truth line -> the val.txt line giving it
    for number, line in enumerate(_lines(text, source), 1):
        parts = line.split()
        if not parts:
            continue
        image = val_number(parts[0])
        if image is None or len(parts) != 2 or not _is_id(parts[1]):
            raise DevkitError(f"{source}:{number}: expected 'ILSVRC2012_val_XXXXXXXX index', got {_shown(line)}")
        if image in out:
            raise DevkitError(f"{source}:{number}: image {image} listed twice")
        index = int(parts[1])
        if truth_lines is not None and not 1 <= index <= truth_lines:
            raise DevkitError(f"{source}:{number}: index {index} is outside the ground truth's {truth_lines} lines")
        if index in given:
            raise DevkitError(f"{source}:{number}: ground-truth line {index} given to a second image "
                              f"(line {given[index]} too)")
        out[image], given[index] = index, number
    return out


def parse_kaggle_solution(text: str, source: str, classes: dict[str, int]) -> dict[int, int]:
    """``LOC_val_solution.csv``: {image number: ``classes[wnid]``}, the WNID of the boxes in
    PredictionString (``wnid x y x y`` for each box; all of one class)."""
    out: dict[int, int] = {}
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:2]] != ["ImageId", "PredictionString"]:
        raise DevkitError(f"{source}: expected the header 'ImageId,PredictionString'")
    rows = enumerate(reader, 2)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            raise DevkitError(f"{source}: not a readable CSV ({error})") from None
        if not row:
            continue
        image = val_number(row[0])
        wnid = row[1].split()[0] if len(row) > 1 and row[1].split() else ""
        if image is None or not is_wnid(wnid):
            raise DevkitError(f"{source}:{number}: expected 'ILSVRC2012_val_XXXXXXXX,nXXXXXXXX ...', "
                              f"got {_shown(','.join(row))}")
        others = sorted({w for w in row[1].split() if is_wnid(w)} - {wnid})
        if others:
            raise DevkitError(f"{source}:{number}: boxes of two classes ({wnid} and {others[0]}) for one image")
        if image in out:
            raise DevkitError(f"{source}:{number}: image {image} listed twice")
        if wnid not in classes:
            raise DevkitError(f"{source}:{number}: {wnid} is not in the class map")
        out[image] = classes[wnid]
    if not out:
        raise DevkitError(f"{source}: no images (only a header)")
    return out


def parse_kaggle_synsets(text: str, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``LOC_synset_mapping.txt``: ``wnid name`` lines in sorted-WNID order."""
    wnids, names = [], []
    lines: dict[str, int] = {}  # WNID -> its line
    for number, line in enumerate(_lines(text, source), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if not is_wnid(parts[0]):
            raise DevkitError(f"{source}:{number}: expected 'wnid name', got {_shown(line)}")
        if parts[0] in lines:
            raise DevkitError(f"{source}:{number}: WNID {parts[0]} appears twice (line {lines[parts[0]]} too)")
        lines[parts[0]] = number
        wnids.append(parts[0])
        names.append(parts[1].strip() if len(parts) > 1 else parts[0])
    return tuple(wnids), tuple(names)


def parse_meta_mat(data: bytes, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The devkit's ``meta.mat``: the synsets with ILSVRC2012_ID 1..1000, in ID order."""
    try:
        synsets = matfile.load(data, only=("synsets",))["synsets"]
    except (matfile.MatFileError, KeyError) as error:
        raise DevkitError(f"{source}: not an ILSVRC2012 meta.mat ({error})") from None
    if not isinstance(synsets, list) or not all(isinstance(r, dict) for r in synsets):
        raise DevkitError(f"{source}: synsets is not a struct array")

    def whole(value: Any, what: str) -> int:
        if isinstance(value, (int, float)) and float(value).is_integer():
            return int(value)
        raise DevkitError(f"{source}: a synset's {what} is {value!r:.40}, not a whole number")

    leaves = {}
    for record in synsets:
        if not {"ILSVRC2012_ID", "WNID", "words"} <= set(record):
            raise DevkitError(f"{source}: synsets lack ILSVRC2012_ID, WNID or words")
        ident = whole(record["ILSVRC2012_ID"], "ILSVRC2012_ID")
        if whole(record.get("num_children", 0), "num_children") == 0:
            if ident in leaves:
                raise DevkitError(f"{source}: two leaf synsets have ILSVRC2012_ID {ident}")
            leaves[ident] = (str(record["WNID"]), str(record["words"]))
    if sorted(leaves) != list(range(1, len(leaves) + 1)) or not leaves:
        raise DevkitError(f"{source}: leaf synsets must have IDs 1..N")
    ids: dict[str, int] = {}
    for ident, (wnid, _) in sorted(leaves.items()):
        if not is_wnid(wnid):
            raise DevkitError(f"{source}: synset {ident}'s WNID {wnid!r:.40} is not a WNID (n + 8 digits)")
        if wnid in ids:
            raise DevkitError(f"{source}: WNID {wnid} appears twice (ILSVRC2012_IDs {ids[wnid]} and {ident})")
        ids[wnid] = ident
    return tuple(leaves[i][0] for i in sorted(leaves)), tuple(leaves[i][1] for i in sorted(leaves))


_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_WANTED = frozenset((CLASS_MAP, VAL_INDEX, META_MAT, KAGGLE_SOLUTION, KAGGLE_SYNSETS, *GROUND_TRUTHS))


def _from_archive(path: Path) -> dict[str, tuple[str, bytes | Path]]:
    found: dict[str, tuple[str, bytes | Path]] = {}
    try:
        with tarfile.open(path) as archive:  # any compression tarfile knows
            for member in archive.getmembers():
                name = Path(member.name).name
                if name not in _WANTED or not (member.isfile() or member.issym() or member.islnk()):
                    continue
                if name in found:
                    raise DevkitError(f"{path}: two {name} ({found[name][0]} and {member.name}); give the one to use")
                try:
                    extracted = archive.extractfile(member)  # a link: its target, when the archive holds it
                except KeyError:  # a link to a file the archive does not hold
                    extracted = None
                if extracted is None:
                    raise DevkitError(f"{path}: {member.name} links to {member.linkname!r}, not in the archive")
                data = extracted.read(_MAX_METADATA_BYTES + 1)
                if len(data) > _MAX_METADATA_BYTES:
                    raise DevkitError(f"{path}: {member.name} is {max(member.size, len(data))} bytes, too large "
                                      "for a devkit file")
                found[name] = (member.name, data)
            # To the end, so that a compressed archive's checksum is checked.
            while archive.fileobj is not None and archive.fileobj.read(1 << 20):
                pass
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DevkitError(f"{path}: cannot read the archive ({type(error).__name__}: {error})") from None
    return found


def _from_folder(path: Path) -> dict[str, tuple[str, bytes | Path]]:
    """The metadata files anywhere below a folder, linked folders included (each once)."""
    found: dict[str, tuple[str, bytes | Path]] = {}
    seen: set[tuple[int, int]] = set()  # (device, inode) of the folders walked: links may loop

    def refuse(error: OSError) -> None:
        raise DevkitError(f"{error.filename}: cannot look inside ({error.strerror or error})")

    for folder, subfolders, names in os.walk(path, onerror=refuse, followlinks=True):
        info = os.stat(folder)
        if (info.st_dev, info.st_ino) in seen:
            subfolders.clear()
            continue
        seen.add((info.st_dev, info.st_ino))
        subfolders.sort()
        for name in sorted(set(names) & _WANTED):
            candidate = Path(folder, name)
            if not candidate.is_file():
                continue
            if name in found:
                raise DevkitError(f"{path}: two {name} ({found[name][0]} and {candidate}); give the one to use")
            found[name] = (str(candidate), candidate)
    return found


def _files_of(path: Path) -> dict[str, tuple[str, bytes | Path]]:
    """The metadata files in a file, under a folder or inside a tar archive: base name ->
    (where it is, for messages; the file, or its bytes from an archive)."""
    if path.is_file() and path.name.lower().endswith(_ARCHIVES):
        return _from_archive(path)
    if path.is_file():
        if path.name not in _WANTED:
            raise DevkitError(f"{path}: not a known metadata file ({', '.join(sorted(_WANTED))}) "
                              f"nor an archive ({', '.join(_ARCHIVES)})")
        return {path.name: (str(path), path)}
    if path.is_dir():
        return _from_folder(path)
    raise DevkitError(f"{path}: no such file or folder")


def load_devkit(*paths: str | Path) -> Devkit:
    """A :class:`Devkit` from one or more metadata files, folders or devkit archives."""
    if not paths:
        raise DevkitError("no devkit path given")
    files: dict[str, tuple[str, bytes | Path]] = {}
    for p in paths:
        for name, (where, content) in _files_of(Path(p)).items():
            if name in files and files[name][0] != where and _bytes(files[name][1]) != _bytes(content):
                raise DevkitError(f"two different {name} ({files[name][0]} and {where}); give the one to use")
            files.setdefault(name, (where, content))
    truths = [n for n in GROUND_TRUTHS if n in files]
    if len(truths) > 1:
        raise DevkitError(f"two ground truths ({files[truths[0]][0]} and {files[truths[1]][0]}); give the one to use")

    def data(name: str) -> bytes:
        return _bytes(files[name][1])

    def text(name: str) -> str:
        try:
            return data(name).decode("utf-8")
        except UnicodeDecodeError:
            raise DevkitError(f"{files[name][0]}: not UTF-8 text") from None

    def where(name: str) -> str:
        return files[name][0]

    source = ", ".join(str(p) for p in paths)
    if CLASS_MAP in files:
        wnids, names = parse_class_map(text(CLASS_MAP), where(CLASS_MAP))
        has_ids = True
    elif META_MAT in files:
        wnids, names = parse_meta_mat(data(META_MAT), where(META_MAT))
        has_ids = True
    elif KAGGLE_SYNSETS in files:
        wnids, names = parse_kaggle_synsets(text(KAGGLE_SYNSETS), where(KAGGLE_SYNSETS))
        has_ids = False
    else:
        raise DevkitError(f"{source}: no class map found (need {CLASS_MAP}, {META_MAT} or {KAGGLE_SYNSETS})")

    val_labels: dict[int, int] = {}
    truth_name = truths[0] if truths else None
    if truth_name is not None:
        if not has_ids:
            raise DevkitError(f"{where(truth_name)} holds devkit IDs, which {KAGGLE_SYNSETS} (sorted-WNID order) does not "
                              f"give: add {CLASS_MAP} or {META_MAT}, or take the val labels from {KAGGLE_SOLUTION}")
        truth = parse_ground_truth(text(truth_name), where(truth_name), len(wnids))
        # Short files (tests, subsets) are taken as given; near ILSVRC's length a line may have been lost.
        if len(truth) > VAL_IMAGES or VAL_IMAGES - len(truth) in range(1, VAL_IMAGES // 10 + 1):
            raise DevkitError(f"{where(truth_name)}: {len(truth)} lines, where ILSVRC2012's has {VAL_IMAGES}: a line "
                              "missing or added would shift every later label")
        if VAL_INDEX in files:
            for image, line in parse_val_index(text(VAL_INDEX), where(VAL_INDEX), len(truth)).items():
                val_labels[image] = truth[line - 1]
        else:
            val_labels = {i: label for i, label in enumerate(truth, 1)}
    elif KAGGLE_SOLUTION in files:
        position = {w: i + 1 for i, w in enumerate(wnids)}
        val_labels = parse_kaggle_solution(text(KAGGLE_SOLUTION), where(KAGGLE_SOLUTION), position)
    return Devkit(wnids, names, val_labels, has_ids, source)
