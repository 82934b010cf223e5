"""Loading: layouts, dtypes and the mean against plain numpy, labels in both orders, every
way of naming the files, memory, the seed's recipe, minibatches, and bad input."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import imagenet32
from imagenet32 import FormatError, iter_batches, load, load_databatch, minibatches
from imagenet32.devkit import load_devkit
from published import Published, arrays, devkit_files, dump, write, zip_folder
from seed_recipe import seed_load_databatch


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Published, Path]:
    """A small Imagenet8 in the published pickle layout: 10 train batches and val_data."""
    p = arrays(np.random.default_rng(10), 8, 123, 17)
    return p, write(tmp_path_factory.mktemp("Imagenet8"), p)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("load")
    return lambda: Path(tempfile.mkdtemp(dir=root))


def planes_to_nhwc(x: np.ndarray, size: int) -> np.ndarray:
    """The original test script's recipe: stack the three planes depth-wise."""
    s2 = size * size
    return np.dstack((x[:, :s2], x[:, s2 : 2 * s2], x[:, 2 * s2 :])).reshape(len(x), size, size, 3)


def reference(x: np.ndarray, size: int, layout: str, dtype: str, mean: np.ndarray | None) -> np.ndarray:
    """What load must return, computed the seed's way with plain numpy."""
    if dtype == "float32":
        x = x / np.float32(255)
        if mean is not None:
            x -= mean / np.float32(255)
    nhwc = planes_to_nhwc(x, size)
    return nhwc if layout == "NHWC" else nhwc.transpose(0, 3, 1, 2)


# --- what load returns -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pickle", "npz"])
def test_load_train_and_val_of_published_files(tmp_path, fmt):
    p = arrays(np.random.default_rng(11), 4, 64, 9)
    folder = write(tmp_path, p, fmt)
    train = load(folder)
    assert train.images.shape == (64, 3, 4, 4) and train.images.dtype == np.uint8
    assert np.array_equal(train.images, p.train.reshape(64, 3, 4, 4))
    assert np.array_equal(train.labels, p.train_labels - 1) and train.labels.dtype == np.int64
    assert np.array_equal(train.mean, p.mean.reshape(3, 4, 4)) and train.mean.dtype == np.float64
    assert (train.size, train.split, train.layout) == (4, "train", "NCHW")
    assert (train.label_order, train.zero_based) == ("devkit", True)
    assert len(train) == 64 and len(train.files) == 10 and train.wnids is None and train.names is None
    val = load(folder, "val")
    assert np.array_equal(val.images, p.val.reshape(9, 3, 4, 4)) and np.array_equal(val.labels, p.val_labels - 1)
    assert val.mean is None and val.split == "val"


@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(1, 9),
    rows=st.integers(0, 30),
    layout=st.sampled_from(["NCHW", "NHWC"]),
    dtype=st.sampled_from(["uint8", "float32"]),
    subtract=st.booleans(),
    fmt=st.sampled_from(["pickle", "npz"]),
)
def test_layouts_and_dtypes_match_plain_numpy(scratch, seed, size, rows, layout, dtype, subtract, fmt):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (rows, 3 * size * size), dtype=np.uint8)
    mean = rng.random(3 * size * size) * 255
    subtract = subtract and dtype == "float32"
    path = scratch() / "train_data_batch_1"
    d = {"data": x, "labels": rng.integers(1, 1001, rows).tolist(), "mean": mean}
    np.savez(path.with_suffix(".npz"), **d) if fmt == "npz" else dump(path, d)
    source = path.with_suffix(".npz") if fmt == "npz" else path
    got = load(source, layout=layout, dtype=dtype, subtract_mean=subtract)
    expected = reference(x, size, layout, dtype, mean if subtract else None)
    assert got.images.dtype == np.dtype(dtype) and got.images.shape == expected.shape
    assert np.array_equal(got.images, expected)  # bit for bit, rounding included
    assert got.mean.shape == ((3, size, size) if layout == "NCHW" else (size, size, 3))
    mean_image = planes_to_nhwc(mean[None], size)[0]
    assert np.array_equal(got.mean, mean_image.transpose(2, 0, 1) if layout == "NCHW" else mean_image)


