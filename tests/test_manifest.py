"""The readers take what a build's manifest.json records: the label order of its files
(``--labels sorted`` files are not devkit IDs, though nothing in them says so) and each
file's sha256 (``verify`` finds a file changed since the build)."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import zipfile

import numpy as np
import pytest

from imagenet32 import load, save_histogram, verify
from imagenet32.build import build
from imagenet32.cli import main
from imagenet32.demo import make_demo_tree
from imagenet32.devkit import load_devkit
from imagenet32.formats import FormatError, find_data_files
from imagenet32.manifest import label_order_of, recorded


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The demo tree built twice, to 8x8: devkit IDs and sorted-WNID IDs."""
    root = tmp_path_factory.mktemp("manifest")
    tree = make_demo_tree(root / "imagenet", seed=5)
    outs = {}
    for order in ("devkit", "sorted"):
        outs[order] = root / order
        build(tree.train, tree.val, tree.devkit, outs[order], sizes=[8], labels=order, workers=1, progress=False)
    return tree, outs


def raw_labels(path) -> np.ndarray:
    with open(path, "rb") as f:
        return np.asarray(pickle.load(f)["labels"])


def test_the_files_orders_are_the_manifests(builds):
    tree, outs = builds
    kit = load_devkit(tree.devkit)
    devkit_ids = raw_labels(outs["devkit"] / "Imagenet8_val" / "val_data")
    sorted_ids = raw_labels(outs["sorted"] / "Imagenet8_val" / "val_data")
    assert np.array_equal(sorted_ids, kit.to_sorted(devkit_ids)) and not np.array_equal(sorted_ids, devkit_ids)
    for order, out in outs.items():
        files = find_data_files(out)
        assert label_order_of(files) == order
        entry = recorded(files[0])
        assert entry is not None and entry.manifest == out / "manifest.json"
        digests = json.loads((out / "manifest.json").read_text())["sha256"]
        assert entry.sha256 == digests["Imagenet8_train/train_data_batch_1"]


def test_load_gives_the_order_asked_for_whatever_the_files_hold(builds):
    tree, outs = builds
    kit = load_devkit(tree.devkit)
    for split in ("train", "val"):
        as_devkit = load(outs["devkit"], split)
        as_sorted = load(outs["sorted"], split)
        assert (as_devkit.label_order, as_sorted.label_order) == ("devkit", "sorted")  # by default, as stored
        assert np.array_equal(as_sorted.labels, kit.to_sorted(as_devkit.labels + 1) - 1)
        for out in outs.values():  # either build, converted to either order
            for order, expected in (("devkit", as_devkit), ("sorted", as_sorted)):
                got = load(out, split, label_order=order, devkit=tree.devkit)
                assert got.label_order == order and np.array_equal(got.labels, expected.labels)
                first = int(got.labels[0])
                devkit_id = int(as_devkit.labels[0]) + 1
                assert got.wnids[first] == kit.wnids[devkit_id - 1] and got.names[first] == kit.names[devkit_id - 1]
    with pytest.raises(ValueError, match="the files hold sorted IDs .*manifest.json says so.*needs the devkit"):
        load(outs["sorted"], "val", label_order="devkit")


def test_files_of_both_orders_together_are_refused(builds, tmp_path):
    _, outs = builds
    with pytest.raises(FormatError, match="sorted-WNID IDs .* devkit IDs: files of two datasets mixed"):
        load([outs["sorted"] / "Imagenet8_train" / "train_data_batch_1",
              outs["devkit"] / "Imagenet8_train" / "train_data_batch_2"])
    # A manifest that is not an imagenet32 build's, or does not list the file, says nothing.
    copy = tmp_path / "copy"
    shutil.copytree(outs["sorted"], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "tool": "other 1.0"}))
    assert load(copy, "val").label_order == "devkit"
    (copy / "manifest.json").write_text(json.dumps({**manifest, "sha256": {}}))
    assert load(copy, "val").label_order == "devkit"
    (copy / "manifest.json").write_text("{not json")
    assert load(copy, "val").label_order == "devkit"


def test_info_names_the_classes_of_sorted_files(builds, capsys):
    tree, outs = builds
    kit = load_devkit(tree.devkit)
    texts = {}
    for order, out in outs.items():
        assert main(["info", str(out / "Imagenet8_val"), "--devkit", str(tree.devkit), "--quiet"]) == 0
        texts[order] = capsys.readouterr().out
    # The same classes by name, whichever IDs the files hold.
    for order, text in texts.items():
        named = [re.search(r"fewest images: [0-9,]+ \(class ([0-9]+) \((n[0-9]{8}) ", line) for line in text.splitlines()]
        named = [match for match in named if match]
        assert len(named) == 1
        label, fewest = int(named[0][1]), named[0][2]
        assert fewest == kit.wnids[kit.relabel(order, "devkit")[label] - 1]
        assert f"in {'devkit' if order == 'devkit' else 'sorted-WNID'} order" in text
    assert "1-based sorted-WNID IDs (as " in texts["sorted"] and "manifest.json records)" in texts["sorted"]
    assert "1-based devkit IDs, map_clsloc.txt order (as " in texts["devkit"]


def test_verify_finds_a_byte_changed_since_the_build(builds, tmp_path, capsys):
    _, outs = builds
    copy = tmp_path / "copy"
    shutil.copytree(outs["devkit"], copy)
    assert verify(copy / "Imagenet8_val", partial=True).ok
    val = copy / "Imagenet8_val" / "val_data"
    content = bytearray(val.read_bytes())
    with open(val, "rb") as f:
        pixels = pickle.load(f)["data"].tobytes()
    content[content.find(pixels) + 5] ^= 1  # a pixel: the file still keeps every rule of the format
    val.write_bytes(bytes(content))
    report = verify(copy / "Imagenet8_val", partial=True)
    assert report.problems == [f"{val}: its sha256 is not the one {copy / 'manifest.json'} records "
                               "(changed since the build)"]
    assert main(["verify", str(copy / "Imagenet8_val"), "--partial", "--quiet"]) == 1
    assert "its sha256 is not the one" in capsys.readouterr().out
    assert main(["info", str(copy / "Imagenet8_val"), "--quiet"]) == 1  # info, which takes checksums, too


def test_the_histogram_names_the_files_order(builds, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes

    _, outs = builds
    labels = []
    monkeypatch.setattr(Axes, "set_xlabel", lambda self, text, *a, **k: labels.append(text))
    for out in outs.values():
        save_histogram(out, tmp_path / "h.png", size=8)
    assert labels == ["class (devkit ID)", "class (sorted-WNID ID)"]


def test_the_order_is_found_through_links_and_in_zips(builds, tmp_path):
    """A split folder linked in elsewhere and a zip of the build's folder keep the manifest's
    word (both read as devkit IDs, silently)."""
    _, outs = builds
    expected = load(outs["sorted"], "val").labels
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "Imagenet8_val").symlink_to(outs["sorted"] / "Imagenet8_val")
    archive = tmp_path / "sorted.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(outs["sorted"].rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(outs["sorted"]).as_posix())
    for where in (linked, archive):
        split = load(where, "val")
        assert split.label_order == "sorted" and np.array_equal(split.labels, expected)
    [member] = [f for f in find_data_files(archive) if f.split == "val"]
    entry = recorded(member)
    assert entry is not None and entry.label_order == "sorted"
    assert str(entry.manifest).endswith("sorted.zip:manifest.json")
