"""A plain re-implementation of the original Downsampled ImageNet procedure,
for checking the builder. Per file: Image.open, convert("RGB") unless RGB (with
Pillow 4.1's CMYK formula when reproducing 4.1), a separate BOX resize per size
(the installed Pillow for 13.0, with any filter; the spec model validated on
real Pillow 4.1.1 outputs for 4.1), a PNG round trip, channel planes; then batches and np.mean.
It shares no code with imagenet32 except the order rule it must follow: class
folders in sorted-WNID order, names sorted, shuffled with
numpy.random.default_rng(seed).permutation; validation files in name order.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import reference
from PIL import Image


def class_map(devkit: Path) -> list[str]:
    lines = (devkit / "map_clsloc.txt").read_text().split("\n")
    entries = sorted((int(line.split()[1]), line.split()[0]) for line in lines if line.strip())
    return [wnid for _, wnid in entries]


def ground_truth(devkit: Path) -> list[int]:
    return [int(v) for v in (devkit / "ILSVRC2012_validation_ground_truth.txt").read_text().split()]


def to_rgb(path: Path, pillow: str) -> np.ndarray | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                im.load()
                if im.mode == "CMYK" and pillow == "4.1":
                    cmyk = np.asarray(im).astype(np.int32)
                    return np.clip(255 - (cmyk[..., :3] + cmyk[..., 3:]), 0, 255).astype(np.uint8)
                return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
    except Exception:
        return None


def downsample(rgb: np.ndarray, size: int, pillow: str, resample: str = "box") -> np.ndarray:
    if pillow == "4.1":
        assert resample == "box", "the spec model reproduces Pillow 4.1's BOX only"
        small = reference.resize(rgb, (size, size), pillow="4.1")
    else:
        small = np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling[resample.upper()]))
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, "PNG")
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


def rows_of(paths: list[Path], sizes: list[int], pillow: str, resample: str) -> tuple[dict[int, np.ndarray], list[int]]:
    rows: dict[int, list[np.ndarray]] = {s: [] for s in sizes}
    kept = []
    for i, path in enumerate(paths):
        rgb = to_rgb(path, pillow)
        if rgb is None:
            continue
        kept.append(i)
        for size in sizes:
            rows[size].append(downsample(rgb, size, pillow, resample).transpose(2, 0, 1).reshape(-1))
    return {s: np.array(r, dtype=np.uint8).reshape(len(kept), 3 * s * s) for s, r in rows.items()}, kept


def batch_bounds(n: int) -> list[tuple[int, int]]:
    per = n // 10
    return [(i * per, (i + 1) * per if i < 9 else n) for i in range(10)]


def original_datasets(train: Path, val: Path, devkit: Path, sizes: list[int], pillow: str, seed: int = 0,
                      sorted_labels: bool = False, resample: str = "box"):
    """{(size, 'train'|'val'): [(data, labels, mean or None), ...]} as the original procedure builds them."""
    wnids = class_map(devkit)
    relabel = {i + 1: i + 1 for i in range(len(wnids))}
    if sorted_labels:
        relabel = {i + 1: sorted(wnids).index(w) + 1 for i, w in enumerate(wnids)}
    files, labels = [], []
    for wnid in sorted(wnids):
        ident = wnids.index(wnid) + 1
        names = sorted(n for n in os.listdir(train / wnid) if not n.startswith("."))
        files += [train / wnid / n for n in names]
        labels += [ident] * len(names)
    order = np.random.default_rng(seed).permutation(len(files))
    files = [files[i] for i in order]
    labels = [relabel[labels[i]] for i in order]
    truth = ground_truth(devkit)
    val_files = sorted(val.iterdir())
    val_labels = [relabel[truth[int(p.stem.split("_")[-1]) - 1]] for p in val_files]
    out = {}
    train_rows, kept = rows_of(files, sizes, pillow, resample)
    val_rows, val_kept = rows_of(val_files, sizes, pillow, resample)
    for size in sizes:
        data = train_rows[size]
        mean = np.mean(data, axis=0)
        kept_labels = [labels[i] for i in kept]
        out[(size, "train")] = [(data[a:b], kept_labels[a:b], mean) for a, b in batch_bounds(len(data))]
        out[(size, "val")] = [(val_rows[size], [val_labels[i] for i in val_kept], None)]
    return out