def test_many_files_in_every_layout_match_plain_numpy(published):
    p, folder = published
    for layout in ("NCHW", "NHWC"):
        for dtype in ("uint8", "float32"):
            got = load(folder, layout=layout, dtype=dtype, subtract_mean=dtype == "float32")
            mean = p.mean if dtype == "float32" else None
            assert np.array_equal(got.images, reference(p.train, 8, layout, dtype, mean))
            assert got.images.flags.c_contiguous


def test_a_given_mean_is_subtracted_from_val(published):
    p, folder = published
    for layout in ("NCHW", "NHWC"):
        expected = reference(p.val, 8, layout, "float32", p.mean)
        # planes, or one image in either layout (a train split's mean is in its load's layout)
        for mean in (p.mean, load(folder, batches=1).mean, load(folder, batches=1, layout="NHWC").mean):
            got = load(folder, "val", layout=layout, dtype="float32", subtract_mean=mean)
            assert np.array_equal(got.images, expected)


def test_a_mean_of_size_3_is_taken_in_the_loads_layout(tmp_path):
    """For 3x3 images (3, 3, 3) is both layouts' shape: it is read in the load's own."""
    p = arrays(np.random.default_rng(31), 3, 0, 5)
    write(tmp_path, p, train=False)
    mean = np.random.default_rng(32).random(27) * 255
    for layout in ("NCHW", "NHWC"):
        image = reference(mean[None], 3, layout, "float32", None)[0] * 255  # the planes as one image in layout
        got = load(tmp_path, "val", layout=layout, dtype="float32", subtract_mean=image)
        assert np.array_equal(got.images, reference(p.val, 3, layout, "float32", mean))


def test_several_compressed_npz_files(tmp_path):
    """Compressed pixels take less room on disk than in memory: the rows come from the headers."""
    p = arrays(np.random.default_rng(33), 8, 120, 0)
    p.train[:] = 7  # compresses to almost nothing
    for i, (data, labels) in enumerate(p.batches(), 1):
        np.savez_compressed(tmp_path / f"train_data_batch_{i}.npz", data=data, labels=labels, mean=p.mean)
    assert (tmp_path / "train_data_batch_2.npz").stat().st_size < p.batches()[1][0].nbytes
    got = load(tmp_path)
    assert np.array_equal(got.images.reshape(120, -1), p.train) and np.array_equal(got.labels + 1, p.train_labels)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_uint8_from_one_file_needs_no_second_copy(tmp_path, layout):
    # Imagenet64's val at a small scale: NCHW is a view of the pixels read, NHWC is made
    # where they lie.
    p = arrays(np.random.default_rng(12), 64, 0, 1500)
    write(tmp_path, p, train=False)
    tracemalloc.start()
    try:
        val = load(tmp_path, "val", layout=layout)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(val.images, reference(p.val, 64, layout, "uint8", None))
    assert not val.images.flags.owndata and val.images.flags.writeable
    assert peak < 1.2 * p.val.nbytes, f"peak {peak / p.val.nbytes:.2f} x the pixels"


def test_float32_needs_little_more_than_its_output(tmp_path):
    p = arrays(np.random.default_rng(13), 32, 0, 2000)
    write(tmp_path, p, train=False)
    tracemalloc.start()
    try:
        val = load(tmp_path, "val", layout="NHWC", dtype="float32")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < val.images.nbytes + 1.2 * p.val.nbytes


