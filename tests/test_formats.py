"""The file formats: names, batch sizes, the streaming atomic writer, the safe reader and
finding files in folders and zips."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import pickletools
import signal
import struct
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagenet32 import formats
from imagenet32.formats import (
    DataFile,
    FormatError,
    UnsafePickleError,
    batch_sizes,
    find_data_files,
    image_size,
    read_batch,
    train_batch_name,
    val_name,
    write_batch,
)
from published import arrays, dump, dump_python2, write, zip_folder


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A fresh folder per call, usable inside hypothesis tests."""
    root = tmp_path_factory.mktemp("formats")
    return lambda: Path(tempfile.mkdtemp(dir=root))


def batch_content(draw_rng: np.random.Generator, size: int, rows: int, with_mean: bool) -> dict:
    data = draw_rng.integers(0, 256, (rows, 3 * size * size), dtype=np.uint8)
    d = {"data": data, "labels": draw_rng.integers(1, 1001, rows).tolist()}
    if with_mean:
        d["mean"] = draw_rng.random(3 * size * size) * 255
    return d


contents = st.builds(
    batch_content,
    st.integers(0, 2**32 - 1).map(np.random.default_rng),
    st.integers(1, 6),
    st.integers(0, 25),
    st.booleans(),
)


# --- names and sizes ---------------------------------------------------------------


def test_names():
    assert [train_batch_name(i, "pickle") for i in (1, 10)] == ["train_data_batch_1", "train_data_batch_10"]
    assert train_batch_name(3, "npz") == "train_data_batch_3.npz"
    assert (val_name("pickle"), val_name("npz")) == ("val_data", "val_data.npz")


@pytest.mark.parametrize("i", [0, 11, -1, True, 1.0, "1"])
def test_train_batch_name_refuses_numbers_outside_the_format(i):
    with pytest.raises(ValueError, match="train batch number must be 1..10"):
        train_batch_name(i, "pickle")


@pytest.mark.parametrize("call", [lambda: train_batch_name(1, "npy"), lambda: val_name("pkl")])
def test_names_refuse_unknown_formats(call):
    with pytest.raises(ValueError, match="fmt must be one of"):
        call()


