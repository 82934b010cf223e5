"""The numba routines of the dataset layout against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imagenet32.planes import add_rows, pack_planes


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.integers(1, 70), st.sampled_from(["plain", "every other column", "flipped"]),
       st.integers(0, 2**32 - 1))
def test_pack_planes_writes_r_g_b_planes(height, width, layout, seed):
    rng = np.random.default_rng(seed)
    if layout == "every other column":
        image = rng.integers(0, 256, (height, 2 * width, 3), dtype=np.uint8)[:, ::2]
    elif layout == "flipped":
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)[::-1]
    else:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    row = np.full(3 * height * width + 5, 7, dtype=np.uint8)  # bytes past the planes stay as they were
    pack_planes(image, row)
    assert np.array_equal(row[:-5], image.transpose(2, 0, 1).reshape(-1))
    assert (row[-5:] == 7).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300), st.integers(1, 50), st.integers(0, 2**32 - 1))
def test_add_rows_sums_exactly(rows, columns, seed):
    data = np.random.default_rng(seed).integers(0, 256, (rows, columns), dtype=np.uint8)
    sums = np.arange(columns, dtype=np.uint64)  # added to, not overwritten
    add_rows(data, sums)
    assert np.array_equal(sums, data.sum(axis=0, dtype=np.uint64) + np.arange(columns, dtype=np.uint64))


@pytest.mark.parametrize("image_shape, row_bytes", [
    ((64, 64, 3), 3 * 8 * 8),  # a 64 x 64 image for an 8 x 8 row: a write far past the row's end
    ((4, 4, 3), 3 * 16 - 1),  # one byte short
    ((4, 4, 4), 3 * 16 * 2),  # not RGB
])
def test_pack_planes_refuses_an_image_that_does_not_fit(image_shape, row_bytes):
    row = np.zeros(row_bytes + 64, dtype=np.uint8)  # guard bytes after the row must stay untouched
    with pytest.raises(ValueError, match="pack_planes"):
        pack_planes(np.ones(image_shape, dtype=np.uint8), row[:row_bytes])
    assert not row.any()


@pytest.mark.parametrize("columns", [3, 5])
def test_add_rows_refuses_sums_of_another_width(columns):
    sums = np.zeros(columns + 8, dtype=np.uint64)
    with pytest.raises(ValueError, match="add_rows"):
        add_rows(np.ones((2, 4), dtype=np.uint8), sums[:columns])
    assert not sums.any()


@pytest.mark.parametrize(("function", "arguments", "match"), [
    (pack_planes, (np.full((2, 2, 3), 300, np.uint16), np.zeros(12, np.uint8)), "image must be a 3-D uint8 array, not a 3-D uint16"),
    (pack_planes, (np.zeros((2, 2, 3), np.uint8), np.zeros(12, np.int8)), "row must be a 1-D uint8 array, not a 1-D int8"),
    (pack_planes, ([[[1, 2, 3]]], np.zeros(3, np.uint8)), "image must be a 3-D uint8 array, not a list"),
    (add_rows, (np.ones((3, 4), np.uint8), np.zeros(4, np.uint8)), "sums must be a 1-D uint64 array, not a 1-D uint8"),
    (add_rows, (np.ones((3, 4), np.uint8), np.zeros((1, 4), np.uint64)), "sums must be a 1-D uint64 array, not a 2-D"),
    (add_rows, (np.ones((3, 4), np.float32), np.zeros(4, np.uint64)), "rows must be a 2-D uint8 array, not a 2-D float32"),
])
def test_other_dtypes_and_ranks_are_refused(function, arguments, match):
    """Numba took them: a uint16 300 was packed as 44, -1.7 as 255, uint8 sums wrapped (3 rows
    of 255 summed to 253)."""
    with pytest.raises(TypeError, match=match):
        function(*arguments)