def test_all_train_batches_hold_one_file_besides_the_output(tmp_path):
    p = arrays(np.random.default_rng(14), 32, 3000, 0)
    write(tmp_path, p, val=False)
    tracemalloc.start()
    try:
        train = load(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(train.images.reshape(3000, -1), p.train)
    assert peak < p.train.nbytes + 1.2 * max(d.nbytes for d, _ in p.batches()) + 1e6


def test_mmap_maps_npz_pixels(tmp_path):
    p = arrays(np.random.default_rng(15), 8, 0, 40)
    write(tmp_path, p, "npz", train=False)
    val = load(tmp_path, "val", mmap=True)
    assert np.array_equal(val.images.reshape(40, -1), p.val)
    assert not val.images.flags.writeable  # read-only pages of the file, not a copy
    nhwc = load(tmp_path, "val", mmap=True, layout="NHWC")  # made beside the mapped pixels
    assert np.array_equal(nhwc.images, reference(p.val, 8, "NHWC", "uint8", None)) and nhwc.images.flags.writeable


# --- naming the files -----------------------------------------------------------------------


def test_zips_and_imagenet64_style_parts(published, tmp_path):
    p, folder = published
    whole = zip_folder(folder, tmp_path / "Imagenet8_train.zip", prefix="Imagenet8_train/")
    parts = [tmp_path / "part1", tmp_path / "part2"]
    for part, numbers in zip(parts, (range(1, 6), range(6, 11))):
        part.mkdir()
        for i in numbers:
            shutil.copy(folder / f"train_data_batch_{i}", part)
    zips = [zip_folder(part, part.with_suffix(".zip")) for part in parts]
    for source in (whole, zips, [zips[1], zips[0]]):
        assert np.array_equal(load(source).images.reshape(123, -1), p.train)
    with pytest.raises(FormatError, match="no train_data_batch_6, 7, 8, 9, 10; pass batches"):
        load(zips[0])
    first_two = np.concatenate([p.batches()[1][1], p.batches()[0][1]])
    assert np.array_equal(load(zips[0], batches=[2, 1]).labels + 1, first_two)


def test_npz_files_in_a_zip(tmp_path):
    # How the npz variant of Imagenet64's train set was published: .npz files inside zips.
    p = arrays(np.random.default_rng(22), 4, 50, 7)
    archive = zip_folder(write(tmp_path / "npz", p, "npz"), tmp_path / "Imagenet4_npz.zip")
    assert np.array_equal(load(archive, layout="NHWC").images, reference(p.train, 4, "NHWC", "uint8", None))
    assert np.array_equal(load(archive, "val").labels + 1, p.val_labels)


def test_single_files(published, tmp_path):
    p, folder = published
    third = load(folder / "train_data_batch_3")
    assert np.array_equal(third.images.reshape(len(third), -1), p.batches()[2][0])
    two = load([folder / "train_data_batch_3", folder / "train_data_batch_1"])
    assert len(two) == len(p.batches()[0][0]) * 2 and two.files[0].endswith("train_data_batch_1")
    shutil.copy(folder / "val_data", tmp_path / "mine.pkl")
    assert np.array_equal(load(tmp_path / "mine.pkl", "val").labels + 1, p.val_labels)
    with pytest.raises(FormatError, match="no train files \\(found val_data\\); pass split='val'"):
        load(folder / "val_data")
    shutil.copy(folder / "val_data", tmp_path / "other.pkl")
    with pytest.raises(FormatError, match="cannot tell which split"):
        load([tmp_path / "mine.pkl", tmp_path / "other.pkl"], "val")


def test_batches(published):
    p, folder = published
    picked = load(folder, batches=[4, 2])
    assert np.array_equal(picked.labels + 1, np.concatenate([p.batches()[3][1], p.batches()[1][1]]))
    assert np.array_equal(load(folder, batches=10).labels + 1, p.batches()[9][1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batches": 0}, ValueError, "batch numbers 1..10, got 0"),
        ({"batches": [1, 11]}, ValueError, "got 11"),
        ({"batches": [True]}, ValueError, "got True"),
        ({"batches": [1, 1]}, ValueError, "each train batch once"),
        ({"batches": []}, ValueError, "each train batch once"),
        ({"split": "val", "batches": 1}, ValueError, "the val split is one file"),
        ({"split": "test"}, ValueError, "split must be one of 'train', 'val'"),
        ({"layout": "CHW"}, ValueError, "layout must be one of 'NCHW', 'NHWC'"),
        ({"dtype": "float64"}, ValueError, "dtype must be one of 'uint8', 'float32'"),
        ({"label_order": "alphabetical"}, ValueError, "label_order must be one of"),
        ({"label_order": "sorted"}, ValueError, "label_order='sorted': the files hold devkit IDs .* needs the devkit"),
        ({"zero_based": 1}, TypeError, "zero_based must be True or False"),
        ({"mmap": "yes"}, TypeError, "mmap must be True or False"),
        ({"size": 0}, ValueError, "size must be a positive int"),
        ({"size": 16}, FormatError, "images are 8x8, asked for size=16"),
        ({"subtract_mean": True}, ValueError, "subtract_mean needs dtype='float32'"),
        ({"subtract_mean": "yes", "dtype": "float32"}, TypeError, "subtract_mean must be True, False or"),
        ({"split": "val", "subtract_mean": True, "dtype": "float32"}, ValueError, "a val file has no mean"),
        ({"split": "val", "subtract_mean": np.zeros(5), "dtype": "float32"}, ValueError, "shape \\(5,\\); expected"),
        ({"devkit": "/nonexistent/devkit"}, ValueError, "no such file or folder"),
    ],
)
def test_bad_arguments(published, kwargs, error, match):
    _, folder = published
    split = kwargs.pop("split", "train")
    with pytest.raises(error, match=match):
        load(folder, split, **kwargs)


def test_mixed_sizes_and_means_are_errors(published, tmp_path):
    p, folder = published
    shutil.copytree(folder, tmp_path / "mixed")
    q = arrays(np.random.default_rng(16), 4, 30, 0)
    smaller = {"data": q.train, "labels": q.train_labels.tolist(), "mean": q.mean}
    dump(tmp_path / "mixed" / "train_data_batch_5", smaller)
    with pytest.raises(FormatError, match="different sizes mixed: .*train_data_batch_1 has 8x8 .*batch_5 has 4x4"):
        load(tmp_path / "mixed")
    parts = iter_batches(tmp_path / "mixed")
    assert [len(next(parts)) for _ in range(4)] == [12] * 4  # lazily, file by file
    with pytest.raises(FormatError, match="different sizes mixed"):
        next(parts)
    data, labels = p.batches()[4]
    dump(tmp_path / "mixed" / "train_data_batch_5", {"data": data, "labels": labels.tolist(), "mean": p.mean + 1})
    with pytest.raises(FormatError, match="batch_1 and .*batch_5 have different means"):
        load(tmp_path / "mixed")
    parts = iter_batches(tmp_path / "mixed", dtype="float32", subtract_mean=True)
    assert [len(next(parts)) for _ in range(4)] == [12] * 4
    with pytest.raises(FormatError, match="batch_1 and .*batch_5 have different means"):
        next(parts)  # as load: batch 5 would have had another mean subtracted


def test_a_path_as_bytes(published):
    p, folder = published
    assert np.array_equal(load(bytes(folder)).images.reshape(-1, 192), p.train)


def test_datasets_linked_in(published, tmp_path):
    """Dataset folders reached through a link inside the folder given (linked in from another
    disk), also a link back up, which is no loop."""
    p, folder = published
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "Imagenet8").symlink_to(folder, target_is_directory=True)
    (tmp_path / "datasets" / "up").symlink_to(tmp_path / "datasets", target_is_directory=True)
    assert np.array_equal(load(tmp_path / "datasets", "val").labels + 1, p.val_labels)
    assert len(imagenet32.verify(tmp_path / "datasets").files) == 11