@given(st.integers(0, 10**8))
def test_batch_sizes(n):
    sizes = batch_sizes(n)
    assert len(sizes) == 10 and sum(sizes) == n
    assert sizes[:9] == [n // 10] * 9
    assert n // 10 <= sizes[9] < n // 10 + 10


def test_batch_sizes_of_imagenet():
    # The published files: 128,116 rows in batches 1-9 and 128,123 in batch 10.
    assert batch_sizes(1_281_167) == [128_116] * 9 + [128_123]


@pytest.mark.parametrize("n", [-1, 2.5, True, "10"])
def test_batch_sizes_refuses_bad_counts(n):
    with pytest.raises(ValueError, match="must be an int >= 0"):
        batch_sizes(n)


@given(st.integers(1, 300))
def test_image_size_inverts_columns(side):
    assert image_size(3 * side * side) == side


@given(st.integers(0, 10**6).filter(lambda c: c % 3 or int((c // 3) ** 0.5 + 0.5) ** 2 != c // 3 or c == 0))
def test_image_size_refuses_other_column_counts(columns):
    with pytest.raises(ValueError, match="not 3\\*S\\*S"):
        image_size(columns)


# --- writing -----------------------------------------------------------------------


def opcode_names(path: Path) -> list[str]:
    return [op.name for op, _, _ in pickletools.genops(path.read_bytes())]


def globals_named(path: Path) -> set[tuple[str, str]]:
    """(module, name) of every STACK_GLOBAL, from the two strings pushed before it."""
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(path.read_bytes()):
        if op.name == "STACK_GLOBAL":
            found.add((strings[-2], strings[-1]))
        if isinstance(arg, str):
            strings.append(arg)
    return found


@given(content=contents)
def test_written_pickles_are_plain_pickles_of_the_published_dict(scratch, content):
    path = scratch() / "train_data_batch_1"
    write_batch(path, content["data"], content["labels"], content.get("mean"), "pickle")
    with open(path, "rb") as f:
        loaded = pickle.load(f)
    assert sorted(loaded) == sorted(content)
    assert loaded["data"].dtype == np.uint8 and loaded["data"].shape == content["data"].shape
    assert np.array_equal(loaded["data"], content["data"])
    assert loaded["labels"] == content["labels"] and all(type(v) is int for v in loaded["labels"])
    if "mean" in content:
        assert loaded["mean"].dtype == np.float64 and np.array_equal(loaded["mean"], content["mean"])
    assert path.read_bytes()[:2] == b"\x80\x04"
    assert opcode_names(path).count("BINBYTES8") == len(content) - 1
    # The names numpy 1.x wrote in the published files, which numpy 1.x and 2.x both read.
    assert globals_named(path) == {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype")}


@given(content=contents)
def test_written_npz_loads_without_pickle(scratch, content):
    path = scratch() / "val_data.npz"
    write_batch(path, content["data"], content["labels"], content.get("mean"), "npz")
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(content)
        assert np.array_equal(npz["data"], content["data"]) and npz["data"].dtype == np.uint8
        assert npz["labels"].tolist() == content["labels"]
        if "mean" in content:
            assert np.array_equal(npz["mean"], content["mean"])


@given(content=contents, fmt=st.sampled_from(["pickle", "npz"]))
def test_read_batch_reads_what_write_batch_wrote(scratch, content, fmt):
    path = scratch() / "f"
    write_batch(path, content["data"], content["labels"], content.get("mean"), fmt)
    batch = read_batch(path)
    assert np.array_equal(batch.data, content["data"]) and batch.labels.tolist() == content["labels"]
    assert (batch.mean is None) == ("mean" not in content)
    assert 3 * batch.size**2 == content["data"].shape[1] and len(batch) == len(content["data"])


def test_write_batch_takes_non_contiguous_data(tmp_path):
    rng = np.random.default_rng(1)
    big = rng.integers(0, 256, (40, 2 * 48), dtype=np.uint8)
    data = big[::2, ::2]  # 20 rows of 48 values, strided both ways
    for fmt in ("pickle", "npz"):
        write_batch(tmp_path / fmt, data, [5] * 20, None, fmt)
        assert np.array_equal(read_batch(tmp_path / fmt).data, data)


@pytest.mark.parametrize("fmt", ["pickle", "npz"])
def test_write_batch_streams_a_memmap(tmp_path, fmt):
    rows, columns = 87_382, 3072  # 268 MB of pixels
    source = np.memmap(tmp_path / "pixels", np.uint8, "w+", shape=(rows, columns))
    source[::997] = 200  # a sparse file: only a few pages are ever written
    source.flush()
    data = np.memmap(tmp_path / "pixels", np.uint8, "r", shape=(rows, columns))
    labels = np.arange(rows) % 1000 + 1
    tracemalloc.start()
    try:
        write_batch(tmp_path / "out", data, labels, np.zeros(columns), fmt)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48e6, f"peak {peak / 1e6:.0f} MB for a {data.nbytes / 1e6:.0f} MB memmap"
    batch = read_batch(tmp_path / "out", mmap=True)
    assert np.array_equal(batch.data[::997], data[::997]) and batch.data[1:997].max() == 0
    assert np.array_equal(batch.labels, labels)


@given(content=contents, fmt=st.sampled_from(["pickle", "npz"]), block=st.integers(1, 7))
def test_row_blocks_write_the_same_file_as_the_array(scratch, content, fmt, block):
    """Rows handed over block by block (how the builder streams them) give the same bytes."""
    folder = scratch()
    data = content["data"]
    blocks = formats.RowBlocks(data.shape, lambda: (data[i : i + block] for i in range(0, len(data), block)))
    write_batch(folder / "array", data, content["labels"], content.get("mean"), fmt)
    write_batch(folder / "blocks", blocks, content["labels"], content.get("mean"), fmt)
    assert (folder / "array").read_bytes() == (folder / "blocks").read_bytes()


def test_row_blocks_that_do_not_match_their_shape_are_refused(tmp_path):
    rows = np.zeros((6, 12), np.uint8)
    short = formats.RowBlocks((7, 12), lambda: iter([rows]))
    wide = formats.RowBlocks((6, 12), lambda: iter([np.zeros((6, 48), np.uint8)]))
    for fmt in ("pickle", "npz"):
        with pytest.raises(ValueError, match="gave 6 rows, not 7"):
            write_batch(tmp_path / "f", short, [1] * 7, None, fmt)
        with pytest.raises(ValueError, match="does not fit rows of 12 bytes"):
            write_batch(tmp_path / "f", wide, [1] * 6, None, fmt)
        assert not (tmp_path / "f").exists()


def test_write_batch_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "val_data"
    data = np.zeros((4, 12), np.uint8)
    write_batch(path, data, [1, 2, 3, 4], None, "pickle")
    before = path.read_bytes()

    def fail(out, array):
        out.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(formats, "_write_rows", fail)
    with pytest.raises(OSError, match="disk full"):
        write_batch(path, data + 1, [4, 3, 2, 1], None, "pickle")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["val_data"]


KILLED_WRITE = """
import os, signal, sys
import numpy as np
from imagenet32 import formats

def killed(out, array):
    out.write(b"partial")
    out.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # no cleanup runs

formats._write_rows = killed
formats.write_batch(sys.argv[1], np.zeros((4, 12), np.uint8), [1, 2, 3, 4], None, "pickle")
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_remove_partial_writes_clears_what_a_killed_write_left(tmp_path):
    path = tmp_path / "train_data_batch_1"
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(path)])
        assert done.returncode == -signal.SIGKILL
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2 and all(n.startswith(".train_data_batch_1.") and n.endswith(".tmp") for n in left)
    # Not ours: another file's temporary, a name without the 12 hex digits, a user's file.
    others = [".train_data_batch_10.0123456789ab.tmp", ".train_data_batch_1.notes.tmp", "train_data_batch_1.tmp"]
    for name in others:
        (tmp_path / name).write_bytes(b"keep")
    removed = formats.remove_partial_writes(path)
    assert sorted(p.name for p in removed) == left
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others)
    assert formats.remove_partial_writes(path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_files_keep_the_umask(tmp_path):
    mask = os.umask(0o027)
    os.umask(mask)
    write_batch(tmp_path / "f", np.zeros((1, 3), np.uint8), [1], None, "pickle")
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(
    "data, labels, mean, error, match",
    [
        (np.zeros((2, 12), np.float32), [1, 2], None, TypeError, "data must be a 2-D uint8 array"),
        (np.zeros(12, np.uint8), [1], None, TypeError, "data must be a 2-D uint8 array"),
        ([[0] * 12], [1], None, TypeError, "got list"),
        (np.zeros((2, 13), np.uint8), [1, 2], None, ValueError, "13 columns, not 3\\*S\\*S"),
        (np.zeros((2, 12), np.uint8), [1], None, ValueError, "1 labels for 2 rows"),
        (np.zeros((2, 12), np.uint8), [0, 2], None, ValueError, "devkit IDs 1..1000, got 0..2"),
        (np.zeros((2, 12), np.uint8), [1, 1001], None, ValueError, "got 1..1001"),
        (np.zeros((2, 12), np.uint8), [1.0, 2.0], None, TypeError, "labels must be a sequence of int"),
        (np.zeros((2, 12), np.uint8), [1, 2], np.zeros(11), TypeError, "mean must be a float64 array of shape"),
        (np.zeros((2, 12), np.uint8), [1, 2], np.zeros(12, np.float32), TypeError, "got float32"),
        # means the reader refuses (a mean of uint8 pixels lies in 0..255)
        (np.zeros((2, 12), np.uint8), [1, 2], np.full(12, np.nan), ValueError, "mean has values outside 0..255"),
        (np.zeros((2, 12), np.uint8), [1, 2], np.full(12, 255.5), ValueError, "outside 0..255"),
        (np.zeros((2, 12), np.uint8), [1, 2], np.full(12, -1e-9), ValueError, "outside 0..255"),
    ],
)
def test_write_batch_refuses_bad_input(tmp_path, data, labels, mean, error, match):
    with pytest.raises(error, match=match):
        write_batch(tmp_path / "f", data, labels, mean, "pickle")
    assert not list(tmp_path.iterdir())


def test_write_batch_takes_the_paths_the_readers_take(tmp_path):
    data, mean = np.arange(24, dtype=np.uint8).reshape(2, 12), np.full(12, 255.0)
    write_batch(os.fsencode(tmp_path / "f"), data, [1, 2], mean, "pickle")
    batch = read_batch(os.fsencode(tmp_path / "f"))
    assert np.array_equal(batch.data, data) and np.array_equal(batch.mean, mean)
    with pytest.raises(TypeError, match="expected a path, got int"):
        write_batch(3, data, [1, 2], None, "pickle")


def test_write_batch_refuses_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="fmt must be one of"):
        write_batch(tmp_path / "f", np.zeros((1, 3), np.uint8), [1], None, "hdf5")


# --- reading published files ---------------------------------------------------------


@given(content=contents, protocol=st.sampled_from([None, 2, 3, 4, 5]))
def test_reads_pickles_of_every_protocol(scratch, content, protocol):
    path = scratch() / "train_data_batch_1"
    dump(path, content, protocol)
    batch = read_batch(path)
    assert np.array_equal(batch.data, content["data"]) and batch.data.dtype == np.uint8
    assert batch.labels.tolist() == content["labels"] and batch.labels.dtype == np.int64
    if "mean" in content:
        assert np.array_equal(batch.mean, content["mean"])
    else:
        assert batch.mean is None


@pytest.mark.parametrize("rows", [3, 6000])  # 6000 rows of Imagenet32 are past the reader's 16 MiB step
def test_reads_python2_pickles(tmp_path, rows):
    """Array data as Python 2's str (BINSTRING), small and large."""
    content = batch_content(np.random.default_rng(rows), 32, rows, True)
    dump_python2(tmp_path / "train_data_batch_1", content)
    ops = pickletools.genops((tmp_path / "train_data_batch_1").read_bytes())
    assert any(op.name == "BINSTRING" and len(arg) == content["data"].nbytes for op, arg, _ in ops)
    batch = read_batch(tmp_path / "train_data_batch_1")
    assert np.array_equal(batch.data, content["data"]) and np.array_equal(batch.mean, content["mean"])
    assert batch.labels.tolist() == content["labels"]


def test_reads_published_folders_in_both_formats(tmp_path):
    p = arrays(np.random.default_rng(2), 8, 57, 9)
    for fmt in ("pickle", "npz"):
        folder = write(tmp_path / fmt, p, fmt)
        suffix = ".npz" if fmt == "npz" else ""
        for i, (data, labels) in enumerate(p.batches(), 1):
            batch = read_batch(folder / f"train_data_batch_{i}{suffix}")
            assert np.array_equal(batch.data, data) and np.array_equal(batch.labels, labels)
            assert np.array_equal(batch.mean, p.mean) and batch.size == 8
        val = read_batch(folder / f"val_data{suffix}")
        assert np.array_equal(val.data, p.val) and val.mean is None


def test_pickled_data_is_writeable_and_not_copied(tmp_path):
    data = np.arange(3 * 64 * 64 * 50, dtype=np.uint64).astype(np.uint8).reshape(50, -1)
    dump(tmp_path / "val_data", {"data": data, "labels": [7] * 50})
    tracemalloc.start()
    try:
        batch = read_batch(tmp_path / "val_data")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(batch.data, data) and batch.data.flags.writeable
    assert peak < 1.1 * data.nbytes + 200_000


def test_compressed_npz_and_mmap(tmp_path):
    p = arrays(np.random.default_rng(3), 4, 0, 30)
    np.savez_compressed(tmp_path / "a.npz", data=p.val, labels=p.val_labels)
    np.savez(tmp_path / "b.npz", data=p.val, labels=p.val_labels)
    packed = read_batch(tmp_path / "a.npz", mmap=True)  # compressed: read, not mapped
    mapped = read_batch(tmp_path / "b.npz", mmap=True)
    assert np.array_equal(packed.data, p.val) and np.array_equal(mapped.data, p.val)
    assert not isinstance(packed.data.base, np.memmap)
    assert isinstance(mapped.data.base, np.memmap) and not mapped.data.flags.writeable


# --- refusing what is unsafe ---------------------------------------------------------


class RunsCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class Evaluates:
    def __reduce__(self):
        return (eval, ("1 + 1",))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("where", ["top", "labels", "key"])
def test_a_pickle_that_would_run_a_command_is_refused(tmp_path, protocol, where):
    marker = tmp_path / "marker"
    evil = RunsCommand(f"touch {marker}")
    content = {
        "top": evil,
        "labels": {"data": np.zeros((1, 3), np.uint8), "labels": [1, evil]},
        "key": {"data": np.zeros((1, 3), np.uint8), "labels": [1], evil: 1},
    }[where]
    path = tmp_path / "val_data"
    with open(path, "wb") as f:
        pickle.dump(content, f, protocol=protocol)
    pickle.loads(pickle.dumps(RunsCommand("true")))  # the attack works on plain pickle
    with pytest.raises(UnsafePickleError, match=r"val_data: refused to load (posix|os|nt)\.system"):
        read_batch(path)
    assert not marker.exists()


def test_other_globals_are_refused(tmp_path):
    path = tmp_path / "train_data_batch_1"
    dump(path, {"data": np.zeros((1, 3), np.uint8), "labels": [Evaluates()]})
    with pytest.raises(UnsafePickleError, match="refused to load builtins.eval"):
        read_batch(path)
    # Protocol 0's text GLOBAL opcode goes through the same door.
    path.write_bytes(b"csubprocess\nPopen\n(S'true'\ntR.")
    with pytest.raises(UnsafePickleError, match="refused to load subprocess.Popen"):
        read_batch(path)


def test_codecs_encode_serves_only_bytes(tmp_path):
    path = tmp_path / "val_data"
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R.")
    with pytest.raises(FormatError, match="_codecs.encode used for something other than bytes"):
        read_batch(path)


class NdarrayCall:
    """A pickle that calls numpy.ndarray itself, as numpy's own pickles never do."""

    def __init__(self, *args):
        self.args = args

    def __reduce__(self):
        return np.ndarray, self.args


def test_numpy_is_never_handed_what_a_file_asks_for(tmp_path):
    """A crafted dtype state crashed numpy's dtype.__setstate__ (a segfault), a bare
    ndarray call gave uninitialised memory as pixels, zero strides made 200,000 rows of 192
    bytes, and an array's bytes could disagree with its shape: each is a FormatError now."""
    path = tmp_path / "train_data_batch_1"
    dtype = b"\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02u1\x89\x88\x87R"  # numpy.dtype('u1', False, True)
    crash = b"(K\x03\x8c\x01|NJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # BUILD (3, '|', None, -1, -1, 0)
    path.write_bytes(b"\x80\x04" + dtype + crash + b".")
    with pytest.raises(FormatError, match="a dtype state numpy does not write"):
        read_batch(path)
    path.write_bytes(b"\x80\x04" + dtype.replace(b"u1", b"O8") + b".")
    with pytest.raises(FormatError, match="dtype 'O8'"):
        read_batch(path)
    cases = {
        "numpy.ndarray called directly": NdarrayCall((4, 12), np.dtype("u1")),
        "numpy.ndarray called directly ": NdarrayCall((10**5, 192), np.dtype("u1"), bytes(192), 0, (0, 1)),
    }
    for match, data in cases.items():
        path.write_bytes(pickle.dumps({"data": data, "labels": [1] * 4}, protocol=2))
        with pytest.raises(FormatError, match=match.strip()):
            read_batch(path)
    for protocol in (2, 4):
        path.write_bytes(pickle.dumps({"data": ArrayState((3, 12), bytes(24)), "labels": [1] * 3}, protocol=protocol))
        with pytest.raises(FormatError, match="24 bytes for an array of .3, 12. uint8"):
            read_batch(path)
        path.write_bytes(pickle.dumps({"data": ArrayState((2, 12), bytes(24)), "labels": [1] * 2}, protocol=protocol))
        assert read_batch(path).data.shape == (2, 12)  # the same reduction, consistent: read


class ArrayState:
    """numpy's reduction of a uint8 array, with a shape and bytes of our choosing."""

    def __init__(self, shape, raw):
        self.shape, self.raw = shape, raw

    def __reduce__(self):
        rebuild, args, _ = np.empty(0, np.uint8).__reduce__()
        return rebuild, args, (1, self.shape, np.dtype("u1"), False, self.raw)


@pytest.mark.parametrize("opcode", [b"r", b"p"])  # LONG_BINPUT (4-byte index), PUT (decimal)
def test_a_huge_memo_index_takes_no_memory(tmp_path, opcode):
    """The C unpickler fills a table as long as the largest memo index (2^26: 1 GB for a
    9-byte file); the reader's unpickler keeps its memo in a dict."""
    path = tmp_path / "val_data"
    index = 2**26
    argument = index.to_bytes(4, "little") if opcode == b"r" else b"%d\n" % index
    path.write_bytes(b"\x80\x02N" + opcode + argument + b".")
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="holds a NoneType"):
            read_batch(path)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


def test_persistent_ids_are_refused(tmp_path):
    path = tmp_path / "val_data"
    path.write_bytes(b"\x80\x04\x8c\x03abc\x94Q.")
    with pytest.raises(UnsafePickleError, match="persistent reference"):
        read_batch(path)


# --- refusing what is broken -----------------------------------------------------------


@given(content=contents, fmt=st.sampled_from(["pickle", "npz"]), data=st.data())
def test_every_truncation_is_an_error_naming_the_file(scratch, content, fmt, data):
    path = scratch() / "train_data_batch_4"
    write_batch(path, content["data"], content["labels"], content.get("mean"), fmt)
    whole = path.read_bytes()
    path.write_bytes(whole[: data.draw(st.integers(0, len(whole) - 1))])
    with pytest.raises(FormatError, match="train_data_batch_4: "):
        read_batch(path)


@pytest.mark.parametrize("opcode", [pickle.BINBYTES8, pickle.BINUNICODE8, pickle.BYTEARRAY8, pickle.FRAME])
@pytest.mark.parametrize("length", [2**62, 2**34])
def test_a_huge_length_field_is_an_error(tmp_path, length, opcode):
    """Refused before anything of that length is allocated."""
    path = tmp_path / "val_data"
    path.write_bytes(b"\x80\x04" + opcode + length.to_bytes(8, "little") + b"abc")
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=f"val_data: .*{length} bytes"):
            read_batch(path)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


def test_bytes_after_the_pickle_are_an_error(tmp_path):
    path = tmp_path / "val_data"
    dump(path, {"data": np.zeros((1, 3), np.uint8), "labels": [1]})
    with open(path, "ab") as f:
        f.write(b"\0")
    with pytest.raises(FormatError, match="bytes after the end of the pickle"):
        read_batch(path)


@pytest.mark.parametrize(
    "raw, match",
    [
        (b"", "an empty file"),
        (b"GIF89a", "not a readable pickle"),
        (b"\x80\x04\x95junk", "not a readable pickle"),
        (b"PK\x03\x04junk", "not a readable .npz"),
        # Text read as protocol 0: 'i' is INST, which would name module 'mport pickle, numpy'.
        (b"import pickle, numpy\nprint(1)\n", r"not a readable pickle .*no Python name \('mport pickle, numpy'\)"),
    ],
)
def test_garbage_is_an_error(tmp_path, raw, match):
    (tmp_path / "val_data").write_bytes(raw)
    with pytest.raises(FormatError, match=match):
        read_batch(tmp_path / "val_data")


U8 = np.zeros((2, 12), np.uint8)


@pytest.mark.parametrize(
    "content, match",
    [
        ([U8, [1, 2]], "holds a list, not a dict"),
        ({"labels": [1, 2]}, "missing key\\(s\\) data"),
        ({"data": U8}, "missing key\\(s\\) labels"),
        ({"data": U8, "labels": [1, 2], "extra": 1}, "unknown key\\(s\\) 'extra'"),
        ({b"data": U8, b"labels": [1, 2]}, "missing key\\(s\\) data, labels"),
        ({"data": U8.astype(np.int16), "labels": [1, 2]}, "data is an int16 array of shape \\(2, 12\\)"),
        ({"data": U8.reshape(2, 3, 2, 2), "labels": [1, 2]}, "not a 2-D uint8 array"),
        ({"data": [[0] * 12] * 2, "labels": [1, 2]}, "data is a list"),
        ({"data": np.zeros((2, 13), np.uint8), "labels": [1, 2]}, "13 columns, not 3\\*S\\*S"),
        ({"data": U8, "labels": ["1", "2"]}, "labels is a list, not a list of int"),
        ({"data": U8, "labels": [True, False]}, "not a list of int"),
        ({"data": U8, "labels": [1.0, 2.0]}, "not a list of int"),
        ({"data": U8, "labels": [1, 2**70]}, "not a list of int"),
        ({"data": U8, "labels": 5}, "labels is an int"),
        ({"data": U8, "labels": [1, 2, 3]}, "3 labels for 2 rows of data"),
        ({"data": U8, "labels": [0, 1]}, "1 label\\(s\\) outside 1..1000 \\(first at row 0: 0\\)"),
        ({"data": U8, "labels": [1000, 1001]}, "first at row 1: 1001"),
        ({"data": U8, "labels": [1, 2], "mean": np.zeros(11)}, "mean has shape \\(11,\\), data rows have 12"),
        ({"data": U8, "labels": [1, 2], "mean": np.zeros(12, np.int64)}, "mean is an int64 array"),
        ({"data": U8, "labels": [1, 2], "mean": np.full(12, np.nan)}, "outside 0..255 \\(or NaN\\)"),
        ({"data": U8, "labels": [1, 2], "mean": np.full(12, 256.0)}, "outside 0..255"),
        ({"data": U8.astype(np.float64), "labels": [0, 1]}, "data is .*; 1 label\\(s\\) outside"),
    ],
)
def test_wrong_content_is_an_error_naming_file_and_problem(tmp_path, content, match):
    path = tmp_path / "train_data_batch_2"
    dump(path, content)
    with pytest.raises(FormatError, match=f"train_data_batch_2: .*{match}"):
        read_batch(path)


def test_strict_reading_holds_the_published_types(tmp_path):
    path = tmp_path / "val_data"
    dump(path, {"data": U8, "labels": np.array([1, 2])})
    assert read_batch(path).labels.tolist() == [1, 2]
    with pytest.raises(FormatError, match="labels is an int64 array .*; the format has a list of Python int"):
        read_batch(path, strict=True)
    dump(path, {"data": U8, "labels": [np.int64(1), 2]})
    assert read_batch(path).labels.tolist() == [1, 2]
    with pytest.raises(FormatError, match="labels is a list of int, int64; the format has a list of Python int"):
        read_batch(path, strict=True)
    dump(path, {"data": U8, "labels": [1, 2], "mean": np.zeros(12, np.float32)})
    assert read_batch(path).mean.dtype == np.float64
    with pytest.raises(FormatError, match="mean is a float32 array of shape \\(12,\\), not a float64 array"):
        read_batch(path, strict=True)


def test_bad_npz_content(tmp_path):
    path = tmp_path / "val_data.npz"
    np.savez(path, data=np.array([object()] * 12, dtype=object).reshape(1, 12), labels=[1])
    with pytest.raises(FormatError, match="data.npy: an array of object, where dataset files hold plain numbers"):
        read_batch(path)
    np.savez(path, data=U8)
    with pytest.raises(FormatError, match="missing key\\(s\\) labels"):
        read_batch(path)
    np.savez(path, data=U8, labels=[1, 2], notes=np.zeros(1))
    with pytest.raises(FormatError, match="unknown key\\(s\\) 'notes'"):
        read_batch(path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("README.txt", "hello")
    with pytest.raises(FormatError, match="'README.txt'"):
        read_batch(path)


# --- finding files -------------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path):
    p = arrays(np.random.default_rng(4), 4, 40, 6)
    return p, write(tmp_path / "Imagenet4_train", p, val=False), write(tmp_path / "Imagenet4_val", p, train=False)


def names(files: list[DataFile]) -> list[str]:
    return [f.basename for f in files]


def test_finds_files_in_folders_in_dataset_order(dataset):
    _, train, val = dataset
    expected = [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]
    assert names(find_data_files(train.parent)) == expected
    assert names(find_data_files([val, train])) == expected
    files = find_data_files(train)
    assert [(f.split, f.index) for f in files] == [("train", i) for i in range(1, 11)]
    assert find_data_files(val / "val_data")[0].split == "val"


def test_paths_and_names_at_the_edges(dataset, tmp_path):
    """Paths as bytes, an empty path, zip members named with backslashes (as some Windows
    tools write them), and a name that only begins like a dataset file's."""
    _, train, val = dataset
    assert names(find_data_files(bytes(train.parent))) == names(find_data_files(train.parent))
    assert names(find_data_files([bytes(val)])) == ["val_data"]
    with pytest.raises(ValueError, match="an empty path"):
        find_data_files("")
    archive = tmp_path / "Imagenet4_val.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(val / "val_data", "Imagenet4_val\\val_data")
    (found,) = find_data_files(archive, size=4)
    assert found.split == "val" and found.member == "Imagenet4_val\\val_data"
    assert np.array_equal(read_batch(found).data, read_batch(val / "val_data").data)
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "val_data\n").write_bytes((val / "val_data").read_bytes())
    with pytest.raises(FormatError, match="no dataset files"):
        find_data_files(odd)


def test_finds_files_in_zips(dataset, tmp_path):
    _, train, val = dataset
    archive = zip_folder(train, tmp_path / "Imagenet4_train.zip", prefix="Imagenet4_train/")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("__MACOSX/Imagenet4_train/._train_data_batch_1", b"junk")
        z.writestr("Imagenet4_train/README.txt", b"hello")
    files = find_data_files(archive)
    assert names(files) == [f"train_data_batch_{i}" for i in range(1, 11)]
    assert files[0].name == f"{archive}:Imagenet4_train/train_data_batch_1"
    assert len(find_data_files(archive, size=4)) == 10
    assert files[0].nbytes == (train / "train_data_batch_1").stat().st_size
    shelf = tmp_path / "downloads"
    shelf.mkdir()
    archive.rename(shelf / archive.name)
    zip_folder(val, shelf / "Imagenet4_val.zip")
    assert len(find_data_files(shelf)) == 11  # zips are opened when nothing lies loose
    # One split unpacked beside the other's zip: both; beside its own zip: no clash.
    (shelf / "Imagenet4_val.zip").unlink()
    shutil.copytree(val, shelf / "Imagenet4_val")
    assert names(find_data_files(shelf)) == [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]
    zip_folder(val, shelf / "Imagenet4_val.zip")
    found = find_data_files(shelf)
    assert len(found) == 11 and found[-1].member is None  # the unpacked copy
    with zipfile.ZipFile(shelf / "odd.zip", "w") as z:  # members zipfile cannot unpack: a FormatError
        z.writestr("val_data", b"x", compress_type=zipfile.ZIP_DEFLATED)
    raw = bytearray((shelf / "odd.zip").read_bytes())
    central = int.from_bytes(raw[-6:-2], "little")  # the end record's offset of the central directory
    for at in (8, central + 10):  # the method, in the local header and in the central directory
        raw[at : at + 2] = (9).to_bytes(2, "little")  # Deflate64, which Windows writes
    (shelf / "odd.zip").write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="odd.zip: val_data is compressed with Deflate64 \\(zip method 9\\), not "
                                          "stored or deflated as dataset files are \\(zip it again with deflate\\)"):
        find_data_files(shelf / "odd.zip")


def test_two_copies_of_a_file_are_an_error(dataset, tmp_path):
    p, train, _ = dataset
    np.savez(train / "train_data_batch_3.npz", data=p.train[:3], labels=p.train_labels[:3], mean=p.mean)
    with pytest.raises(FormatError, match="two copies of one dataset file: .*train_data_batch_3.* and .*npz"):
        find_data_files(train)


def test_size_picks_among_folders_of_every_size(dataset, tmp_path):
    write(tmp_path / "Imagenet8_train", arrays(np.random.default_rng(5), 8, 20, 1), val=False)
    with pytest.raises(FormatError, match=r"two copies .* \(or size=S, --size S, when they hold different sizes\)"):
        find_data_files(tmp_path)
    files = find_data_files(tmp_path, size=8)
    assert len(files) == 10 and all("Imagenet8_train" in f.name for f in files)
    with pytest.raises(FormatError, match="no dataset files of size 16"):
        find_data_files(tmp_path, size=16)
    # Only names below the folder given count: its own parents may be called anything.
    assert len(find_data_files(tmp_path / "Imagenet8_train", size=4)) == 10


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: d / "missing", "no such file or folder"),
        (lambda d: d, "no dataset files"),
        (lambda d: zipfile.ZipFile(d / "empty.zip", "w").close() or d / "empty.zip", "no dataset files"),
        (lambda d: put(d / "train_data_batch_11", b"x").parent, "train batches 1..10 only"),
        (lambda d: put(d / "bad.zip", b"PK\x03\x04 not really"), "bad.zip: not a readable zip"),
    ],
)
def test_finding_nothing_is_an_error(tmp_path, make, match):
    with pytest.raises(FormatError, match=match):
        find_data_files(make(tmp_path))


