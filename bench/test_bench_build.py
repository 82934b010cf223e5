"""The whole build at all four sizes (--workers 1) against (a) Pillow merely
decoding the same files and (b) the original procedure (per size: decode,
resize, save a PNG file; then read the PNGs back, pack, mean, pickle the batches;
four runs), and the build's peak memory for 10x more images. Beside them, a floor: libjpeg-turbo
alone decoding the same files, which any exact build must do (ratios.py says how close the build
is to it, and how much faster than the original any exact build could be here)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import simplejpeg
from benchutil import photo_like
from PIL import Image

from imagenet32.build import build

SIZES = [64, 32, 16, 8]
SHAPES = [(500, 375), (375, 500), (500, 333), (500, 500), (333, 500)]


def make_tree(root: Path, count: int, shapes=SHAPES, quality: int = 90) -> tuple[Path, Path, list[Path]]:
    rng = np.random.default_rng(0)
    wnids = ["n01440764", "n01443537"]
    devkit = root / "devkit"
    devkit.mkdir(parents=True)
    (devkit / "map_clsloc.txt").write_text("".join(f"{w} {i} c{i}\n" for i, w in enumerate(wnids, 1)))
    files = []
    for i in range(count):
        folder = root / "train" / wnids[i % 2]
        folder.mkdir(parents=True, exist_ok=True)
        w, h = shapes[i % len(shapes)]
        path = folder / f"{wnids[i % 2]}_{i}.JPEG"
        Image.fromarray(photo_like(rng, h, w)).save(path, quality=quality)
        files.append(path)
    # Written back now, not during the first timed build: ext4 commits other files' dirty
    # data with a build's fsyncs.
    os.sync()
    return root / "train", devkit, files


@pytest.fixture(scope="module")
def tree(tmp_path_factory, smoke):
    return make_tree(tmp_path_factory.mktemp("jpegs"), 10 if smoke else 3000)


class FreshBuild:
    """A build into ``out``, whose previous build is removed first (untimed): rounds writing
    into ever more new folders got slower here (new blocks of the VM's disk, it seems)."""

    def __init__(self, train: Path, devkit: Path, out: Path, workers: int) -> None:
        self.train, self.devkit, self.out, self.workers = train, devkit, out, workers

    def setup(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)

    def __call__(self):
        return build(self.train, None, self.devkit, self.out, pillow="13.0", workers=self.workers, progress=False)


class OriginalProcedure:
    """The original scripts, one run per size as they were used: the resizer (open, convert
    unless RGB, BOX resize, save a PNG file per image into a folder per class), then
    image2numpy (read every PNG back, lay it out as three Python lists, stack the rows, take
    the mean, shuffle, pickle ten batches). They read the PNGs with imageio (scipy.misc
    before it), a layer over Pillow; this reads them with Pillow itself, which is no slower.
    The shuffle is the build's seeded one (the scripts' was unseeded), so that the files can be
    compared; ``setup`` removes the previous round's files, untimed, as ``FreshBuild`` does."""

    def __init__(self, files: list[Path], out: Path) -> None:
        self.files, self.out = files, out
        self.order = np.random.default_rng(0).permutation(len(files))

    def setup(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)

    def __call__(self) -> None:
        for size in SIZES:
            pngs = self.out / f"png{size}"
            for path in self.files:
                folder = pngs / path.parent.name
                folder.mkdir(parents=True, exist_ok=True)
                with Image.open(path) as im:
                    rgb = im if im.mode == "RGB" else im.convert("RGB")
                    rgb.resize((size, size), Image.Resampling.BOX).save(folder / f"{path.stem}.png")
            self.pack(pngs, self.out / f"Imagenet{size}_train")

    def pack(self, pngs: Path, out: Path) -> None:
        rows, labels = [], []
        for label, wnid in enumerate(sorted(os.listdir(pngs)), 1):  # the test devkit's IDs are in this order
            for name in sorted(os.listdir(pngs / wnid)):
                with Image.open(pngs / wnid / name) as png:
                    img = np.asarray(png)
                planes = list(img[:, :, 0].flatten()) + list(img[:, :, 1].flatten()) + list(img[:, :, 2].flatten())
                rows.append(np.array(planes, dtype=np.uint8))
                labels.append(label)
        x = np.vstack(rows)
        mean = np.mean(x, axis=0)
        out.mkdir(parents=True)
        per = len(x) // 10
        for i in range(10):
            part = self.order[i * per : (i + 1) * per if i < 9 else len(x)]
            with open(out / f"train_data_batch_{i + 1}", "wb") as f:
                pickle.dump({"data": x[part], "labels": np.array(labels)[part].tolist(), "mean": mean}, f)


def decode_only(files: list[Path]) -> int:
    total = 0
    for path in files:
        with Image.open(path) as im:
            total += im.convert("RGB").size[0]
    return total


def turbo_decode_only(files: list[Path]) -> int:
    """The least any exact build does per file: read it and decode it whole with libjpeg-turbo,
    with Pillow's settings (a BOX average of the RGB pixels needs every one of them)."""
    total = 0
    for path in files:
        rgb = simplejpeg.decode_jpeg(path.read_bytes(), colorspace="RGB", fastdct=False, fastupsample=False)
        total += rgb.shape[1]
    return total


class Paired:
    """Times ``other`` next to each round of a benchmark, untimed by it (before the round in even
    rounds, after it in odd ones), so that each round has the other's time from the same minute:
    this VM has slow phases lasting minutes, which separate benchmarks catch on one side only."""

    def __init__(self, other, prepare=None, setup=None) -> None:
        self.other, self.prepare, self.round_setup = other, prepare, setup
        self.times: list[float] = []
        self.finished = 0

    def time_other(self) -> None:
        if self.prepare:
            self.prepare()
        start = time.perf_counter()
        self.other()
        self.times.append(time.perf_counter() - start)

    def setup(self) -> None:
        if self.round_setup:
            self.round_setup()
        if self.finished % 2 == 0:
            self.time_other()

    def teardown(self) -> None:
        if self.finished % 2 == 1:
            self.time_other()
        self.finished += 1

    def record(self, benchmark, other: str, ours_is_other: bool) -> None:
        """extra_info: both sides' rounds, and the median over rounds of the competitor's time
        over imagenet32's (what ratios.py prints as 'imagenet32 is Nx faster')."""
        if not benchmark.stats:  # None in a smoke run
            return
        rounds = benchmark.stats.stats.data
        pairs = zip(rounds, self.times) if ours_is_other else zip(self.times, rounds)  # (theirs, ours)
        benchmark.extra_info["paired"] = {
            "with": other, "rounds (s)": [round(t, 3) for t in rounds], "its rounds (s)": [round(t, 3) for t in self.times],
            "imagenet32 is": statistics.median(theirs / ours for theirs, ours in pairs),
        }


@pytest.mark.parametrize("competitor", ["imagenet32", "pillow-decode-only", "original-procedure", "libjpeg-turbo-decode-only"])
def test_build_all_four_sizes(benchmark, tree, tmp_path, competitor, smoke):
    train, devkit, files = tree
    benchmark.group = f"build Imagenet64/32/16/8 from {len(files)} ImageNet-shaped JPEGs, 1 worker"
    benchmark.extra_info["images"] = len(files)
    build_run = FreshBuild(train, devkit, tmp_path / "out", workers=1)
    if not competitor.endswith("decode-only"):
        build_run()  # warm up: Numba compiles the packing once per process
    if competitor == "imagenet32":
        paired = Paired(lambda: decode_only(files), setup=build_run.setup)
        benchmark.pedantic(build_run, setup=paired.setup, teardown=paired.teardown, rounds=5, iterations=1)
        paired.record(benchmark, "pillow-decode-only", ours_is_other=False)
    elif competitor == "pillow-decode-only":
        benchmark.pedantic(decode_only, args=(files,), rounds=5, iterations=1)
    elif competitor == "libjpeg-turbo-decode-only":
        benchmark.pedantic(turbo_decode_only, args=(files,), rounds=5, iterations=1)
    else:
        # Three rounds (a round has taken 22 to 33 s here): the ratio rests on their median.
        run = OriginalProcedure(files, tmp_path / "original")
        paired = Paired(build_run, prepare=build_run.setup, setup=run.setup)
        benchmark.pedantic(run, setup=paired.setup, teardown=paired.teardown, rounds=1 if smoke else 3, iterations=1)
        paired.record(benchmark, "imagenet32", ours_is_other=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_build_scales_with_workers(benchmark, tree, tmp_path, workers):
    """The same build on one worker and on two (this machine has two cores)."""
    train, devkit, files = tree
    benchmark.group = f"build from {len(files)} JPEGs by --workers"
    run = FreshBuild(train, devkit, tmp_path / "out", workers=workers)
    run()  # warm up: Numba's cache, the page cache
    benchmark.pedantic(run, setup=run.setup, rounds=3, iterations=1)


def test_the_build_equals_the_original_procedure(tree, tmp_path):
    """What the benchmark times is the same work: identical files (rows in the seeded order,
    labels, mean)."""
    train, devkit, files = tree
    build(train, None, devkit, tmp_path / "ds", pillow="13.0", workers=1, progress=False)
    OriginalProcedure(files, tmp_path / "original")()
    for size in SIZES:
        for i in range(1, 11):
            batches = []
            for root in (tmp_path / "ds", tmp_path / "original"):
                with open(root / f"Imagenet{size}_train" / f"train_data_batch_{i}", "rb") as f:
                    batches.append(pickle.load(f))
            ours, theirs = batches
            assert np.array_equal(ours["data"], theirs["data"])
            assert ours["labels"] == theirs["labels"]
            assert np.array_equal(ours["mean"], theirs["mean"])


PEAK = """
import json, resource, sys
from imagenet32.build import build
build(sys.argv[1], None, sys.argv[2], sys.argv[3], workers=1, progress=False)
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def test_peak_memory_does_not_grow_with_images(tmp_path, smoke):
    """Peak RSS of whole builds (in their own process) of N and 10 N small JPEGs."""
    counts = (200, 2000) if smoke else (10_000, 100_000)
    peaks = {}
    for count in counts:
        train, devkit, _ = make_tree(tmp_path / f"t{count}", count, shapes=[(64, 48), (48, 64)], quality=80)
        out = subprocess.run([sys.executable, "-c", PEAK, str(train), str(devkit), str(tmp_path / f"o{count}")],
                             check=True, capture_output=True, text=True)
        peaks[count] = json.loads(out.stdout) / 1024  # MiB
    print(f"\npeak RSS (MiB) by image count: {peaks}")
    small, large = peaks[counts[0]], peaks[counts[1]]
    # 10x the images: pixel data never accumulates; what remains per image is its path and label.
    assert large < small * 1.5 + 32, peaks