@pytest.mark.parametrize("link", ["latest", "Imagenet9_a", "a", "zzz"])
def test_a_link_to_a_folder_inside_does_not_hide_its_size(tmp_path, link):
    """``latest -> Imagenet8_val`` beside Imagenet8_val and Imagenet4_val: the files are taken
    under the folder's own name, whatever order the system lists the names in."""
    for size in (4, 8):
        write(tmp_path / f"Imagenet{size}_val", arrays(np.random.default_rng(size), size, 0, 20 + size), train=False)
    (tmp_path / link).symlink_to(tmp_path / "Imagenet8_val", target_is_directory=True)
    assert load(tmp_path, "val", size=4).files == (str(tmp_path / "Imagenet4_val" / "val_data"),)
    assert load(tmp_path, "val", size=8).files == (str(tmp_path / "Imagenet8_val" / "val_data"),)


def test_a_broken_link_named_as_a_dataset_file_is_named(published, tmp_path):
    _, folder = published
    shutil.copytree(folder, tmp_path / "ds")
    (tmp_path / "ds" / "val_data").unlink()
    (tmp_path / "ds" / "val_data").symlink_to(tmp_path / "gone")
    with pytest.raises(FormatError, match=r"ds/val_data: not a file that can be read \(a link to nothing\?\)"):
        load(tmp_path / "ds", "val")


