"""The builder: its files equal the original procedure's, whatever the worker
count or interruptions; bad files are skipped and listed; bad setups are
errors before any work."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import INSTALLED, LOSSLESS_5_BIT, segment
from original import original_datasets
from PIL import Image

from imagenet32 import formats
from imagenet32.build import BuildError, build
from imagenet32.cli import main
from imagenet32.decode import DecodeError
from imagenet32.demo import make_demo_tree

SIZES = [8, 16, 32, 64]


def write_bomb_png(path: Path, side: int = 40000) -> None:
    """A tiny PNG that declares a huge image: Pillow refuses to open it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) +
                     chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The demo tree plus every other kind of bad file."""
    root = tmp_path_factory.mktemp("imagenet")
    t = make_demo_tree(root, seed=3)
    folder = t.train / "n02100735"
    (folder / "empty.JPEG").write_bytes(b"")
    (folder / "notes.JPEG").write_text("not an image")
    write_bomb_png(folder / "bomb.JPEG")
    p = folder / "palette.JPEG"
    Image.new("P", (50, 40), 3).save(p, "PNG")  # a palette PNG named .JPEG
    Image.new("LA", (31, 17), (90, 200)).save(t.train / "n01440764" / "alpha.JPEG", "PNG")
    # JPEGs libjpeg-turbo decodes and Pillow's own parser refuses (skipped, as the original could
    # not read them), and ones it takes after a look (EXIF, ICC, progressive).
    photo = np.random.default_rng(4).integers(0, 256, (45, 61, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=85)
    jpeg = buffer.getvalue()
    (folder / "tem.JPEG").write_bytes(jpeg[:2] + b"\xff\x01" + jpeg[2:])
    (folder / "short_jfif.JPEG").write_bytes(jpeg[:2] + segment(0xE0, b"JFIF\0\x01") + jpeg[2:])
    (folder / "lossless5.JPEG").write_bytes(LOSSLESS_5_BIT)
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    Image.fromarray(photo).save(folder / "exif.JPEG", "JPEG", exif=exif.tobytes(), icc_profile=b"\0" * 3000)
    Image.fromarray(photo[::-1]).save(t.val / "ILSVRC2012_val_00000001.JPEG", "JPEG", progressive=True)
    return t


def read_file(path: Path) -> dict:
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    with open(path, "rb") as f:
        return pickle.load(f)


def built_batches(out: Path, size: int, split: str, fmt: str = "pickle") -> list[dict]:
    suffix = ".npz" if fmt == "npz" else ""
    if split == "val":
        return [read_file(out / f"Imagenet{size}_val" / f"val_data{suffix}")]
    return [read_file(out / f"Imagenet{size}_train" / f"train_data_batch_{i}{suffix}") for i in range(1, 11)]


def assert_same_as_original(out: Path, tree, pillow: str, fmt: str = "pickle", sorted_labels: bool = False,
                            resample: str = "box") -> None:
    expected = original_datasets(tree.train, tree.val, tree.devkit, SIZES, pillow, sorted_labels=sorted_labels,
                                 resample=resample)
    for size in SIZES:
        for split in ("train", "val"):
            got = built_batches(out, size, split, fmt)
            want = expected[(size, split)]
            assert len(got) == len(want)
            for g, (data, labels, mean) in zip(got, want):
                assert g["data"].dtype == np.uint8 and g["data"].shape == data.shape
                assert np.array_equal(g["data"], data), (size, split)
                assert list(np.asarray(g["labels"])) == labels
                if mean is None:
                    assert "mean" not in g
                else:
                    assert g["mean"].dtype == np.float64 and np.array_equal(g["mean"], mean)


@pytest.fixture(scope="module")
def built_41(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "ds"
    report = build(tree.train, tree.val, tree.devkit, out, pillow="4.1", workers=2, progress=False)
    return out, report


def test_pillow_41_build_equals_the_original_procedure(tree, built_41):
    out, report = built_41
    assert_same_as_original(out, tree, "4.1")
    assert report.counts == {"train": 43, "val": 10}
    assert report.skipped == {"train": 7, "val": 0}


@pytest.mark.skipif(INSTALLED != "13.0", reason="the 13.0 reference is the installed Pillow 13.0")
def test_pillow_13_build_equals_the_original_procedure(tree, tmp_path):
    build(tree.train, tree.val, tree.devkit, tmp_path / "ds", pillow="13.0", workers=1, progress=False,
          format="npz", labels="sorted")
    assert_same_as_original(tmp_path / "ds", tree, "13.0", fmt="npz", sorted_labels=True)


@pytest.mark.skipif(INSTALLED != "13.0", reason="the 13.0 reference is the installed Pillow 13.0")
def test_several_filters_in_one_pass_equal_the_original_procedure(tree, tmp_path):
    """--filter with several names: one dataset per filter, each in its own folder,
    each equal to the original procedure run with that filter."""
    out = tmp_path / "ds"
    report = build(tree.train, tree.val, tree.devkit, out, pillow="13.0", filter=["lanczos", "nearest", "mks2021"],
                   workers=2, progress=False)
    assert report.filters == ["nearest", "lanczos", "mks2021"]
    for name in report.filters:
        assert_same_as_original(out / name, tree, "13.0", resample=name)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["filters"] == ["nearest", "lanczos", "mks2021"]
    assert manifest["resample"] == "NEAREST, LANCZOS, MKS2021"
    assert len(manifest["files"]) == 3 * 44 and all(f.split("/")[0] in report.filters for f in manifest["files"])


def test_filter_all_and_filter_errors(tree, tmp_path):
    out = tmp_path / "all"
    report = build(None, tree.val, tree.devkit, out, pillow="4.1", sizes=[8], filter="all", workers=1,
                   progress=False)
    assert report.filters == ["box", "nearest", "bilinear", "hamming", "bicubic", "lanczos"]  # the original -f six
    for name in report.filters:
        assert (out / name / "Imagenet8_val" / "val_data").exists()
    box = built_batches(out / "box", 8, "val")[0]["data"]
    assert not np.array_equal(box, built_batches(out / "hamming", 8, "val")[0]["data"])
    assert json.loads((out / "manifest.json").read_text())["filters"] == report.filters
    with pytest.raises(BuildError, match="unknown filter 'cubic'"):
        build(None, tree.val, tree.devkit, tmp_path / "x", filter="cubic", progress=False)
    with pytest.raises(BuildError, match="Pillow 4.1 had no MKS filters"):
        build(None, tree.val, tree.devkit, tmp_path / "x", filter=["box", "mks2013"], progress=False)
    with pytest.raises(BuildError, match="filters repeat"):
        build(None, tree.val, tree.devkit, tmp_path / "x", filter=["box", "box"], progress=False)
    assert not (tmp_path / "x").exists()


def test_skipped_files_are_listed_with_reasons(built_41):
    out, _ = built_41
    lines = (out / "skipped.csv").read_text().splitlines()
    assert lines[0] == "split,path,reason"
    reasons = {Path(line.split(",")[1]).name: line for line in lines[1:]}
    assert set(reasons) == {"empty.JPEG", "notes.JPEG", "bomb.JPEG", "n01440764_9.JPEG", "tem.JPEG",
                            "short_jfif.JPEG", "lossless5.JPEG"}
    for refused in ("tem.JPEG", "short_jfif.JPEG", "lossless5.JPEG"):  # by Pillow's own JPEG parser
        assert "not an image Pillow can read" in reasons[refused]
    assert "empty file" in reasons["empty.JPEG"]
    assert "not an image" in reasons["notes.JPEG"]
    assert "decompression bomb" in reasons["bomb.JPEG"]
    assert "truncated" in reasons["n01440764_9.JPEG"]


def test_manifest(built_41):
    out, _ = built_41
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"train": 43, "val": 10}
    assert manifest["pillow"] == "4.1" and manifest["labels"] == "devkit" and manifest["seed"] == 0
    assert manifest["filters"] == ["box"] and manifest["resample"] == "BOX"
    assert len(manifest["files"]) == 44
    import hashlib

    for name in manifest["files"]:
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == manifest["sha256"][name]
    assert not (out / ".imagenet32-build").exists()


def test_same_files_whatever_the_worker_count(tree, built_41, tmp_path):
    reference = json.loads((built_41[0] / "manifest.json").read_text())["sha256"]
    for workers in (1, 3):
        out = tmp_path / f"w{workers}"
        build(tree.train, tree.val, tree.devkit, out, workers=workers, progress=False)
        assert json.loads((out / "manifest.json").read_text())["sha256"] == reference


def test_seed_changes_only_the_train_order(tree, built_41, tmp_path):
    build(tree.train, tree.val, tree.devkit, tmp_path / "s1", seed=1, workers=1, progress=False)
    a = built_batches(built_41[0], 16, "train")
    b = built_batches(tmp_path / "s1", 16, "train")
    rows = lambda batches: np.concatenate([x["data"] for x in batches])  # noqa: E731
    assert not np.array_equal(rows(a), rows(b))
    assert sorted(map(bytes, rows(a))) == sorted(map(bytes, rows(b)))
    assert np.array_equal(a[0]["mean"], b[0]["mean"])
    assert np.array_equal(built_batches(built_41[0], 16, "val")[0]["data"], built_batches(tmp_path / "s1", 16, "val")[0]["data"])


def big_tree(root: Path, count: int = 300) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    train, devkit = root / "train", root / "devkit"
    (devkit).mkdir(parents=True)
    wnids = ["n01440764", "n01443537", "n01484850"]
    (devkit / "map_clsloc.txt").write_text("".join(f"{w} {i} c{i}\n" for i, w in enumerate(wnids, 1)))
    for i in range(count):
        folder = train / wnids[i % 3]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)).save(folder / f"{i}.JPEG", quality=85)
    return train, devkit


def kill_part_way(command: list[str], status: Path, env: dict, after: int = 0) -> int:
    """Run a build and SIGKILL it once its checkpoint shows more than `after` rows done, but not most."""
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 120
    done = 0
    while process.poll() is None and time.monotonic() < deadline:
        if status.exists():
            try:
                rows = np.load(status)
            except (ValueError, OSError, EOFError):  # caught between write and rename
                continue
            done = int((rows != 0).sum())
            if after < done < after + len(rows) // 3:
                break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return done


def test_resume_after_kill_gives_the_same_files(tmp_path):
    train, devkit = big_tree(tmp_path, count=600)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, workers=1, progress=False)
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "imagenet32", "build", "--train", str(train), "--devkit", str(devkit),
               "--out", str(out), "--workers", "1", "--quiet"]
    env = dict(os.environ, IMAGENET32_CHECKPOINT_SECONDS="0")
    status = out / ".imagenet32-build" / "train.status.npy"
    first = kill_part_way(command, status, env)  # killed mid-way
    second = kill_part_way(command + ["--resume"], status, env, after=first)  # resumed, killed again
    assert 0 < first < second < 600, (first, second)
    assert not (out / "manifest.json").exists()
    assert main(["build", "--train", str(train), "--devkit", str(devkit), "--out", str(out), "--resume",
                 "--quiet", "--workers", "2"]) == 0
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected


KILLED_IN_WRITING = """
import os, signal, sys
from imagenet32 import formats
from imagenet32.cli import main

