"""A small reader for MATLAB level-5 MAT-files, enough for the ImageNet devkit's meta.mat.

Reads numeric, char, logical, cell and struct arrays (compressed or not), as
described in MathWorks' "MAT-File Format" (level 5). Numeric arrays come back
as numpy arrays (a 1x1 array as a Python float or int), char arrays as str,
cell arrays as lists, struct arrays as lists of dicts. Anything else raises
:class:`MatFileError`; the reader never executes anything from the file.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["MatFileError", "load"]

_NUMERIC = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
_MATRIX, _COMPRESSED, _UTF8, _UTF16, _UTF32 = 14, 15, 16, 17, 18
_CELL, _STRUCT, _CHAR = 1, 2, 4
_NUMERIC_CLASSES = set(range(6, 16))
_MAX_NESTING = 64  # arrays and compressed elements within one another
_MAX_INFLATED = 64 << 20  # bytes a file's compressed elements may inflate to (meta.mat's: about 1 MB)
_MAX_VALUES = 1 << 17  # arrays a file may hold (meta.mat: about 9,000); each becomes a Python object
_COMPLEX_FLAG = 0x0800


class MatFileError(ValueError):
    """The bytes are not a MAT-file this reader understands."""


class _Budget:
    """What the rest of a file may still make: bytes inflated, arrays read. Shared by the
    readers of its nested elements, so that nesting cannot multiply it."""

    def __init__(self) -> None:
        self.inflatable = _MAX_INFLATED
        self.values = _MAX_VALUES


class _Reader:
    def __init__(self, data: bytes | memoryview, order: str, depth: int = 0, budget: _Budget | None = None) -> None:
        self.data = memoryview(data)  # elements are views of it: nesting copies nothing
        self.pos = 0
        self.order = order
        self.depth = depth
        self.budget = _Budget() if budget is None else budget

    def done(self) -> bool:
        return self.pos >= len(self.data)

    def element(self) -> tuple[int, memoryview]:
        """The next data element's type and payload."""
        if self.pos + 8 > len(self.data):
            raise MatFileError("truncated data element")
        first, second = struct.unpack_from(self.order + "II", self.data, self.pos)
        if first >> 16:  # small data element: 2-byte size, 2-byte type, up to 4 bytes of data
            kind, size = first & 0xFFFF, first >> 16
            if size > 4:
                raise MatFileError("bad small data element")
            payload = self.data[self.pos + 4 : self.pos + 4 + size]
            self.pos += 8
            return kind, payload
        kind, size = first, second
        start = self.pos + 8
        if start + size > len(self.data):
            raise MatFileError("data element runs past the end of the file")
        payload = self.data[start : start + size]
        self.pos = start + (size if kind == _COMPRESSED else (size + 7) // 8 * 8)
        return kind, payload

    def check_count(self, count: int) -> None:
        """Cells and struct fields take a data element (8 bytes at least) each: a count the
        rest of the element cannot hold is a corrupt header, not a reason to loop for ever."""
        if count * 8 > len(self.data) - self.pos:
            raise MatFileError(f"{count} array elements in {len(self.data) - self.pos} bytes")

    def integers(self, kind: int, payload: memoryview, what: str) -> list[int]:
        values = self.numbers(kind, payload)
        if values.dtype.kind not in "iu":
            raise MatFileError(f"{what} of type {values.dtype} (integers expected)")
        return [int(v) for v in values]

    def numbers(self, kind: int, payload: memoryview) -> np.ndarray:
        code = _NUMERIC.get(kind)
        if code is None:
            raise MatFileError(f"data type {kind} is not numeric")
        dtype = np.dtype(code).newbyteorder(self.order)
        if len(payload) % dtype.itemsize:
            raise MatFileError("numeric data of a partial element")
        return np.frombuffer(payload, dtype=dtype).astype(dtype.newbyteorder("="))

    def value(self, only: frozenset[str] | None = None) -> tuple[str, Any]:
        """The next variable (or sub-array): its name and value; a variable whose name is not
        in ``only`` (when given) is passed over unread, as _SKIPPED."""
        kind, payload = self.element()
        if self.depth > _MAX_NESTING:
            raise MatFileError("arrays nested too deeply")
        self.budget.values -= 1
        if self.budget.values < 0:
            raise MatFileError(f"more than {_MAX_VALUES} arrays")
        if kind == _COMPRESSED:
            inflater = zlib.decompressobj()
            try:
                inner = inflater.decompress(payload, max(1, self.budget.inflatable))
            except zlib.error as error:
                raise MatFileError(f"bad compressed element ({error})") from None
            self.budget.inflatable -= len(inner)
            if inflater.unconsumed_tail or self.budget.inflatable < 0:
                raise MatFileError(f"compressed elements inflating past {_MAX_INFLATED >> 20} MB in all")
            return _Reader(inner, self.order, self.depth + 1, self.budget).value(only)
        if kind != _MATRIX:
            raise MatFileError(f"expected an array element, found type {kind}")
        return _Reader(payload, self.order, self.depth + 1, self.budget).matrix(only)

    def matrix(self, only: frozenset[str] | None = None) -> tuple[str, Any]:
        if self.done():  # an empty element: an empty array
            return "", np.zeros((0, 0))
        flags = self.integers(*self.element(), "array flags")
        shape = tuple(self.integers(*self.element(), "dimensions"))
        name_kind, name = self.element()
        if not flags or len(shape) < 2 or min(shape) < 0:
            raise MatFileError("bad array header")
        cls = flags[0] & 0xFF
        count = math.prod(shape)
        label = str(name, "ascii", "replace")
        if only is not None and label not in only:
            return label, _SKIPPED
        if cls == _CHAR:
            kind, payload = self.element() if not self.done() else (_UTF8, b"")
            if kind in (_UTF8, 1, 2):
                chars = str(payload, "utf-8", "replace")
            elif kind in (_UTF16, 4):
                chars = str(payload, "utf-16-le" if self.order == "<" else "utf-16-be", "replace")
            elif kind == _UTF32:
                chars = str(payload, "utf-32-le" if self.order == "<" else "utf-32-be", "replace")
            else:
                raise MatFileError(f"char data of type {kind}")
            if len(shape) == 2 and shape[0] > 1:  # a char matrix: rows stored column-major
                if len(chars) != count:
                    raise MatFileError(f"{len(chars)} characters for a {shape[0]}x{shape[1]} char matrix")
                grid = np.array(list(chars)).reshape(shape[::-1]).T
                return label, ["".join(row).rstrip() for row in grid]
            return label, chars
        if cls in _NUMERIC_CLASSES:
            real = self.numbers(*self.element()) if not self.done() else np.zeros(0)
            if real.size != count:
                raise MatFileError("numeric data does not match the dimensions")
            array = real.reshape(shape[::-1]).T
            if flags[0] & _COMPLEX_FLAG:
                imag = self.numbers(*self.element())
                if imag.size != count:
                    raise MatFileError("imaginary data does not match the dimensions")
                array = array + 1j * imag.reshape(shape[::-1]).T
            return label, array.item() if count == 1 else array
        if cls == _CELL:
            self.check_count(count)
            items = [self.value()[1] for _ in range(count)]
            return label, items
        if cls == _STRUCT:
            widths = self.integers(*self.element(), "field name length")
            _, names_raw = self.element()
            if len(widths) != 1 or widths[0] <= 0 or len(names_raw) % widths[0]:
                raise MatFileError("bad struct field names")
            width = widths[0]
            fields = [
                bytes(names_raw[i : i + width]).split(b"\0", 1)[0].decode("ascii", "replace")
                for i in range(0, len(names_raw), width)
            ]
            self.check_count(count * max(1, len(fields)))
            records = [{f: self.value()[1] for f in fields} for _ in range(count)]
            return label, records
        raise MatFileError(f"array class {cls} is not supported")


_SKIPPED = object()


def load(data: bytes, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The variables of a level-5 MAT-file given as bytes; with ``only``, just those named
    (the others are passed over unread, whatever they hold)."""
    if len(data) < 128:
        raise MatFileError("too short for a MAT-file header")
    version, marker = data[124:126], data[126:128]
    if marker == b"IM":
        order = "<"
    elif marker == b"MI":
        order = ">"
    else:
        raise MatFileError("no MAT-file endian indicator (not a level-5 MAT-file)")
    number = struct.unpack(order + "H", version)[0]
    if number == 0x0200:
        raise MatFileError("a MATLAB v7.3 (HDF5) MAT-file, which this reader does not read: save it again as v7 "
                           "(MATLAB: save(name, '-v7'); or scipy.io.savemat)")
    if number != 0x0100:
        raise MatFileError(f"unsupported MAT-file version {number:#06x}")
    reader = _Reader(memoryview(data)[128:], order)
    wanted = None if only is None else frozenset(only)
    variables = {}
    try:
        while not reader.done():
            name, value = reader.value(wanted)
            if value is not _SKIPPED:
                variables[name] = value
    except MatFileError:
        raise
    except (ValueError, TypeError, IndexError, OverflowError, struct.error) as error:  # a damaged element
        raise MatFileError(f"a damaged data element ({type(error).__name__}: {error})") from None
    return variables