def test_iter_batches_holds_its_own_mean(published):
    """Scaling a yielded mean in place does not make the next file's mean differ."""
    for part in iter_batches(published[1]):
        part.mean[...] /= 255  # a Split is frozen; its arrays are the caller's


def test_iter_batches_gives_each_file(published):
    p, folder = published
    parts = list(iter_batches(folder, layout="NHWC", zero_based=False))
    assert len(parts) == 10
    for part, (data, labels) in zip(parts, p.batches()):
        assert np.array_equal(part.images, planes_to_nhwc(data, 8)) and np.array_equal(part.labels, labels)
    assert np.array_equal(next(iter_batches(folder, "val")).labels, p.val_labels - 1)


# --- labels ------------------------------------------------------------------------------


def test_label_orders(published, tmp_path):
    p, folder = published
    wnids = devkit_files(tmp_path / "kit", np.random.default_rng(17))
    rank = {w: i for i, w in enumerate(sorted(wnids))}  # sorted-WNID order, 0-based
    val = load(folder, "val", label_order="sorted", devkit=tmp_path / "kit")
    assert val.labels.tolist() == [rank[wnids[k - 1]] for k in p.val_labels]
    assert val.wnids == tuple(sorted(wnids)) and val.names[val.labels[0]] == f"class_{p.val_labels[0]}"
    one_based = load(folder, "val", label_order="sorted", devkit=load_devkit(tmp_path / "kit"), zero_based=False)
    assert np.array_equal(one_based.labels, val.labels + 1)
    devkit_order = load(folder, "val", devkit=[tmp_path / "kit" / "map_clsloc.txt"])
    assert devkit_order.wnids == tuple(wnids)
    assert devkit_order.wnids[devkit_order.labels[3]] == wnids[p.val_labels[3] - 1]
    assert np.array_equal(load(folder, "val", zero_based=False).labels, p.val_labels)


def test_devkits_without_devkit_ids_or_with_too_few_classes(published, tmp_path):
    _, folder = published
    (tmp_path / "LOC_synset_mapping.txt").write_text("n01440764 tench\nn01443537 goldfish\n")
    with pytest.raises(ValueError, match="only sorted-WNID order"):
        load(folder, "val", devkit=tmp_path / "LOC_synset_mapping.txt")
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "map_clsloc.txt").write_text("n02119789 1 kit_fox\nn02100735 2 English_setter\n")
    for order in ("sorted", "devkit"):
        with pytest.raises(FormatError, match="label .* is not one of the devkit's 2 classes"):
            load(folder, "val", label_order=order, devkit=tmp_path / "small")
        with pytest.raises(FormatError, match="label .* is not one of the devkit's 2 classes"):
            list(iter_batches(folder, "val", label_order=order, devkit=tmp_path / "small"))


@pytest.mark.parametrize("idx", [1, 10])
def test_load_databatch_equals_the_seed_recipe(published, idx):
    _, folder = published
    ours, theirs = load_databatch(folder, idx, 8), seed_load_databatch(folder, idx, 8)
    for key in ("X_train", "Y_train", "mean"):
        assert ours[key].dtype == theirs[key].dtype and ours[key].shape == theirs[key].shape
        assert np.array_equal(ours[key], theirs[key]), key


def test_load_databatch_checks_the_size_and_reads_zips(published, tmp_path):
    _, folder = published
    with pytest.raises(FormatError, match="images are 8x8, asked for size=32"):
        load_databatch(folder, 2)
    archive = zip_folder(folder, tmp_path / "t.zip")
    assert np.array_equal(load_databatch(archive, 2, 8)["X_train"], seed_load_databatch(folder, 2, 8)["X_train"])
    shutil.copy(folder / "val_data", tmp_path / "train_data_batch_1")
    with pytest.raises(FormatError, match="train_data_batch_1: no mean"):
        load_databatch(tmp_path, 1, 8)
    with pytest.raises(FormatError, match=r"no train files \(found val_data\)$"):  # no split= to suggest
        load_databatch(folder / "val_data", 1, 8)