write = formats._write_rows
calls = []

def killed_on_the_third_file(out, array):
    calls.append(1)
    if len(calls) == 3:
        out.write(b"partial")
        out.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    write(out, array)

formats._write_rows = killed_on_the_third_file
main(sys.argv[1:])
"""

# Killed on the ninth write (the fifth file's pixels): the first two files are committed by
# then (the build waits for a file's commit when two more are written).
UNREADABLE_THEN_KILLED = KILLED_IN_WRITING.replace("len(calls) == 3", "len(calls) == 9").replace(
    "main(sys.argv[1:])", """
from imagenet32.decode import DecodeError
build = sys.modules["imagenet32.build"]  # the module (the package exports the function)
decode = build.decode_rgb

def unreadable_this_time(path, *args):
    if path.endswith(os.sep + "4.JPEG"):
        raise DecodeError("cannot read: a passing I/O error")
    return decode(path, *args)

build.decode_rgb = unreadable_this_time
main(sys.argv[1:])
""")


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_resume_after_a_kill_while_writing_leaves_no_temporary_files(tmp_path):
    train, devkit = big_tree(tmp_path, count=30)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, sizes=[8, 16], workers=1, progress=False)
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    out = tmp_path / "killed"
    args = ["build", "--train", str(train), "--devkit", str(devkit), "--out", str(out), "--sizes", "8", "16",
            "--workers", "1", "--quiet"]
    done = subprocess.run([sys.executable, "-c", KILLED_IN_WRITING, *args])
    assert done.returncode == -signal.SIGKILL
    left = list((out / "Imagenet8_train").iterdir())
    # The third file, cut short, and those written before it whose commit had not run yet
    # (at most two wait); every file under its own name is whole.
    assert 1 <= sum(p.name.endswith(".tmp") for p in left) <= 3, left
    for path in left:
        if not path.name.endswith(".tmp"):
            assert len(formats.read_batch(path)) > 0
    assert main([*args, "--resume"]) == 0
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_resume_rewrites_every_file_when_its_rows_differ(tmp_path):
    # Killed while writing, before any checkpoint, in a run where one file could not be
    # read: the resumed build redoes every row, reads that file, and must not keep the
    # files written from the other row set.
    train, devkit = big_tree(tmp_path, count=30)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, sizes=[8], workers=1, progress=False)
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    out = tmp_path / "killed"
    args = ["build", "--train", str(train), "--devkit", str(devkit), "--out", str(out), "--sizes", "8",
            "--workers", "1", "--quiet"]
    done = subprocess.run([sys.executable, "-c", UNREADABLE_THEN_KILLED, *args])
    assert done.returncode == -signal.SIGKILL
    names = {p.name for p in (out / "Imagenet8_train").glob("train_data_batch_*")}
    assert {"train_data_batch_1", "train_data_batch_2"} <= names <= {f"train_data_batch_{i}" for i in range(1, 5)}
    assert main([*args, "--resume"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"train": 30} and manifest["sha256"] == expected


def test_ctrl_c_keeps_the_rows_done(tmp_path, monkeypatch):
    module = sys.modules["imagenet32.build"]  # the module (the package exports the function)
    train, devkit = big_tree(tmp_path, count=200)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, sizes=[8], workers=1, progress=False)
    decode, calls = module.decode_rgb, []

    def interrupted_at_the_150th(*args):
        calls.append(1)
        if len(calls) == 150:
            raise KeyboardInterrupt
        return decode(*args)

    monkeypatch.setattr(module, "decode_rgb", interrupted_at_the_150th)
    out = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        build(train, None, devkit, out, sizes=[8], workers=1, progress=False)  # no checkpoint was due
    assert (np.load(out / ".imagenet32-build" / "train.status.npy") != 0).sum() == 128  # two tasks of 64
    redone = []
    monkeypatch.setattr(module, "decode_rgb", lambda *args: redone.append(1) or decode(*args))
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=True)
    assert len(redone) == 200 - 128
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected


@pytest.mark.parametrize("failing", [4, 10])  # a file in the middle; the last of the ten
def test_a_commit_that_fails_stops_the_build_and_resume_finishes_it(tmp_path, monkeypatch, failing):
    """Files are synced and renamed in a thread of their own: a failure there (a disk that
    fills up as the data is written back) still stops the build with that error, every file
    written in full before it is committed, and --resume writes the rest."""
    train, devkit = big_tree(tmp_path, count=30)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, sizes=[8], workers=1, progress=False)
    commit, calls = formats.PendingFile.commit, []

    def disk_full(pending):
        calls.append(pending.path.name)
        if len(calls) == failing:
            pending.discard()
            raise OSError(28, "No space left on device")
        commit(pending)

    monkeypatch.setattr(formats.PendingFile, "commit", disk_full)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space left"):
        build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    folder = out / "Imagenet8_train"
    committed = calls[: failing - 1] + calls[failing:]
    assert sorted(p.name for p in folder.iterdir()) == sorted(committed)  # no temporary files
    assert failing <= len(calls) <= failing + 2  # the build stops within two files of the failure
    monkeypatch.setattr(formats.PendingFile, "commit", commit)
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=True)
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked (with the patched decoder) on Linux")
def test_a_worker_that_dies_stops_the_build_and_resume_finishes_it(tmp_path, monkeypatch):
    """A worker killed part way (or crashing on a file) is a clear error, not a build that
    waits for ever for its task; --resume then finishes with the uninterrupted build's files."""
    module = sys.modules["imagenet32.build"]
    train, devkit = big_tree(tmp_path, count=200)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, sizes=[8], workers=1, progress=False)
    decode, victim = module.decode_rgb, str(sorted(train.rglob("*.JPEG"))[150])

    def dies_on_the_victim(path, *args):
        if str(path) == victim:
            os.kill(os.getpid(), signal.SIGKILL)
        return decode(path, *args)

    def hung(*_):
        raise TimeoutError("the build waited for a dead worker")

    monkeypatch.setattr(module, "decode_rgb", dies_on_the_victim)
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        with pytest.raises(BuildError, match="worker process died"):
            build(train, None, devkit, tmp_path / "out", sizes=[8], workers=2, progress=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    monkeypatch.setattr(module, "decode_rgb", decode)
    build(train, None, devkit, tmp_path / "out", sizes=[8], workers=2, progress=False, resume=True)
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["sha256"] == expected


def test_skipped_csv_names_this_builds_files_after_another_build_in_the_process(tmp_path):
    """Workers keep each split's path list; a build whose workers are other processes must not
    name its skipped files from the list an earlier build in this process kept."""
    earlier_train, earlier_devkit = big_tree(tmp_path / "earlier", count=40)
    build(earlier_train, None, earlier_devkit, tmp_path / "out1", sizes=[8], workers=1, progress=False)
    train, devkit = big_tree(tmp_path / "now", count=20)
    bad = sorted(train.rglob("*.JPEG"))[7]
    bad.write_bytes(b"not an image")
    build(train, None, devkit, tmp_path / "out2", sizes=[8], workers=2, progress=False)
    lines = (tmp_path / "out2" / "skipped.csv").read_text().splitlines()
    assert lines[1:] == [f"train,{bad},not an image Pillow can read"]


def test_a_file_rewritten_from_other_rows_is_not_kept_by_an_older_log_line(tmp_path, monkeypatch):
    """Run 1 writes files 1-7 from row set R1 and stops; run 2 cannot read one image (row set R2),
    rewrites files 1-3 and stops; run 3 reads every image again (R1). The log's older lines
    still named files 1-3 with R1, so run 3 kept run 2's files (27 rows of 30)."""
    module = sys.modules["imagenet32.build"]
    train, devkit = big_tree(tmp_path, count=30)
    build(train, None, devkit, tmp_path / "whole", sizes=[8], workers=1, progress=False)
    expected = json.loads((tmp_path / "whole" / "manifest.json").read_text())["sha256"]
    write, decode = formats.write_pending, module.decode_rgb

    def stopping_at(n):
        calls = []

        def write_pending(path, *args):
            calls.append(path)
            if len(calls) == n:
                raise KeyboardInterrupt
            return write(path, *args)
        return write_pending

    def unreadable(path, *args):
        if path.endswith(os.sep + "4.JPEG"):
            raise DecodeError("cannot read: a passing I/O error")
        return decode(path, *args)

    out = tmp_path / "out"
    for n, reader, resume in ((8, decode, False), (4, unreadable, True)):
        monkeypatch.setattr(formats, "write_pending", stopping_at(n))
        monkeypatch.setattr(module, "decode_rgb", reader)
        with pytest.raises(KeyboardInterrupt):
            build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=resume)
    monkeypatch.setattr(formats, "write_pending", write)
    monkeypatch.setattr(module, "decode_rgb", decode)
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=True)
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected
    assert not list(out.rglob("*.tmp"))


