"""Dataset files exactly as the original scripts wrote them, made with plain numpy and
pickle only (no imagenet32 code), for the reader, loader, checker and viewer tests."""

from __future__ import annotations

import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Published:
    """The arrays behind a written dataset: train rows in file order, and val."""

    size: int
    train: np.ndarray
    train_labels: np.ndarray
    val: np.ndarray
    val_labels: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        # As image2numpy_imagenet_train.py: np.mean over all train rows.
        return np.mean(self.train, axis=0)

    def batches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The 10 train batches as the original script cut them."""
        step = len(self.train) // 10
        cuts = [i * step for i in range(10)] + [len(self.train)]
        return [(self.train[a:b], self.train_labels[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


def arrays(rng: np.random.Generator, size: int, n_train: int, n_val: int, all_classes: bool = False) -> Published:
    """Random pixels and labels; with ``all_classes`` every one of the 1000 labels appears in
    both splits (needs at least 1000 rows each)."""

    def labels(n: int) -> np.ndarray:
        if not all_classes:
            return rng.integers(1, 1001, n)
        return rng.permutation(np.concatenate([np.arange(1, 1001), rng.integers(1, 1001, n - 1000)]))

    columns = 3 * size * size
    return Published(
        size,
        rng.integers(0, 256, (n_train, columns), dtype=np.uint8),
        labels(n_train),
        rng.integers(0, 256, (n_val, columns), dtype=np.uint8),
        labels(n_val),
    )


def dump(path: Path, d: dict, protocol: int | None = None) -> None:
    with open(path, "wb") as f:
        pickle.dump(d, f) if protocol is None else pickle.dump(d, f, protocol=protocol)


class Python2Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Protocol 2 with bytes written as Python 2's str (BINSTRING), as numpy under Python 2
    pickled an array's data."""

    dispatch = dict(pickle._Pickler.dispatch)  # type: ignore[attr-defined]

    def save_python2_str(self, obj: bytes) -> None:
        self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_python2_str


def dump_python2(path: Path, d: dict) -> None:
    with open(path, "wb") as f:
        Python2Pickler(f, protocol=2).dump(d)


def write(folder: Path, p: Published, fmt: str = "pickle", train: bool = True, val: bool = True) -> Path:
    """The files of ``p`` in ``folder`` as published: train_data_batch_1..10 and val_data
    (pickles, Python's default protocol; or .npz)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".npz" if fmt == "npz" else ""
    files = []
    if train:
        for i, (data, labels) in enumerate(p.batches(), 1):
            content = {"data": data, "labels": labels.tolist(), "mean": p.mean}
            files.append((folder / f"train_data_batch_{i}{suffix}", content))
    if val:
        files.append((folder / f"val_data{suffix}", {"data": p.val, "labels": p.val_labels.tolist()}))
    for path, d in files:
        if fmt == "npz":
            np.savez(path, **d)
        else:
            dump(path, d)
    return folder


def zip_folder(folder: Path, archive: Path, prefix: str = "", compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip of the folder's files under ``prefix`` (like Imagenet32_train.zip)."""
    with zipfile.ZipFile(archive, "w", compression) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, prefix + f.name)
    return archive


def devkit_files(folder: Path, rng: np.random.Generator) -> list[str]:
    """A map_clsloc.txt of 1000 random WNIDs in a shuffled (not sorted) order; returns them."""
    folder.mkdir(parents=True, exist_ok=True)
    wnids = [f"n{n:08d}" for n in rng.choice(10**8, 1000, replace=False)]
    (folder / "map_clsloc.txt").write_text("".join(f"{w} {i} class_{i}\n" for i, w in enumerate(wnids, 1)))
    return wnids