# --- minibatches ---------------------------------------------------------------------------


def test_minibatches_without_shuffle_are_slices(published):
    p, _ = published
    images, labels = p.val.reshape(17, 3, 8, 8), p.val_labels
    out = list(minibatches(images, labels, 5, shuffle=False))
    assert len(out) == 3 and all(np.array_equal(x, images[5 * k : 5 * k + 5]) for k, (x, _) in enumerate(out))
    tail = list(minibatches(images, labels, 5, shuffle=False, drop_last=False))[-1]
    assert np.array_equal(tail[0], images[15:]) and np.array_equal(tail[1], labels[15:])


@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 20))
def test_shuffled_minibatches_cover_the_epoch_and_repeat_with_the_seed(published, seed, batch):
    p, _ = published
    index = np.arange(len(p.train))
    images = p.train.reshape(-1, 3, 8, 8)
    first = list(minibatches(images, index, batch, seed=seed, drop_last=False))
    again = list(minibatches(images, index, batch, seed=seed, drop_last=False))
    seen = np.concatenate([y for _, y in first])
    assert sorted(seen) == index.tolist()
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert all(np.array_equal(x, images[y]) for x, y in first)


def crop_flips(image: np.ndarray, pad: int) -> list[np.ndarray]:
    """Every image the original augmentation can make from an NCHW image."""
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad)), mode="constant")
    side = image.shape[1]
    crops = [padded[:, y : y + side, x : x + side] for y in range(2 * pad + 1) for x in range(2 * pad + 1)]
    return crops + [c[:, :, ::-1] for c in crops]


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_augmentation_is_pad_crop_and_flip(layout, dtype):
    rng = np.random.default_rng(18)
    nchw = (rng.random((40, 3, 6, 6)) * 200 + 1).astype(dtype)
    images = nchw if layout == "NCHW" else np.ascontiguousarray(nchw.transpose(0, 2, 3, 1))
    shapes = set()
    for x, y in minibatches(images, np.arange(40), 8, layout=layout, augment=True, pad=2, seed=3):
        assert x.dtype == dtype and x.shape == (8, *images.shape[1:])
        for out, k in zip(x if layout == "NCHW" else x.transpose(0, 3, 1, 2), y):
            matches = [i for i, c in enumerate(crop_flips(nchw[k], 2)) if np.array_equal(c, out)]
            assert matches, "not a padded crop of its source"
            shapes.add(matches[0])
    assert len(shapes) > 20  # many different offsets and flips


def test_augmentation_draws_every_offset_and_both_flips():
    images = np.arange(1, 1 + 2000 * 3 * 4 * 4, dtype=np.float32).reshape(2000, 3, 4, 4)
    drawn = set()
    for x, y in minibatches(images, np.arange(2000), 100, augment=True, pad=1, seed=4):
        for out, k in zip(x, y):
            drawn.update(i for i, c in enumerate(crop_flips(images[k], 1)) if np.array_equal(c, out))
    assert drawn == set(range(18))


def test_augmentation_is_seeded():
    images = np.random.default_rng(19).integers(0, 256, (64, 3, 8, 8), dtype=np.uint8)

    def run(seed):
        return np.concatenate([x for x, _ in minibatches(images, np.arange(64), 16, augment=True, seed=seed)])

    assert np.array_equal(run(5), run(5)) and not np.array_equal(run(5), run(6))