def test_two_builds_at_once_in_one_process(tmp_path):
    """Builds that run their tasks themselves (one worker) shared the module's job and caches."""
    import threading

    trees = [big_tree(tmp_path / name, count=count) for name, count in (("a", 20), ("b", 13))]
    alone = []
    for i, (train, devkit) in enumerate(trees):
        build(train, None, devkit, tmp_path / f"alone{i}", sizes=[8, 16], workers=1, progress=False)
        alone.append(json.loads((tmp_path / f"alone{i}" / "manifest.json").read_text())["sha256"])
    errors = []

    def run(i):
        try:
            for _ in range(3):
                out = tmp_path / f"together{i}"
                shutil.rmtree(out, ignore_errors=True)
                train, devkit = trees[i]
                build(train, None, devkit, out, sizes=[8, 16], workers=1, progress=False)
                assert json.loads((out / "manifest.json").read_text())["sha256"] == alone[i]
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.skipif(os.name != "posix", reason="fcntl's advisory locks")
def test_a_second_build_into_a_busy_out_is_refused(tmp_path):
    """While a build runs in OUT (it holds OUT/.imagenet32-build.lock), another one there, fresh
    or --resume, is refused instead of removing the first one's work folder."""
    import fcntl

    train, devkit = big_tree(tmp_path, count=6)
    out = tmp_path / "out"
    out.mkdir()
    handle = os.open(out / ".imagenet32-build.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a running build holds it
        with pytest.raises(BuildError, match="another build is running there"):
            build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
        (out / ".imagenet32-build").mkdir()  # as its work folder, once prepared: not a stopped build
        for resume in (False, True):
            with pytest.raises(BuildError, match="another build is running there"):
                build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=resume)
        (out / ".imagenet32-build").rmdir()
    finally:
        os.close(handle)
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["Imagenet8_train", "manifest.json", "skipped.csv"]