def put(path: Path, raw: bytes) -> Path:
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("paths", [[], 3, [Path("a"), 3]])
def test_paths_must_be_paths(paths):
    with pytest.raises(TypeError, match="expected a path"):
        find_data_files(paths)


def test_a_damaged_zip_member_is_an_error(tmp_path):
    p = arrays(np.random.default_rng(6), 4, 0, 20)
    write(tmp_path / "v", p, train=False)
    archive = zip_folder(tmp_path / "v", tmp_path / "v.zip", compression=zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    at = raw.index(p.val[5].tobytes())
    raw[at] ^= 0xFF  # a pixel: the pickle stays valid, only the CRC can tell
    archive.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="v.zip:val_data: .*Bad CRC-32"):
        read_batch(find_data_files(archive)[0])


# --- hostile files, from a fuzzing review ----------------------------------------------

P = pickle


def pickle_with(*opcodes: bytes) -> bytes:
    """A protocol-4 pickle of a dict with one more entry made of ``opcodes`` (key, value)."""
    return P.PROTO + b"\x04" + P.EMPTY_DICT + b"".join(opcodes) + P.SETITEM + P.STOP


def shared_tuples(depth: int, width: int) -> bytes:
    """Tuples of ``width`` copies of the tuple below (through the memo), ``depth`` deep: a few
    hundred bytes whose hash or repr visits width ** depth nodes."""
    out = P.NONE + P.MEMOIZE + P.POP
    for level in range(depth):
        out += P.MARK + (P.BINGET + bytes([level])) * width + P.TUPLE + P.MEMOIZE
        out += P.POP if level < depth - 1 else b""
    return out