@pytest.mark.parametrize(
    "images, labels, batch, kwargs, match",
    [
        (np.zeros((4, 3, 2, 2)), np.zeros(4), 2, {"layout": "NHWC"}, "4-D NHWC array with 3 channels"),
        (np.zeros((4, 2, 2)), np.zeros(4), 2, {}, "4-D NCHW array"),
        ([[0]], np.zeros(1), 2, {}, "got list"),
        (np.zeros((4, 3, 2, 2)), np.zeros(3), 2, {}, "3 labels for 4 images"),
        (np.zeros((4, 3, 2, 2)), np.zeros(4), 0, {}, "batch_size must be a positive int"),
        (np.zeros((4, 3, 2, 2)), np.zeros(4), 2, {"pad": -1}, "pad must be an int >= 0"),
        (np.zeros((4, 3, 2, 2)), np.zeros(4), 2, {"layout": "HWC"}, "layout must be one of"),
    ],
)
def test_minibatches_refuse_bad_input(images, labels, batch, kwargs, match):
    with pytest.raises(ValueError, match=match):
        next(minibatches(images, labels, batch, **kwargs))


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, ">f4", ">u2", np.complex64, bool])
def test_minibatches_augment_names_the_dtypes_it_takes(dtype):
    images = np.zeros((4, 3, 2, 2), dtype)
    with pytest.raises(TypeError, match="augment takes integer, float32 or float64 images"):
        next(minibatches(images, np.zeros(4), 2, augment=True))
    assert next(minibatches(images, np.zeros(4), 2))[0].dtype == images.dtype  # without augment, any dtype


def test_a_devkit_path_may_be_bytes(published, tmp_path):
    _, folder = published
    devkit_files(tmp_path / "kit", np.random.default_rng(18))
    meta = tmp_path / "kit" / "map_clsloc.txt"
    by_text, by_bytes = (load(folder, "val", devkit=p) for p in (meta, os.fsencode(meta)))
    assert by_bytes.wnids == by_text.wnids and np.array_equal(by_bytes.labels, by_text.labels)


# --- the builder's output ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from imagenet32.build import build
    from imagenet32.demo import make_demo_tree

    root = tmp_path_factory.mktemp("built")
    tree = make_demo_tree(root / "imagenet")
    build(tree.train, tree.val, tree.devkit, root / "datasets", sizes=(8, 16), workers=1, progress=False)
    return root / "datasets", tree.devkit


def test_loads_the_builders_output(built):
    datasets, devkit = built
    for size in (8, 16):
        train = load(datasets, size=size, devkit=devkit)
        batches = []
        for i in range(1, 11):
            with open(datasets / f"Imagenet{size}_train" / f"train_data_batch_{i}", "rb") as f:
                batches.append(pickle.load(f))
        assert np.array_equal(train.images.reshape(len(train), -1), np.concatenate([b["data"] for b in batches]))
        assert train.labels.tolist() == [label - 1 for b in batches for label in b["labels"]]
        assert np.array_equal(train.mean.reshape(-1), batches[0]["mean"])
        val = load(datasets, "val", size=size, devkit=devkit, label_order="sorted")
        assert val.size == size and val.wnids == tuple(sorted(val.wnids))


def test_the_package_exports_the_loaders():
    for name in ("load", "iter_batches", "load_databatch", "minibatches", "read_batch", "write_batch", "Split"):
        assert name in imagenet32.__all__ and hasattr(imagenet32, name)


def test_a_file_announcing_more_rows_than_it_holds_is_named_before_memory_is_asked(tmp_path):
    """load plans one output for all files from their headers: a header claiming 2**40 rows
    asked for 12 TiB (a bare MemoryError); a negative one gave numpy's message, naming no file."""
    folder = tmp_path / "Imagenet2_train"
    folder.mkdir()
    np.savez(folder / "train_data_batch_1.npz", data=np.zeros((1, 12), np.uint8), labels=[1], mean=np.zeros(12))
    for rows, match in ((2**40, "its header declares a \\(1099511627776, 12\\) uint8 array"), (-1, "an array of shape \\(-1, 12\\)")):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (rows, 12)})
        with zipfile.ZipFile(folder / "train_data_batch_2.npz", "w") as z:
            z.writestr("data.npy", header.getvalue())
        with pytest.raises(FormatError, match=f"train_data_batch_2.npz: data.npy: {match}"):
            load(folder, batches=[1, 2])


def test_images_beyond_memory_are_a_memory_error_saying_how_much(tmp_path):
    from imagenet32.load import _allocated
    with pytest.raises(MemoryError, match="1,099,511,627,776 images \\(two files\\) as float32 need 196,608.0 GiB, more than this machine gives"):
        _allocated((2**40, 3, 4, 4), "float32", "two files")