def test_a_build_stopped_meanwhile_is_named_as_such(tmp_path, monkeypatch):
    """A work folder that appears while this build scans (another build there prepared it and
    was killed) is an unfinished build to resume, not 'another build running': this build's own
    lock must not count as another's."""
    builder = sys.modules["imagenet32.build"]
    train, devkit = big_tree(tmp_path, count=6)
    out = tmp_path / "out"
    real_scan = builder.scan_train

    def scan_while_another_stops(*args):
        (out / ".imagenet32-build").mkdir(parents=True, exist_ok=True)
        return real_scan(*args)

    monkeypatch.setattr(builder, "scan_train", scan_while_another_stops)
    with pytest.raises(BuildError, match="holds an unfinished build: continue it with --resume"):
        build(train, None, devkit, out, sizes=[8], workers=1, progress=False)


def test_a_retired_work_folder_left_behind_does_not_block_builds(tmp_path):
    train, devkit = big_tree(tmp_path, count=6)
    out = tmp_path / "out"
    (out / ".imagenet32-build.old" / "sub").mkdir(parents=True)  # a removal stopped part way, then rm -r out/*
    (out / ".imagenet32-build.old" / "sub" / "train.paths").write_bytes(b"x")
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["Imagenet8_train", "manifest.json", "skipped.csv"]


def test_resume_refuses_different_options(tmp_path):
    train, devkit = big_tree(tmp_path, count=6)
    out = tmp_path / "ds"
    work = out / ".imagenet32-build"
    work.mkdir(parents=True)
    build(train, None, devkit, tmp_path / "ok", workers=1, progress=False)
    with pytest.raises(BuildError, match="unfinished build"):
        build(train, None, devkit, out, workers=1, progress=False)
    work.rmdir()
    with pytest.raises(BuildError, match="already holds a finished build"):
        build(train, None, devkit, tmp_path / "ok", workers=1, progress=False)
    assert build(train, None, devkit, tmp_path / "ok", workers=1, progress=False, resume=True).counts == {"train": 6}


