"""A small reader for MATLAB level-5 MAT-files, enough for the ImageNet devkit's meta.mat.

Reads numeric, char, logical, cell and struct arrays (compressed or not), as
described in MathWorks' "MAT-File Format" (level 5). Numeric arrays come back
as numpy arrays (a 1x1 array as a Python float or int), char arrays as str,
cell arrays as lists, struct arrays as lists of dicts. Anything else raises
:class:`MatFileError`; the reader never executes anything from the file.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

__all__ = ["MatFileError", "load"]

_NUMERIC = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
_MATRIX, _COMPRESSED, _UTF8, _UTF16, _UTF32 = 14, 15, 16, 17, 18
_CELL, _STRUCT, _CHAR = 1, 2, 4
_NUMERIC_CLASSES = set(range(6, 16))
_MAX_NESTING = 64
_COMPLEX_FLAG = 0x0800


class MatFileError(ValueError):
    """The bytes are not a MAT-file this reader understands."""


class _Reader:
    def __init__(self, data: bytes, order: str, depth: int = 0) -> None:
        self.data = data
        self.pos = 0
        self.order = order
        self.depth = depth

    def done(self) -> bool:
        return self.pos >= len(self.data)

    def element(self) -> tuple[int, bytes]:
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

    def numbers(self, kind: int, payload: bytes) -> np.ndarray:
        code = _NUMERIC.get(kind)
        if code is None:
            raise MatFileError(f"data type {kind} is not numeric")
        dtype = np.dtype(code).newbyteorder(self.order)
        if len(payload) % dtype.itemsize:
            raise MatFileError("numeric data of a partial element")
        return np.frombuffer(payload, dtype=dtype).astype(dtype.newbyteorder("="))

    def value(self) -> tuple[str, Any]:
        """The next variable (or sub-array): its name and value."""
        kind, payload = self.element()
        if kind == _COMPRESSED:
            try:
                inner = zlib.decompress(payload)
            except zlib.error as error:
                raise MatFileError(f"bad compressed element ({error})") from None
            return _Reader(inner, self.order, self.depth).value()
        if kind != _MATRIX:
            raise MatFileError(f"expected an array element, found type {kind}")
        if self.depth > _MAX_NESTING:
            raise MatFileError("arrays nested too deeply")
        return _Reader(payload, self.order, self.depth + 1).matrix()

    def matrix(self) -> tuple[str, Any]:
        if self.done():  # an empty element: an empty array
            return "", np.zeros((0, 0))
        flags = self.numbers(*self.element())
        dims = self.numbers(*self.element())
        name_kind, name = self.element()
        if flags.size < 1 or dims.size < 2 or (dims < 0).any():
            raise MatFileError("bad array header")
        cls = int(flags[0]) & 0xFF
        count = int(np.prod(dims.astype(np.int64)))
        shape = tuple(int(d) for d in dims)
        label = name.decode("ascii", "replace")
        if cls == _CHAR:
            kind, payload = self.element() if not self.done() else (_UTF8, b"")
            if kind in (_UTF8, 1, 2):
                chars = payload.decode("utf-8", "replace")
            elif kind in (_UTF16, 4):
                chars = payload.decode("utf-16-le" if self.order == "<" else "utf-16-be", "replace")
            elif kind == _UTF32:
                chars = payload.decode("utf-32-le" if self.order == "<" else "utf-32-be", "replace")
            else:
                raise MatFileError(f"char data of type {kind}")
            if len(shape) == 2 and shape[0] > 1:  # a char matrix: rows stored column-major
                grid = np.array(list(chars)).reshape(shape[::-1]).T
                return label, ["".join(row).rstrip() for row in grid]
            return label, chars
        if cls in _NUMERIC_CLASSES:
            real = self.numbers(*self.element()) if not self.done() else np.zeros(0)
            if real.size != count:
                raise MatFileError("numeric data does not match the dimensions")
            array = real.reshape(shape[::-1]).T
            if int(flags[0]) & _COMPLEX_FLAG:
                imag = self.numbers(*self.element())
                if imag.size != count:
                    raise MatFileError("imaginary data does not match the dimensions")
                array = array + 1j * imag.reshape(shape[::-1]).T
            return label, array.item() if count == 1 else array
        if cls == _CELL:
            items = [self.value()[1] for _ in range(count)]
            return label, items
        if cls == _STRUCT:
            length_kind, length = self.element()
            width = int(self.numbers(length_kind, length)[0])
            _, names_raw = self.element()
            if width <= 0 or len(names_raw) % width:
                raise MatFileError("bad struct field names")
            fields = [
                names_raw[i : i + width].split(b"\0", 1)[0].decode("ascii", "replace")
                for i in range(0, len(names_raw), width)
            ]
            records = [{f: self.value()[1] for f in fields} for _ in range(count)]
            return label, records
        raise MatFileError(f"array class {cls} is not supported")


def load(data: bytes) -> dict[str, Any]:
    """The variables of a level-5 MAT-file given as bytes."""
    if len(data) < 128:
        raise MatFileError("too short for a MAT-file header")
    version, marker = data[124:126], data[126:128]
    if marker == b"IM":
        order = "<"
    elif marker == b"MI":
        order = ">"
    else:
        raise MatFileError("no MAT-file endian indicator (not a level-5 MAT-file)")
    if struct.unpack(order + "H", version)[0] != 0x0100:
        raise MatFileError("unsupported MAT-file version")
    reader = _Reader(data[128:], order)
    variables = {}
    while not reader.done():
        name, value = reader.value()
        variables[name] = value
    return variables
