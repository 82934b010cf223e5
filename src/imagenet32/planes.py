"""Numba routines for the dataset layout: channel-planar rows and exact sums.

A dataset row is an S x S RGB image stored as three planes, R then G then B,
each row-major: ``data.reshape(-1, 3, S, S)`` is NCHW. The train mean is an
exact integer sum per column divided once by the row count, which is what
``np.mean(data, axis=0)`` gives (its float64 partial sums of integers are exact).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["add_rows", "pack_planes"]


def _checked(array: object, dims: int, dtype: type, what: str) -> None:
    """Numba would take other dtypes and ranks (a uint16 300 was packed as 44, -1.7 as 255,
    uint8 sums wrapped) or fail with its own typing errors."""
    if not isinstance(array, np.ndarray) or array.ndim != dims or array.dtype != dtype:
        given = f"{array.ndim}-D {array.dtype} array" if isinstance(array, np.ndarray) else type(array).__name__
        raise TypeError(f"{what} must be a {dims}-D {np.dtype(dtype)} array, not a {given}")


def pack_planes(image: np.ndarray, row: np.ndarray) -> None:
    """Write an H x W x 3 uint8 image into the first 3·H·W bytes of the uint8 ``row`` as R, G, B planes."""
    _checked(image, 3, np.uint8, "pack_planes: image")
    _checked(row, 1, np.uint8, "pack_planes: row")
    _pack_planes(image, row)


def add_rows(rows: np.ndarray, sums: np.ndarray) -> None:
    """sums[j] += rows[i, j] for every row i of the uint8 ``rows``, in the uint64 ``sums``: exact."""
    _checked(rows, 2, np.uint8, "add_rows: rows")
    _checked(sums, 1, np.uint64, "add_rows: sums")
    _add_rows(rows, sums)


# The work, once checked; a build calls _pack_planes directly (four times an image) with arrays it made.
@njit(cache=True, nogil=True)
def _pack_planes(image: np.ndarray, row: np.ndarray) -> None:  # pragma: no cover - compiled
    """Write an H x W x 3 image into the first 3·H·W bytes of ``row`` as R, G, B planes."""
    plane = image.shape[0] * image.shape[1]
    if image.shape[2] != 3:
        raise ValueError("pack_planes: the image must be H x W x 3 (RGB)")
    if row.shape[0] < 3 * plane:
        raise ValueError("pack_planes: the row is shorter than the image's 3 x H x W bytes")
    pixels = np.ascontiguousarray(image).reshape(-1)  # a copy only if strided
    # A loop over the flat pixels, three bytes apart: LLVM vectorizes it (6x faster for
    # 64 x 64 than a loop over y and x).
    for at in range(plane):
        red, green, blue = pixels[3 * at], pixels[3 * at + 1], pixels[3 * at + 2]
        row[at] = red
        row[plane + at] = green
        row[2 * plane + at] = blue


@njit(cache=True, nogil=True)
def _add_rows(rows: np.ndarray, sums: np.ndarray) -> None:  # pragma: no cover - compiled
    """sums[j] += rows[i, j] for every row i, in exact 64-bit integers."""
    if sums.shape[0] != rows.shape[1]:
        raise ValueError("add_rows: sums must have one entry per column of rows")
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            sums[j] += rows[i, j]