READ_IN_A_CHILD = """
import sys
from imagenet32.formats import FormatError, read_batch
try:
    read_batch(sys.argv[1])
except FormatError as error:
    print("FormatError:", error)
"""


@pytest.mark.parametrize(
    "key, match",
    [
        (P.NONE + P.TUPLE1 * 200_000, "a dict key of type tuple"),  # hashing it crashed the process
        (shared_tuples(6, 100), "a dict key of type tuple"),  # hashing it took hours
        (P.NONE + P.TUPLE1 * 5000, "a dict key of type tuple"),  # a RecursionError
        (P.BININT1 + b"\x07", "a dict key of type int"),
        (P.LONG4 + (5000).to_bytes(4, "little") + b"\x07" * 5000, "a dict key of type int"),  # too long to print
        (P.EMPTY_SET + P.MARK + P.BININT1 + b"\x01" + P.ADDITEMS, "a set, which dataset files never hold"),
        (P.MARK + P.BININT1 + b"\x01" + P.FROZENSET, "a set, which dataset files never hold"),
    ],
    ids=["deep-tuple", "shared-tuples", "recursion", "int", "huge-int", "set", "frozenset"],
)
def test_keys_and_sets_that_hashing_chokes_on_are_refused(tmp_path, key, match):
    """Read in a child process, as the first two crashed or hung the reader."""
    path = put(tmp_path / "val_data", pickle_with(key, P.NONE))
    child = subprocess.run([sys.executable, "-c", READ_IN_A_CHILD, str(path)], capture_output=True, text=True,
                           timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith(f"FormatError: {path}: not a readable pickle") and match in child.stdout


def test_a_file_cannot_give_state_to_the_readers_own_objects(tmp_path):
    """BUILD on a function the file named (the stand-in for _codecs.encode) would set its
    attributes (here its default encoding), changing the reader for every later file."""
    before = formats._latin1_bytes.__defaults__
    state = P.EMPTY_DICT + P.SHORT_BINUNICODE + b"\x0c__defaults__" + P.SHORT_BINUNICODE + b"\x05rot13" + P.TUPLE1
    raw = pickle_with(P.SHORT_BINUNICODE + b"\x04data", P.GLOBAL + b"_codecs\nencode\n" + P.NONE + state
                      + P.SETITEM + P.TUPLE2 + P.BUILD)
    path = put(tmp_path / "val_data", raw)
    with pytest.raises(FormatError, match="state given to a function \\(dataset files give it to arrays\\)"):
        read_batch(path)
    assert formats._latin1_bytes.__defaults__ == before


def npy(shape: tuple, descr: str = "|u1", payload: bytes = b"", fortran: bool = False) -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return header.getvalue() + payload


def npz(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, raw in members.items():
            z.writestr(name, raw)
    return path


LABELS_NPY = npy((1,), "<i8", (1).to_bytes(8, "little"))


def deflate_broken(path: Path) -> Path:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, data=np.zeros((1, 12), np.uint8), labels=[1])
    raw = bytearray(buffer.getvalue())
    name_length, extra_length = struct.unpack("<HH", raw[26:30])
    raw[30 + name_length + extra_length] = 0xFF  # the first member's first deflate block: an invalid type
    return put(path, bytes(raw))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: deflate_broken(p), "not a readable .npz \\(error: Error -3 while decompressing"),
        (lambda p: npz(p, {"data.npy": b"\x93NUMPY\x01\x00\x3a\x00{'descr': '|u1', 'fortran_order': False, "
                                        b"'shape': (1, 12}" + b" " * 4 + b"\n"}),
         "data.npy: not a readable .npy header"),
        (lambda p: npz(p, {"data.npy": npy((0, 12)), "labels.npy": npy((0,), "u1,u1")}),
         "labels.npy: an array of \\[\\('f0', 'u1'\\), \\('f1', 'u1'\\)\\], where dataset files hold plain numbers"),
        (lambda p: npz(p, {"data.npy": npy((2, 12), payload=bytes(12)), "labels.npy": LABELS_NPY}),
         "data.npy: its header declares a \\(2, 12\\) uint8 array \\(24 bytes\\) where the member holds 12 bytes"),
        (lambda p: npz(p, {"data.npy": npy((1, 12), payload=bytes(13)), "labels.npy": LABELS_NPY}),
         "data.npy: its header declares a \\(1, 12\\) uint8 array \\(12 bytes\\) where the member holds 13 bytes"),
        (lambda p: npz(p, {"data.npy": npy((2**40, 12)), "labels.npy": LABELS_NPY}),
         "data.npy: its header declares a \\(1099511627776, 12\\) uint8 array"),
        (lambda p: npz(p, {"data.npy": npy((-1, 12)), "labels.npy": LABELS_NPY}),
         "data.npy: an array of shape \\(-1, 12\\)"),
    ],
    ids=["deflate", "header", "structured", "short", "long", "huge", "negative"],
)
@pytest.mark.parametrize("mmap", [False, True])
def test_damaged_npz_members_are_format_errors_naming_them(tmp_path, make, match, mmap):
    path = make(tmp_path / "val_data.npz")
    with pytest.raises(FormatError, match=f"val_data.npz: {match}"):
        read_batch(path, mmap=mmap)


