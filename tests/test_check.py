"""``imagenet32 info`` and ``imagenet32 verify``: every rule of the format, each violation
reported, and the summary's numbers against plain numpy and hashlib."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imagenet32.check import describe, info, verify
from imagenet32.cli import main
from imagenet32.formats import read_batch
from published import Published, arrays, devkit_files, dump, write, zip_folder

SIZE = 2


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> tuple[Published, Path]:
    """An Imagenet2 with every class in both splits, as published (pickles)."""
    p = arrays(np.random.default_rng(20), SIZE, 2345, 1100, all_classes=True)
    return p, write(tmp_path_factory.mktemp("complete"), p)


@pytest.fixture
def copy(complete, tmp_path) -> tuple[Published, Path]:
    p, folder = complete
    return p, Path(shutil.copytree(folder, tmp_path / "dataset"))


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--quiet"])
    return code, capsys.readouterr().out


def test_a_published_dataset_passes(complete, capsys):
    _, folder = complete
    code, out = run(capsys, "verify", str(folder))
    assert code == 0 and out.startswith("OK: 11 files, 3,445 images: every rule of the format holds")
    assert verify(folder).ok


def test_npz_and_zips_pass(complete, tmp_path, capsys):
    p, folder = complete
    write(tmp_path / "npz", p, "npz")
    archive = zip_folder(folder, tmp_path / "Imagenet2.zip", prefix="Imagenet2/")
    for target in (tmp_path / "npz", archive):
        code, out = run(capsys, "verify", str(target))
        assert code == 0, out


def rewrite(folder: Path, batches: list[tuple[np.ndarray, np.ndarray]], mean: np.ndarray) -> None:
    for i, (data, labels) in enumerate(batches, 1):
        dump(folder / f"train_data_batch_{i}", {"data": data, "labels": labels.tolist(), "mean": mean})


def shifted(p: Published) -> list[tuple[np.ndarray, np.ndarray]]:
    """The same rows with one moved from batch 2 to batch 3."""
    cuts = [0, 234, 467] + [234 * i for i in range(3, 10)] + [2345]
    return [(p.train[a:b], p.train_labels[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


def val_of(p: Published) -> dict:
    return {"data": p.val, "labels": p.val_labels.tolist()}


def batch_4(p: Published) -> dict:
    data, labels = p.batches()[3]
    return {"data": data, "labels": labels.tolist()}


def relabelled(p: Published, old: int, new: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(d, np.where(y == old, new, y)) for d, y in p.batches()]


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda p, f: (f / "train_data_batch_7").unlink(), ["train: missing or unreadable: train_data_batch_7"]),
        (
            lambda p, f: rewrite(f, shifted(p), p.mean),
            ["train_data_batch_2: 233 rows; with 2,345 train images batch 2 has 234",
             "train_data_batch_3: 235 rows; with 2,345 train images batch 3 has 234"],
        ),
        (
            lambda p, f: rewrite(f, p.batches(), np.nextafter(p.mean, 0)),
            ["train: the stored mean is not the mean of the 2,345 train images at 12 of 12 values"],
        ),
        (
            lambda p, f: dump(f / "train_data_batch_4", {**batch_4(p), "mean": p.mean / 2}),
            ["train_data_batch_4: its mean differs from .*train_data_batch_1's"],
        ),
        (
            lambda p, f: dump(f / "train_data_batch_4", batch_4(p)),
            ["train_data_batch_4: no mean; every train file holds the mean"],
        ),
        (
            lambda p, f: dump(f / "val_data", {"data": p.val, "labels": p.val_labels.tolist(), "mean": p.mean}),
            ["val_data: has a mean; val files have none"],
        ),
        (
            lambda p, f: rewrite(f, relabelled(p, 17, 18), p.mean),
            ["train: 999 of 1000 classes present; no images of 17$"],
        ),
        (
            lambda p, f: dump(f / "val_data", {"data": p.val, "labels": np.maximum(p.val_labels - 4, 0).tolist()}),
            ["val_data: .*label\\(s\\) outside 1..1000 \\(first at row \\d+: 0\\)"],
        ),
        (
            lambda p, f: dump(f / "val_data", {"data": p.val, "labels": p.val_labels}),
            ["val_data: labels is an int64 array of shape \\(1100,\\); the format has a list of Python int"],
        ),
        (
            lambda p, f: (f / "train_data_batch_9").write_bytes((f / "train_data_batch_9").read_bytes()[:-9]),
            ["train_data_batch_9: not a readable pickle", "train: missing or unreadable: train_data_batch_9"],
        ),
        (
            lambda p, f: dump(f / "val_data", {**val_of(p), "data": np.zeros((1100, 48), np.uint8)}),
            ["files of different sizes mixed \\(2x2: .*; 4x4: .*val_data\\)"],
        ),
    ],
)
def test_each_violation_is_reported(copy, capsys, damage, expected):
    p, folder = copy
    damage(p, folder)
    code, out = run(capsys, "verify", str(folder))
    failures = [line.removeprefix("FAIL ") for line in out.splitlines() if line.startswith("FAIL ")]
    assert code == 1 and len(failures) == len(expected), out
    for line, pattern in zip(failures, expected):
        assert re.search(pattern, line), (pattern, line)
    assert out.splitlines()[-1].startswith(f"{len(expected)} problem")


def test_partial_accepts_a_subset(copy, capsys):
    p, folder = copy
    for i in range(6, 11):
        (folder / f"train_data_batch_{i}").unlink()
    dump(folder / "val_data", {"data": p.val[:10], "labels": p.val_labels[:10].tolist()})
    assert run(capsys, "verify", str(folder), "--partial")[0] == 0
    code, out = run(capsys, "verify", str(folder))
    assert code == 1 and "missing or unreadable: train_data_batch_6, train_data_batch_7" in out
    rewrite(folder, shifted(p)[:5], p.mean)
    code, out = run(capsys, "verify", str(folder), "--partial")
    assert code == 1 and "train: batches 1..9 must have equal rows, got [233, 234, 235]" in out


def test_nothing_to_verify(tmp_path, capsys):
    code, out = run(capsys, "verify", str(tmp_path / "nothing"))
    assert code == 1 and "FAIL" in out and "no such file or folder" in out


def test_verify_reports_progress_per_file(complete, capsys):
    _, folder = complete
    assert main(["verify", str(folder)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 11 and err[0].startswith("[1/11] ") and err[-1].endswith("val_data: 1,100 images")


# --- info ----------------------------------------------------------------------------------


def test_info_summarises_the_dataset(complete, capsys):
    p, folder = complete
    code, out = run(capsys, "info", str(folder))
    assert code == 0
    counts = np.bincount(p.train_labels, minlength=1001)[1:]
    channels = p.mean.reshape(3, -1).mean(axis=1)
    assert out.splitlines()[0] == "Imagenet2 (2x2 images)"
    assert "train: 10 files (pickle), 2,345 images" in out and "val: 1 file (pickle), 1,100 images" in out
    assert "labels 1..1000: 1-based devkit IDs" in out
    assert (f"1000 of 1000 classes present; images per class: min {counts.min():,}, median {np.median(counts):,.0f}, "
            f"mean {counts.mean():,.1f}, max {counts.max():,}") in out
    assert f"R {channels[0]:.2f}, G {channels[1]:.2f}, B {channels[2]:.2f}" in out
    for f in folder.iterdir():
        assert f"{f.name}" in out and hashlib.sha256(f.read_bytes()).hexdigest() in out


def test_info_takes_relative_and_absolute_paths_together(complete, capsys, monkeypatch):
    _, folder = complete
    monkeypatch.chdir(folder.parent)
    code, out = run(capsys, "info", str(folder / "train_data_batch_1"), f"{folder.name}/val_data")
    assert code == 0 and "files:" in out and f"{folder.name}/val_data" in out


def test_size_is_checked_against_the_images(complete, capsys):
    """--size picks among folders named for sizes, and the images must then be of it: a folder
    named for no size gave OK for images of another."""
    _, folder = complete
    code, out = run(capsys, "verify", str(folder), "--size", "4", "--partial")
    assert code == 1 and "images are 2x2, not --size 4" in out
    assert run(capsys, "verify", str(folder), "--size", "2")[0] == 0


def test_info_gives_a_median_of_two_counts_as_it_is(tmp_path, capsys):
    p = arrays(np.random.default_rng(41), 2, 0, 4)
    p.val_labels[:] = [5, 5, 9, 7]  # images per class 2, 1, 1: median 1
    write(tmp_path / "a", p, train=False)
    assert "median 1," in run(capsys, "info", str(tmp_path / "a"))[1]
    p = arrays(np.random.default_rng(42), 2, 0, 10)
    p.val_labels[:] = [1, 1, 1, 2, 2, 2, 3, 3, 4, 4]  # 3, 3, 2, 2: median 2.5, which was printed as 2
    write(tmp_path / "b", p, train=False)
    assert "median 2.5," in run(capsys, "info", str(tmp_path / "b"))[1]


def test_a_closed_pipe_ends_the_command_quietly(complete):
    _, folder = complete
    command = [sys.executable, "-c", "import sys; from imagenet32.cli import main; sys.exit(main(sys.argv[1:]))",
               "info", str(folder), "--no-checksums"]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone (| head, having read enough)
    try:
        done = subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and done.returncode == 141, done.stderr


def test_info_with_a_devkit_names_classes_and_checks_the_val_order(complete, tmp_path, capsys):
    p, folder = complete
    wnids = devkit_files(tmp_path / "kit", np.random.default_rng(21))
    truth = tmp_path / "kit" / "ILSVRC2012_validation_ground_truth.txt"
    truth.write_text("".join(f"{k}\n" for k in p.val_labels))
    code, out = run(capsys, "info", str(folder), "--devkit", str(tmp_path / "kit"), "--no-checksums")
    assert code == 0 and "sha256" not in out
    assert "val rows match the devkit's ground truth row by row, in devkit order" in out
    counts = np.bincount(p.train_labels, minlength=1001)
    most = int(np.argmax(counts))
    assert f"most: {counts[most]:,} (class {most} ({wnids[most - 1]} class_{most}))" in out
    rank = {w: i + 1 for i, w in enumerate(sorted(wnids))}
    sorted_labels = [rank[wnids[k - 1]] for k in p.val_labels]
    dump(tmp_path / "val_data", {"data": p.val, "labels": sorted_labels})
    out = run(capsys, "info", str(tmp_path / "val_data"), "--devkit", str(tmp_path / "kit"))[1]
    assert "SORTED-WNID order, not the format's devkit order" in out
    truth.write_text("".join(f"{k}\n" for k in p.val_labels[::-1]))
    out = run(capsys, "info", str(folder / "val_data"), "--devkit", str(tmp_path / "kit"))[1]
    assert "val labels do not follow the ground truth row by row" in out


def test_info_lists_unreadable_files(copy, capsys):
    _, folder = copy
    (folder / "train_data_batch_2").write_bytes(b"\x80\x04junk")
    code, out = run(capsys, "info", str(folder))
    assert code == 1 and "train: 9 files" in out
    assert "problem: " in out and "train_data_batch_2: not a readable pickle" in out


def test_info_of_another_size_says_why_not_unreadable(complete, capsys):
    """--size 16 on 32x32 files marked every file 'unreadable' as it went; --size 0 was taken."""
    _, folder = complete
    size = read_batch(folder / "val_data").size
    assert main(["info", str(folder / "val_data"), "--size", str(size + 1)]) == 1
    err = capsys.readouterr().err
    assert f"images are {size}x{size}, not --size {size + 1}" in err and "unreadable" not in err
    for bad in ("0", "-3", "x"):
        with pytest.raises(SystemExit):
            main(["info", str(folder), "--size", bad])
        assert "expected a whole number of pixels, 1 or more" in capsys.readouterr().err


def test_info_refuses_a_bad_devkit(complete, tmp_path, capsys):
    _, folder = complete
    (tmp_path / "LOC_synset_mapping.txt").write_text("n01440764 tench\n")
    assert main(["info", str(folder), "--devkit", str(tmp_path / "LOC_synset_mapping.txt")]) == 2
    assert "only sorted-WNID order" in capsys.readouterr().err


def test_describe_and_report_without_the_cli(complete):
    _, folder = complete
    report = info(folder / "val_data", checksums=False)
    assert report.ok and [f.rows for f in report.files] == [1100]
    assert describe(report).splitlines()[1].startswith("val: 1 file (pickle), 1,100 images")


# --- the builder's output and the installed command ------------------------------------------


def test_the_builders_output_verifies(tmp_path, capsys):
    from imagenet32.build import build
    from imagenet32.demo import make_demo_tree

    tree = make_demo_tree(tmp_path / "imagenet")
    build(tree.train, tree.val, tree.devkit, tmp_path / "out", sizes=(8,), workers=1, progress=False)
    assert run(capsys, "verify", str(tmp_path / "out"), "--partial")[0] == 0
    code, out = run(capsys, "info", str(tmp_path / "out"), "--devkit", str(tree.devkit))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert code == 0 and all(digest in out for digest in manifest["sha256"].values())


def test_the_installed_command(complete):
    _, folder = complete
    command = Path(sys.executable).with_name("imagenet32")
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "imagenet32"]
    done = subprocess.run([*argv, "verify", str(folder), "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("OK: 11 files"), done.stdout + done.stderr
