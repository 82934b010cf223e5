"""The MAT-file reader against scipy's writer, and on damaged input."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagenet32 import matfile

scipy_io = pytest.importorskip("scipy.io")


def saved(variables: dict, compress: bool) -> bytes:
    buffer = io.BytesIO()
    scipy_io.savemat(buffer, variables, do_compression=compress)
    return buffer.getvalue()


@given(values=st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=12), text=st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=20), compress=st.booleans())
def test_numbers_and_text_round_trip(values, text, compress):
    array = np.array(values).reshape(1, -1)
    loaded = matfile.load(saved({"a": array, "t": text, "i": np.int32(7)}, compress))
    assert loaded["t"] == text and loaded["i"] == 7
    got = loaded["a"]
    assert np.array_equal(np.atleast_2d(got), array) if isinstance(got, np.ndarray) else got == values[0]


def test_struct_arrays_and_cells():
    records = np.zeros((3, 1), dtype=[("id", "O"), ("name", "O"), ("children", "O")])
    for i in range(3):
        records[i, 0] = (float(i + 1), f"n{i:08d}", np.zeros((1, 0)) if i else np.array([[4.0, 5.0]]))
    cells = np.empty((1, 2), dtype=object)
    cells[0, 0], cells[0, 1] = "x", np.array([[1.0, 2.0]])
    for compress in (False, True):
        loaded = matfile.load(saved({"s": records, "c": cells}, compress))
        assert [r["id"] for r in loaded["s"]] == [1.0, 2.0, 3.0]
        assert loaded["s"][2]["name"] == "n00000002"
        assert loaded["s"][0]["children"].tolist() == [[4.0, 5.0]] and loaded["s"][1]["children"].size == 0
        assert loaded["c"][0] == "x"


@given(st.binary(max_size=300), st.integers(0, 400))
def test_damaged_files_raise_mat_file_error(junk, cut):
    data = saved({"a": np.arange(10.0), "s": "text"}, False)
    for broken in (data[:cut], data[:128] + junk, junk):
        try:
            matfile.load(broken)
        except matfile.MatFileError:
            pass


def _synsets_like(compress: bool) -> bytes:
    records = np.zeros((3, 1), dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")])
    for i in range(3):
        records[i, 0] = (float(i + 1), f"n0000000{i}", f"thing {i}", 0.0 if i else 2.0)
    return saved({"synsets": records, "names": np.array(["ab", "cd"])}, compress)


@given(compress=st.booleans(), edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), min_size=1,
                                              max_size=3))
def test_byte_flips_in_a_meta_mat_give_mat_file_error_or_a_value(compress, edits):
    """Random mutation of a real meta.mat found a ValueError 9 times in 400 (a char matrix)."""
    data = bytearray(_synsets_like(compress))
    for at, value in edits:
        data[128 + at % (len(data) - 128)] = value  # past the text header, which is not read
    try:
        matfile.load(bytes(data))
    except matfile.MatFileError:
        pass


# Hand-made elements (MAT-File Format, level 5): what a damaged or crafted meta.mat may hold.
HEADER = b"crafted".ljust(124, b" ") + struct.pack("<H", 0x0100) + b"IM"


def element(kind: int, payload: bytes) -> bytes:
    padding = b"" if kind == 15 else b"\0" * (-len(payload) % 8)
    return struct.pack("<II", kind, len(payload)) + payload + padding


def array(cls: int, dims: tuple[int, ...], *body: bytes, flags: bytes | None = None) -> bytes:
    flags = element(6, struct.pack("<II", cls, 0)) if flags is None else flags
    return element(14, flags + element(5, struct.pack(f"<{len(dims)}i", *dims)) + element(1, b"x") + b"".join(body))


def double(value: float) -> bytes:
    return array(6, (1, 1), element(9, struct.pack("<d", value)))


def compressed(payload: bytes) -> bytes:
    return element(15, zlib.compress(payload))


def nested(depth: int) -> bytes:
    inner = double(1.0)
    for _ in range(depth):
        inner = compressed(inner)
    return inner


def fields(*names: str, width: int = 8) -> bytes:
    return element(5, struct.pack("<i", width)) + element(1, b"".join(n.encode().ljust(width, b"\0") for n in names))


CRAFTED = {
    "flags of type float64": array(6, (1, 1), element(9, struct.pack("<d", 1.0)),
                                   flags=element(9, struct.pack("<d", float("nan")))),
    "numeric data does not match": array(6, (2**31 - 1, 2**31 - 1), element(9, struct.pack("<d", 1.0))),
    "characters for a 2x5 char matrix": array(4, (2, 5), element(16, b"abcdefgh")),
    "bad struct field names": array(2, (1, 1), element(5, b""), element(1, b"")),
    "array elements in": array(1, (1000, 1000), double(1.0)),  # a million cells in a few bytes
    "array elements in ": array(2, (2**31 - 1, 2**31 - 1), element(5, struct.pack("<i", 8)), element(1, b"")),
    "nested too deeply": nested(3000),
}


@pytest.mark.parametrize("match", list(CRAFTED))
def test_crafted_elements_raise_mat_file_error(match):
    """Each was a ValueError, TypeError, IndexError, RecursionError or an endless loop."""
    with pytest.raises(matfile.MatFileError, match=match.strip()):
        matfile.load(HEADER + CRAFTED[match])


def test_a_compressed_element_may_not_inflate_without_bound(monkeypatch):
    monkeypatch.setattr(matfile, "_MAX_INFLATED", 1 << 20)
    bomb = compressed(array(6, (1, 1 << 18), element(9, bytes(8 << 18))))  # 2 MB of zeros
    assert len(bomb) < 10_000
    with pytest.raises(matfile.MatFileError, match="inflating past 1 MB"):
        matfile.load(HEADER + bomb)
    assert matfile.load(HEADER + compressed(double(2.5))) == {"x": 2.5}
    # The budget is the file's, not each element's.
    part = compressed(array(6, (1, 1 << 16), element(9, bytes(8 << 16))))  # 512 kB inflated
    with pytest.raises(matfile.MatFileError, match="inflating past 1 MB in all"):
        matfile.load(HEADER + compressed(array(1, (1, 2), part, part)))


def test_nested_arrays_are_not_copied_at_every_level():
    """Each level's element was a copy of its bytes: 40 levels of a 2 MB array held 80 MB."""
    inner = array(6, (1, 1 << 18), element(9, bytes(8 << 18)))
    for _ in range(40):
        inner = array(1, (1, 1), inner)
    data = HEADER + inner
    tracemalloc.start()
    try:
        loaded = matfile.load(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    for _ in range(40):
        (loaded,) = loaded if isinstance(loaded, list) else loaded["x"]
    assert loaded.shape == (1, 1 << 18)
    assert peak < 1.5 * len(data), peak  # the array, and change