def test_a_changed_byte_of_stored_npz_pixels_is_caught_by_the_crc(tmp_path):
    """numpy's npz reading stops at the array's last byte, before zipfile checks the CRC."""
    data = np.arange(24, dtype=np.uint8).reshape(2, 12)
    path = tmp_path / "val_data.npz"
    np.savez(path, data=data, labels=[1, 2])
    raw = bytearray(path.read_bytes())
    raw[raw.index(data.tobytes()) + 5] ^= 0xFF
    put(path, bytes(raw))
    with pytest.raises(FormatError, match="val_data.npz: not a readable .npz \\(BadZipFile: Bad CRC-32"):
        read_batch(path)


def zip_with_patched_names(path: Path, name: str, patched: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name, b"x")
    raw = path.read_bytes().replace(name.encode("utf-8"), patched)
    return put(path, raw)


def test_odd_zips_are_format_errors_or_ignored(tmp_path):
    p = arrays(np.random.default_rng(7), 4, 0, 3)
    write(tmp_path / "v", p, train=False)
    archive = zip_folder(tmp_path / "v", tmp_path / "Imagenet4_val.zip")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(zipfile.ZipInfo(""), b"")  # a nameless member (IndexError in zipfile's is_dir)
    assert names(find_data_files(archive)) == ["val_data"]
    bad_name = zip_with_patched_names(tmp_path / "names.zip", "val_dat\u00e9", b"val_dat\xff\xfe")
    with pytest.raises(FormatError, match="names.zip: not a readable zip \\(UnicodeDecodeError"):
        find_data_files(bad_name)
    raw = bytearray(archive.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 6 : central + 8] = (100).to_bytes(2, "little")  # needs zip version 10.0 to extract
    (tmp_path / "future").mkdir()
    future = put(tmp_path / "future" / "Imagenet4_val.zip", bytes(raw))
    with pytest.raises(FormatError, match="val.zip: not a readable zip \\(NotImplementedError: zip file version 10.0"):
        find_data_files(future)


