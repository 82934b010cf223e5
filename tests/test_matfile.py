"""The MAT-file reader against scipy's writer, and on damaged input."""

from __future__ import annotations

import io

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
