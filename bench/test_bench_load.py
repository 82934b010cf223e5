"""Loading one train batch and all of val, as NCHW uint8 and as float32, against the
seed's recipe (plain ``pickle.load``, ``np.dstack``, reshape), side by side.

Files are synthetic Imagenet32 pickles of the published sizes (a train batch of 128,116
rows, val of 50,000), written once and then read from the page cache: the timings are of
parsing and converting, not of the disk. ``IMAGENET32_BENCH_SIZE`` (default 32) and
``IMAGENET32_BENCH_ROWS`` (train,val; default 128116,50000) change the files; a smoke
run (``--benchmark-disable``) uses a few hundred rows.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from seed_recipe import seed_load_databatch, seed_nchw_float32, seed_nhwc_uint8, seed_unpickle

from imagenet32 import load, load_databatch


@pytest.fixture(scope="module")
def files(tmp_path_factory, smoke):
    size = int(os.environ.get("IMAGENET32_BENCH_SIZE", "32"))
    rows = os.environ.get("IMAGENET32_BENCH_ROWS", "128116,50000").split(",")
    rows = (700, 300) if smoke else tuple(map(int, rows))
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("bench-load")
    mean = rng.random(3 * size * size) * 80 + 80
    for name, count in (("train_data_batch_1", rows[0]), ("val_data", rows[1])):
        d = {"data": rng.integers(0, 256, (count, 3 * size * size), dtype=np.uint8),
             "labels": rng.integers(1, 1001, count).tolist()}
        if name.startswith("train"):
            d["mean"] = mean
        with open(folder / name, "wb") as f:
            pickle.dump(d, f)
        del d
    return folder, size, mean


def run(benchmark, fn, *args, **kwargs):
    return benchmark.pedantic(fn, args=args, kwargs=kwargs, rounds=3, iterations=1, warmup_rounds=0)


def plain_nchw_uint8(path: Path, size: int) -> np.ndarray:
    """The least a reader can do, unsafely: pickle.load and a reshape (a view)."""
    return seed_unpickle(path)["data"].reshape(-1, 3, size, size)


# The seed had no NCHW uint8 recipe, so NCHW is set against a bare pickle.load and reshape.
@pytest.mark.parametrize(
    "layout, competitor",
    [("NCHW", "imagenet32"), ("NCHW", "pickle.load"), ("NHWC", "imagenet32"), ("NHWC", "seed")],
)
@pytest.mark.parametrize("split", ["train batch", "val"])
def test_uint8(benchmark, files, layout, competitor, split):
    folder, size, _ = files
    name, part = ("train_data_batch_1", "train") if split == "train batch" else ("val_data", "val")
    benchmark.group = f"{split}, uint8 {layout}"
    theirs = seed_nhwc_uint8 if layout == "NHWC" else plain_nchw_uint8
    ours = load(folder / name, part, layout=layout)
    assert np.array_equal(ours.images, theirs(folder / name, size))  # the same pixels, the same layout
    del ours
    if competitor == "imagenet32":
        run(benchmark, load, folder / name, part, layout=layout)
    else:
        run(benchmark, theirs, folder / name, size)


@pytest.mark.parametrize("competitor", ["imagenet32", "seed"])
@pytest.mark.parametrize("split", ["train batch", "val"])
def test_float32(benchmark, files, competitor, split):
    folder, size, mean = files
    name = "train_data_batch_1" if split == "train batch" else "val_data"
    benchmark.group = f"{split}, float32 NCHW, x / 255 - mean / 255"
    kwargs = {"dtype": "float32", "subtract_mean": True if split == "train batch" else mean}
    ours = load(folder / name, "train" if split == "train batch" else "val", **kwargs)
    assert np.array_equal(ours.images, seed_nchw_float32(folder / name, size, mean))  # bit for bit
    del ours
    if competitor == "imagenet32":
        run(benchmark, load, folder / name, "train" if split == "train batch" else "val", **kwargs)
    else:
        run(benchmark, seed_nchw_float32, folder / name, size, mean)


@pytest.mark.parametrize("competitor", ["imagenet32", "seed"])
def test_load_databatch(benchmark, files, competitor):
    folder, size, _ = files
    benchmark.group = "load_databatch: train batch, float32 NCHW with mirrored copies"
    ours, theirs = load_databatch(folder, 1, size), seed_load_databatch(folder, 1, size)
    assert all(np.array_equal(ours[k], theirs[k]) for k in ("X_train", "Y_train", "mean"))
    del ours, theirs
    run(benchmark, load_databatch if competitor == "imagenet32" else seed_load_databatch, folder, 1, size)