def test_an_image_size_over_the_largest_is_refused(tmp_path):
    assert image_size(3 * 4096 * 4096) == 4096
    with pytest.raises(ValueError, match="images of 4097x4097: over the largest size, 4096x4096"):
        image_size(3 * 4097 * 4097)
    path = tmp_path / "val_data"
    dump(path, {"data": np.empty((0, 3 * 2**40), np.uint8), "labels": []})  # 178 bytes that asked for TiBs
    with pytest.raises(FormatError, match="images of 1048576x1048576: over the largest size"):
        read_batch(path)


@pytest.mark.parametrize("opcode", [P.SETITEMS, P.DICT])
def test_a_key_without_its_value_is_an_error(tmp_path, opcode):
    key = P.SHORT_BINUNICODE + b"\x04data"
    raw = P.PROTO + b"\x04" + (P.EMPTY_DICT if opcode == P.SETITEMS else b"") + P.MARK + key + P.NONE + key + opcode
    path = put(tmp_path / "val_data", raw + P.STOP)
    with pytest.raises(FormatError, match="not a readable pickle \\(UnpicklingError: 3 items for keys and values\\)"):
        read_batch(path)


def test_shapes_of_huge_ints_are_refused_before_being_multiplied():
    """32 dimensions of a 200 KB int took 29 s to multiply (1 MB: ten minutes)."""
    big = 7**240_000
    with pytest.raises(pickle.UnpicklingError, match="an array shape of a tuple of large ints"):
        formats._from_payload(b"", np.dtype("u1"), (big,) * 32, False)
    with pytest.raises(pickle.UnpicklingError, match="an array shape of \\(9223372036854775808, 0\\)"):
        formats._from_payload(b"", np.dtype("u1"), (2**63, 0), False)