def test_setup_errors_come_before_any_work(tree, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(BuildError, match="no class map found"):
        build(tree.train, tree.val, tmp_path, out, progress=False)
    with pytest.raises(BuildError, match="no such file or folder"):
        build(tree.train, tree.val, tmp_path / "missing", out, progress=False)
    with pytest.raises(BuildError, match="not a folder"):
        build(tmp_path / "nope", None, tree.devkit, out, progress=False)
    devkit = tmp_path / "bigger"
    devkit.mkdir()
    text = (tree.devkit / "map_clsloc.txt").read_text() + "n09999999 6 extra\n"
    (devkit / "map_clsloc.txt").write_text(text)
    with pytest.raises(BuildError, match="1 of the devkit's 6 classes have no folder, first n09999999"):
        build(tree.train, None, devkit, out, progress=False)
    (devkit / "map_clsloc.txt").write_text("".join(text.splitlines(True)[1:5]).replace(" 2 ", " 1 ").replace(" 3 ", " 2 ")
                                           .replace(" 4 ", " 3 ").replace(" 5 ", " 4 "))
    with pytest.raises(BuildError, match="is not in the devkit"):
        build(tree.train, None, devkit, out, progress=False)
    (devkit / "map_clsloc.txt").write_text((tree.devkit / "map_clsloc.txt").read_text())
    with pytest.raises(BuildError, match="no validation ground truth"):
        build(None, tree.val, devkit, out, progress=False)
    for bad in ({"sizes": [0]}, {"sizes": [8, 8]}, {"format": "hdf5"}, {"labels": "alphabetical"}, {"workers": 0}):
        with pytest.raises(BuildError):
            build(tree.train, tree.val, tree.devkit, out, progress=False, **bad)
    with pytest.raises(ValueError, match="unknown Pillow version"):
        build(tree.train, tree.val, tree.devkit, out, progress=False, pillow="2.0")
    for bad, message in [({"sizes": 32}, "sizes must be a list of sizes, such as"),
                         ({"sizes": "32"}, "sizes must be a list of sizes, such as"),
                         ({"sizes": [8.0]}, "sizes must be ints from 1 to 4096"),
                         ({"seed": True}, "seed must be an int"), ({"workers": 1.0}, "workers must be a positive int"),
                         ({"filter": ["all", "box"]}, "'all' stands for every filter; give it alone")]:
        with pytest.raises(BuildError, match=message):
            build(tree.train, tree.val, tree.devkit, out, progress=False, **bad)
    with pytest.raises(BuildError, match="--devkit is required"):
        build(tree.train, tree.val, None, out, progress=False)
    with pytest.raises(BuildError, match="--out is required"):
        build(tree.train, tree.val, tree.devkit, None, progress=False)
    (tmp_path / "empty_kit").mkdir()
    (tmp_path / "empty_kit" / "map_clsloc.txt").write_text("")
    with pytest.raises(BuildError, match="map_clsloc.txt: empty"):
        build(tree.train, None, tmp_path / "empty_kit", out, progress=False)
    assert not out.exists()
    sub = tree.train / "n01440764" / "more"
    sub.mkdir()
    try:
        with pytest.raises(BuildError, match="n01440764/more is a folder; class folders hold image files only"):
            build(tree.train, None, tree.devkit, out, progress=False)
    finally:
        sub.rmdir()
    assert not out.exists()


def test_numpy_ints_and_bytes_paths_are_taken(tmp_path):
    train, devkit = big_tree(tmp_path, count=3)
    report = build(os.fsencode(train), None, os.fsencode(devkit), os.fsencode(tmp_path / "out"),
                   sizes=np.array([16, 8]), seed=np.int64(3), workers=np.int32(1), progress=False)
    assert report.sizes == [8, 16] and report.counts == {"train": 3}
    plain = build(train, None, devkit, tmp_path / "plain", sizes=[8, 16], seed=3, workers=1, progress=False)
    digests = [json.loads((Path(r.out) / "manifest.json").read_text())["sha256"] for r in (report, plain)]
    assert digests[0] == digests[1]


def test_more_input_errors_come_before_any_work(tmp_path):
    train, devkit = big_tree(tmp_path, count=6)
    out = tmp_path / "never"
    with pytest.raises(BuildError, match="seed must be an int >= 0, got -1"):
        build(train, None, devkit, out, seed=-1, progress=False)
    (train / "n01440764.tar").write_bytes(b"left over")  # a class's archive beside the folders
    with pytest.raises(BuildError, match="'n01440764.tar' is a file; train holds class folders only"):
        build(train, None, devkit, out, progress=False)
    (train / "n01440764.tar").unlink()
    val = tmp_path / "val"
    (val / "n01440764").mkdir(parents=True)
    (val / "ILSVRC2012_val_00000001.JPEG").write_bytes(b"")  # a file beside val's class folders
    with pytest.raises(BuildError, match="'ILSVRC2012_val_00000001.JPEG' lies beside class folders"):
        build(None, val, devkit, out, progress=False)
    for inside in (train / "n01440764" / "out", train / "out"):  # --out in an input: its files would be inputs
        with pytest.raises(BuildError, match="is inside --train"):
            build(train, None, devkit, inside, progress=False)
    many = tmp_path / "many"
    many.mkdir()
    (many / "map_clsloc.txt").write_text("".join(f"n{i:08d} {i} c{i}\n" for i in range(1, 1002)))
    with pytest.raises(BuildError, match="1001 classes .* labels are 1..1000"):
        build(tmp_path / "empty", None, many, out, progress=False)
    assert not out.exists() and not (train / "out").exists()
    (tmp_path / "file").write_text("")
    assert main(["build", "--train", str(train), "--devkit", str(devkit), "--out", str(tmp_path / "file"),
                 "--quiet"]) == 2  # a message, not a traceback


def test_val_files_are_ilsvrc_names_each_image_once(tmp_path):
    """A copy of a val image ("... (1).JPEG", ".bak", a prefix) is not a val file, and one image
    under two names or in two class folders is an error, before any work (they were extra rows)."""
    train, devkit = big_tree(tmp_path, count=3)
    (devkit / "ILSVRC2012_validation_ground_truth.txt").write_text("1\n2\n3\n")
    photo = Image.new("RGB", (40, 30), (90, 20, 200))
    out = tmp_path / "never"
    for number, stray in enumerate(("ILSVRC2012_val_00000001 (1).JPEG", "ILSVRC2012_val_00000002.JPEG.bak",
                                    "old_ILSVRC2012_val_00000003.jpg")):
        val = tmp_path / f"val{number}"
        val.mkdir()
        for i in (1, 2, 3):
            photo.save(val / f"ILSVRC2012_val_{i:08d}.JPEG")
        photo.save(val / stray, "JPEG")
        with pytest.raises(BuildError, match=f"{re.escape(stray)} is not an ILSVRC2012_val_XXXXXXXX file"):
            build(None, val, devkit, out, progress=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    for name in ("ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000001.png", "ILSVRC2012_val_00000002.JPEG"):
        photo.save(flat / name, "PNG" if name.endswith("png") else "JPEG")
    with pytest.raises(BuildError, match="ILSVRC2012_val_00000001.JPEG and ILSVRC2012_val_00000001.png are both "
                                         "validation image 1"):
        build(None, flat, devkit, out, progress=False)
    sorted_val = tmp_path / "sorted"
    for wnid in ("n01440764", "n01443537"):
        (sorted_val / wnid).mkdir(parents=True)
        photo.save(sorted_val / wnid / "ILSVRC2012_val_00000003.JPEG")
    with pytest.raises(BuildError, match="n01440764/ILSVRC2012_val_00000003.JPEG and "
                                         "n01443537/ILSVRC2012_val_00000003.JPEG are both validation image 3"):
        build(None, sorted_val, devkit, out, progress=False)
    photo.save(sorted_val / "n01443537" / "holiday.jpg")
    with pytest.raises(BuildError, match="n01443537/holiday.jpg is not an ILSVRC2012_val_XXXXXXXX file"):
        build(None, sorted_val, devkit, out, progress=False)
    (sorted_val / "n01443537" / "more").mkdir()  # its images were left out unsaid
    with pytest.raises(BuildError, match="n01443537/more is a folder; class folders hold image files only"):
        build(None, sorted_val, devkit, out, progress=False)
    assert not out.exists()


def test_out_must_be_new_or_empty(tmp_path):
    """A build writes into a new or empty folder: one holding anything else (the published
    files, say) is refused, and left as it was."""
    train, devkit = big_tree(tmp_path, count=3)
    out = tmp_path / "out"
    (out / "Imagenet8_train").mkdir(parents=True)
    (out / "Imagenet8_train" / "train_data_batch_1").write_text("someone's file")
    with pytest.raises(BuildError, match="--out .*out is not empty \\(it holds 'Imagenet8_train'\\)"):
        build(train, None, devkit, out, sizes=[8], progress=False)
    assert main(["build", "--train", str(train), "--devkit", str(devkit), "--out", str(out), "--quiet"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["Imagenet8_train"]
    assert (out / "Imagenet8_train" / "train_data_batch_1").read_text() == "someone's file"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_text("")  # hidden files and a file system's lost+found do not count
    (empty / "lost+found").mkdir()
    assert build(train, None, devkit, empty, sizes={8}, workers=1, progress=False).counts == {"train": 3}
    # --resume into a new or empty folder (a build stopped while scanning its inputs) begins the build
    for where in (tmp_path / "new", tmp_path / "empty2"):
        if where.name == "empty2":
            where.mkdir()
        report = build(train, None, devkit, where, sizes=[8], workers=1, progress=False, resume=True)
        assert report.counts == {"train": 3}
    with pytest.raises(BuildError, match="is not empty"):
        build(train, None, devkit, out, sizes=[8], progress=False, resume=True)


def children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:  # ended meanwhile
        pass
    return found


def running(pid: int) -> bool:
    """Whether process ``pid`` runs: exists and is not a zombie (ended, not yet collected, as
    orphans are where the tests run as PID 1 or under a subreaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def alive_after_killing(process: subprocess.Popen, others: list[int]) -> list[int]:
    """SIGKILL the process; which of ``others`` still run 10 s later (killed then, not left behind)."""
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(map(running, others)) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [p for p in others if running(p)]
    for p in alive:
        os.kill(p, signal.SIGKILL)
    return alive


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_workers_end_with_a_killed_build(tmp_path):
    """kill -9 of a build leaves no worker waiting for tasks for ever (holding its memory and the
    build's output streams, so that `build | tee log` never ended)."""
    train, devkit = big_tree(tmp_path, count=300)
    command = [sys.executable, "-m", "imagenet32", "build", "--train", str(train), "--devkit", str(devkit),
               "--out", str(tmp_path / "out"), "--workers", "2", "--quiet"]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = children(process.pid)
    assert len(workers) == 2, "the build ended before its workers were seen"
    assert not alive_after_killing(process, workers)


def descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [d for c in found for d in descendants(c)]


KILLED_FROM_A_THREAD = """
import sys, threading
from imagenet32.build import build

if __name__ == "__main__":
    thread = threading.Thread(target=build, args=(sys.argv[1], None, sys.argv[2], sys.argv[3]),
                              kwargs={"workers": 2, "progress": False})
    thread.start()
    thread.join()
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_workers_from_a_fork_server_end_with_a_killed_build(tmp_path):
    """A build run beside other threads gets its workers from a fork server, their parent,
    which outlived the build: they end all the same."""
    train, devkit = big_tree(tmp_path, count=300)
    script = tmp_path / "killed.py"
    script.write_text(KILLED_FROM_A_THREAD)
    process = subprocess.Popen([sys.executable, str(script), str(train), str(devkit), str(tmp_path / "out")])
    deadline = time.monotonic() + 60
    server: list[int] = []
    while not server and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        # the fork server with its two workers (beside multiprocessing's resource tracker)
        server = [c for c in children(process.pid) if len(children(c)) == 2]
    assert server, "the build ended before its workers were seen"
    assert not alive_after_killing(process, descendants(process.pid))


THREADED_BUILDS = """
import sys, threading
from imagenet32.build import build

def run(out, workers):
    report = build(sys.argv[1], None, sys.argv[2], out, sizes=[8], workers=workers, progress=False)
    print(out, report.counts["train"], flush=True)

if __name__ == "__main__":
    threads = [threading.Thread(target=run, args=(f"{sys.argv[3]}/{name}", workers))
               for name, workers in (("a", 1), ("b", 2), ("c", 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="elsewhere workers are always spawned")
def test_workers_are_not_forked_beside_other_threads():
    """A worker forked while another thread held a lock (an import's) waited for it for ever:
    with other threads running, workers come from a fork server."""
    build_module = sys.modules["imagenet32.build"]  # the module (the package exports the function)
    if threading.active_count() == 1:  # a lone thread forks: fast, and the tests' monkeypatches reach workers
        assert build_module._start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert build_module._start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


UNGUARDED_WITH_A_THREAD = """
import sys, threading
from imagenet32.build import build

threading.Thread(target=threading.Event().wait, daemon=True).start()
build(sys.argv[1], None, sys.argv[2], sys.argv[3], sizes=[8], workers=2, progress=False)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="elsewhere workers are always spawned")
def test_an_unguarded_script_is_told_to_guard_its_build(tmp_path):
    """Workers not forked import the main module: a script without the main guard ran a build in
    each worker, and the build said only that a worker had died."""
    train, devkit = big_tree(tmp_path, count=6)
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_WITH_A_THREAD)
    result = subprocess.run([sys.executable, str(script), str(train), str(devkit), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode != 0
    assert "build() was called while a worker process imported the main module" in result.stderr
    assert "a worker process died" in result.stderr and "keep its build under 'if __name__" in result.stderr


def test_workers_leave_ctrl_c_to_the_build(monkeypatch):
    """Ctrl-C reaches the whole process group: idle workers printed a traceback each."""
    build_module = sys.modules["imagenet32.build"]  # the module (the package exports the function)
    monkeypatch.setattr(build_module, "_pool_worker", None)
    previous = signal.getsignal(signal.SIGINT)
    try:
        build_module._pool_start(None)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_builds_from_threads_of_one_process(tmp_path):
    """Builds run from threads at once each finish, with the same files."""
    train, devkit = big_tree(tmp_path, count=60)
    script = tmp_path / "threads.py"
    script.write_text(THREADED_BUILDS)
    result = subprocess.run([sys.executable, str(script), str(train), str(devkit), str(tmp_path)],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert sorted(result.stdout.splitlines()) == [f"{tmp_path}/{name} 60" for name in "abc"]
    digests = [json.loads((tmp_path / name / "manifest.json").read_text())["sha256"] for name in "abc"]
    assert digests[0] == digests[1] == digests[2]


def test_a_build_stopped_while_preparing_or_cleaning_up_can_be_run_again(tmp_path, monkeypatch):
    """The work folder appears only complete, and goes away by a rename first: a build stopped
    in either step is neither a stuck "unfinished build" nor a resume that crashes."""
    module = sys.modules["imagenet32.build"]
    train, devkit = big_tree(tmp_path, count=12)
    whole = tmp_path / "whole"
    build(train, None, devkit, whole, sizes=[8], workers=1, progress=False)
    expected = json.loads((whole / "manifest.json").read_text())["sha256"]
    out = tmp_path / "out"
    prepare = module._prepare_split

    def stopped(*args):
        prepare(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_prepare_split", stopped)
    with pytest.raises(KeyboardInterrupt):
        build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    monkeypatch.setattr(module, "_prepare_split", prepare)
    assert (out / ".imagenet32-build.new").exists()
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=True)  # begins again
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected
    shutil.rmtree(out)
    remove = module._remove_work
    monkeypatch.setattr(module, "_remove_work", lambda out: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    monkeypatch.setattr(module, "_remove_work", remove)
    assert (out / "manifest.json").exists() and (out / ".imagenet32-build").exists()
    with pytest.raises(BuildError, match="already holds a finished build"):
        build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    report = build(train, None, devkit, out, sizes=[8], workers=1, progress=False, resume=True)
    assert report.counts == {"train": 12}
    assert sorted(p.name for p in out.iterdir()) == ["Imagenet8_train", "manifest.json", "skipped.csv"]
    assert json.loads((out / "manifest.json").read_text())["sha256"] == expected


def test_resume_of_a_finished_build_refuses_other_options(tmp_path):
    train, devkit = big_tree(tmp_path, count=6)
    out = tmp_path / "out"
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    for other in ({"sizes": [16]}, {"format": "npz"}, {"filter": "all"}, {"seed": 1}):
        with pytest.raises(BuildError, match="differ from the build in"):
            build(train, None, devkit, out, progress=False, resume=True, **{"sizes": [8], **other})
    (train / "n01440764" / "late.JPEG").write_bytes((train / "n01440764" / "0.JPEG").read_bytes())
    with pytest.raises(BuildError, match="differ from the build in"):
        build(train, None, devkit, out, sizes=[8], progress=False, resume=True)
    (train / "n01440764" / "late.JPEG").unlink()
    assert build(train, None, devkit, out, sizes=[8], progress=False, resume=True).counts == {"train": 6}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="file names of any bytes but / and NUL")
def test_file_names_with_newlines_other_bytes_and_broken_links(tmp_path):
    """Names are stored NUL-separated, so a newline in one is just a character; a name that is not
    UTF-8 is listed in skipped.csv with its own bytes; a broken link is listed, not ignored."""
    train, devkit = big_tree(tmp_path, count=9)
    reference = tmp_path / "reference"
    build(train, None, devkit, reference, sizes=[8], workers=1, progress=False)
    folder = train / "n01440764"
    os.rename(folder / "0.JPEG", folder / "0\n.JPEG")  # sorts where 0.JPEG did: the same rows
    out = tmp_path / "out"
    build(train, None, devkit, out, sizes=[8], workers=2, progress=False)
    assert (json.loads((out / "manifest.json").read_text())["sha256"] ==
            json.loads((reference / "manifest.json").read_text())["sha256"])
    odd = os.fsencode(folder) + b"/\xff\xfe.JPEG"
    with open(odd, "wb") as f:
        f.write(b"not an image")
    os.symlink(folder / "gone.JPEG", folder / "link.JPEG")
    out = tmp_path / "out2"
    build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    with open(out / "skipped.csv", "rb") as f:
        lines = f.read().splitlines()
    assert sorted(lines[1:]) == sorted([b"train," + odd + b",not an image Pillow can read",
                                b"train," + os.fsencode(folder / "link.JPEG") + b",cannot read: No such file or directory"])


def test_a_build_that_cannot_fit_on_the_disk_is_refused_before_any_work(tree, tmp_path, monkeypatch):
    import shutil

    images = sum(1 for _ in tree.train.rglob("*.JPEG")) + sum(1 for _ in tree.val.iterdir())
    datasets = images * 3 * (8 * 8 + 16 * 16 + 32 * 32 + 64 * 64)  # bytes of the four sizes
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=2 * datasets - 1))
    out = tmp_path / "a" / "b"  # not there yet: the free space is that of its nearest folder
    assert 5e5 < datasets < 1e6  # said in MB and kB (it said "0.0 GB")
    expected = f"needs {2 * datasets / 1e6:.1f} MB .{datasets / 1e3:.1f} kB of datasets.* {2 * datasets / 1e6:.1f} MB are free"
    with pytest.raises(BuildError, match=expected):
        build(tree.train, tree.val, tree.devkit, out, progress=False)
    assert not (tmp_path / "a").exists()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=2 * datasets))
    build(tree.train, tree.val, tree.devkit, out, workers=1, progress=False)


def test_val_sorted_into_class_folders(tree, built_41, tmp_path):
    """A val folder sorted into WNID folders gives the same val file as the flat one."""
    truth = (tree.devkit / "ILSVRC2012_validation_ground_truth.txt").read_text().split()
    wnids = [line.split()[0] for line in (tree.devkit / "map_clsloc.txt").read_text().splitlines()]
    val = tmp_path / "val"
    for number, label in enumerate(truth, 1):
        name = f"ILSVRC2012_val_{number:08d}.JPEG"
        (val / wnids[int(label) - 1]).mkdir(parents=True, exist_ok=True)
        (val / wnids[int(label) - 1] / name).write_bytes((tree.val / name).read_bytes())
    build(None, val, tree.devkit, tmp_path / "ds", workers=1, progress=False)
    for size in SIZES:
        a = built_batches(built_41[0], size, "val")[0]
        b = built_batches(tmp_path / "ds", size, "val")[0]
        assert np.array_equal(a["data"], b["data"]) and list(a["labels"]) == list(b["labels"])


def test_cli_build_and_errors(tree, tmp_path, capsys):
    assert main(["build", "--val", str(tree.val), "--devkit", str(tree.devkit), "--out", str(tmp_path / "v"),
                 "--sizes", "8", "--quiet", "--workers", "1"]) == 0
    assert "val: 10 images" in capsys.readouterr().out
    assert main(["build", "--train", str(tmp_path / "nothing"), "--devkit", str(tree.devkit), "--out",
                 str(tmp_path / "x")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["build", "--val", str(tree.val), "--devkit", str(tree.devkit), "--out", str(tmp_path / "f"),
                 "--sizes", "8", "--filter", "bicubic", "box", "--quiet", "--workers", "1"]) == 0
    assert "filters box, bicubic" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["bicubic", "box", "manifest.json", "skipped.csv"]
    assert main(["build", "--val", str(tree.val), "--devkit", str(tree.devkit), "--out", str(tmp_path / "y"),
                 "--filter", "gaussian"]) == 2
    assert "unknown filter 'gaussian'" in capsys.readouterr().err


def test_demo_refuses_what_it_cannot_use_and_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    (tmp_path / "afile").write_text("")
    for out in ("afile", "afile/sub"):
        assert main(["demo", str(tmp_path / out)]) == 2  # a message, not a traceback
    assert main(["demo", str(tmp_path / "d"), "--workers", "0"]) == 2
    assert not (tmp_path / "d").exists()  # checked before anything was made
    module = sys.modules["imagenet32.demo"]
    monkeypatch.setattr(module, "build", lambda *args, **kwargs: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(["demo", str(tmp_path / "d"), "--workers", "1"]) == 130  # stopped part way
    assert list((tmp_path / "d").iterdir()) == []  # so the same command runs again
    assert "exists and is not an empty folder" in capsys.readouterr().err

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "d" / "datasets" / "x"))

    monkeypatch.setattr(module, "build", full)  # a full disk (or a read-only folder) was a traceback
    assert main(["demo", str(tmp_path / "d"), "--workers", "1"]) == 2
    assert capsys.readouterr().err.endswith("datasets/x: No space left on device\n")
    assert list((tmp_path / "d").iterdir()) == []


def test_installed_command_runs_the_demo(tmp_path):
    command = Path(sys.executable).with_name("imagenet32")  # the installed console script
    result = subprocess.run([str(command), "demo", str(tmp_path / "demo"), "--workers", "1"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "train: 40 images, 1 skipped" in result.stdout and "val: 10 images, 0 skipped" in result.stdout
    assert (tmp_path / "demo" / "preview.png").exists()
    with Image.open(tmp_path / "demo" / "preview.png") as im:
        assert im.size[0] > 100


def test_a_link_loop_and_a_file_too_large_to_hold_are_skipped(tmp_path, monkeypatch):
    """A link to itself stopped the scan with a raw OSError; a 200 GB file (sparse here) was read
    whole, and the build died of a MemoryError. Files over 1 GiB are left to Pillow, which reads
    only what it needs (the original procedure's verdict), with the same pixels."""
    import imagenet32.decode as decode_module

    train, devkit = big_tree(tmp_path, count=9)
    reference = tmp_path / "reference"
    build(train, None, devkit, reference, sizes=[8], workers=1, progress=False)
    folder = train / "n01440764"
    os.symlink("loop.JPEG", folder / "loop.JPEG")
    with open(folder / "huge.JPEG", "wb") as f:
        f.truncate(200 << 30)
    out = tmp_path / "out"
    report = build(train, None, devkit, out, sizes=[8], workers=1, progress=False)
    assert report.counts == {"train": 9} and "val: not built (no --val given)" in report.summary()
    with open(out / "skipped.csv", "rb") as f:
        lines = sorted(f.read().splitlines()[1:])
    assert lines == [b"train," + os.fsencode(folder / "huge.JPEG") + b",not an image Pillow can read",
                     b"train," + os.fsencode(folder / "loop.JPEG") + b",cannot read: Too many levels of symbolic links"]
    (folder / "huge.JPEG").unlink()
    (folder / "loop.JPEG").unlink()
    monkeypatch.setattr(decode_module, "_MAX_READ", 100)  # every image is "too large" now
    build(train, None, devkit, tmp_path / "by-pillow", sizes=[8], workers=1, progress=False)
    assert (json.loads((tmp_path / "by-pillow" / "manifest.json").read_text())["sha256"] ==
            json.loads((reference / "manifest.json").read_text())["sha256"])


def test_the_train_order_does_not_depend_on_the_class_map_file(tmp_path):
    """Class folders were taken in the class map's order before the seeded shuffle, so Kaggle's
    synset mapping (sorted) and map_clsloc.txt (devkit order) gave the same rows in other orders."""
    train = tmp_path / "train"
    wnids = ["n00000003", "n00000001", "n00000002"]  # devkit order, not sorted
    rng = np.random.default_rng(5)
    for i in range(12):
        (train / wnids[i % 3]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(train / wnids[i % 3] / f"{i}.png")
    (tmp_path / "map_clsloc.txt").write_text("".join(f"{w} {i} c{i}\n" for i, w in enumerate(wnids, 1)))
    (tmp_path / "LOC_synset_mapping.txt").write_text("".join(f"{w} c\n" for w in sorted(wnids)))
    for name in ("map_clsloc.txt", "LOC_synset_mapping.txt"):
        build(train, None, tmp_path / name, tmp_path / name.split(".")[0], sizes=[8], labels="sorted", workers=1,
              progress=False)
    ours, kaggle = (json.loads((tmp_path / out / "manifest.json").read_text())["sha256"]
                    for out in ("map_clsloc", "LOC_synset_mapping"))
    assert ours == kaggle