def test_zips_zipfile_would_expand_without_bound_are_refused(tmp_path):
    content = {"data": np.zeros((1, 12), np.uint8), "labels": [1]}
    # bzip2 and LZMA: zipfile expands a whole chunk at once (1.2 KB made 2 GB).
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        with zipfile.ZipFile(tmp_path / "val_data.npz", "w", method) as z:
            z.writestr("data.npy", npy((1, 12), payload=bytes(12)))
        with pytest.raises(FormatError, match=f"val_data.npz: data.npy is compressed with .* \\(zip method {method}\\), "
                                              "not stored or deflated"):
            read_batch(tmp_path / "val_data.npz")
        with zipfile.ZipFile(tmp_path / "Imagenet4_val.zip", "w", method) as z:
            z.writestr("val_data", pickle.dumps(content))
        with pytest.raises(FormatError, match=f"Imagenet4_val.zip: val_data is compressed with .* \\(zip method {method}"):
            find_data_files(tmp_path / "Imagenet4_val.zip")
    # A central directory naming one member many times: zipfile expands it once per entry.
    buffer = io.BytesIO()
    np.savez_compressed(buffer, data=np.zeros((2, 12), np.uint8), labels=[1, 2])
    raw = buffer.getvalue()
    end = raw.rfind(b"PK\x05\x06")
    length, start = struct.unpack("<II", raw[end + 12 : end + 20])
    directory = raw[start : start + length]
    first = directory[: 46 + struct.unpack("<H", directory[28:30])[0]]
    directory = first * 50 + directory[len(first) :]
    tail = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 51, 51, len(directory), start, 0)
    path = put(tmp_path / "val_data.npz", raw[:start] + directory + tail)
    with pytest.raises(FormatError, match="val_data.npz: two entries of one member"):
        read_batch(path)


def test_a_local_name_not_in_its_encoding_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "Imagenet4_val.zip", "w") as z:
        z.writestr("val_data", pickle.dumps({"data": np.zeros((1, 12), np.uint8), "labels": [1]}))
    raw = bytearray((tmp_path / "Imagenet4_val.zip").read_bytes())
    raw[6:8] = (0x800).to_bytes(2, "little")  # the local header says UTF-8 ...
    raw[30 + 7] = 0x80  # ... of a name that is not
    path = put(tmp_path / "Imagenet4_val.zip", bytes(raw))
    with pytest.raises(FormatError, match="Imagenet4_val.zip:val_data: cannot read \\(UnicodeDecodeError"):
        read_batch(find_data_files(path)[0])


@pytest.mark.parametrize("mmap", [False, True])
def test_a_stored_member_shorter_than_its_directory_says_is_not_mapped_past_its_end(tmp_path, mmap):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (3, 12)})
    npz(tmp_path / "val_data.npz", {"data.npy": header.getvalue() + bytes(24), "labels.npy": npy((3,), "|u1", b"\1\2\3")})
    raw = bytearray((tmp_path / "val_data.npz").read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", len(header.getvalue()) + 36)  # data.npy's size: a row more
    path = put(tmp_path / "val_data.npz", bytes(raw))
    with pytest.raises(FormatError, match="val_data.npz: not a readable .npz \\(EOFError: data.npy ends after 24 of 36"):
        read_batch(path, mmap=mmap)  # mapped, its last row was the next zip header ("PK\3\4...")
