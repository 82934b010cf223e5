# Type stubs for the private native module; keep in step with cpp/bindings.cpp.
from typing import Any

import numpy as np
import numpy.typing as npt

class Rules:
    def __init__(
        self,
        *,
        floor_ceil_bounds: bool,
        box_left_closed: bool,
        vertical_first: bool,
        tall_split: bool,
        gap_with_alpha: bool,
        clamp16: bool,
        hamming_tails: bool,
        premultiply_nearest: bool,
    ) -> None: ...
    @property
    def floor_ceil_bounds(self) -> bool: ...
    @property
    def box_left_closed(self) -> bool: ...
    @property
    def vertical_first(self) -> bool: ...
    @property
    def tall_split(self) -> bool: ...
    @property
    def gap_with_alpha(self) -> bool: ...
    @property
    def clamp16(self) -> bool: ...
    @property
    def hamming_tails(self) -> bool: ...
    @property
    def premultiply_nearest(self) -> bool: ...

class Filter:
    box: Filter
    bilinear: Filter
    hamming: Filter
    bicubic: Filter
    lanczos: Filter
    mks2013: Filter
    mks2021: Filter
    nearest: Filter
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

Sizes = list[tuple[int, int]]
Box4 = tuple[float, float, float, float]

def resize8(
    image: npt.NDArray[np.uint8],
    sizes: Sizes,
    box: Box4,
    gap: float | None,
    alpha: bool,
    filter: Filter,
    rules: Rules,
    simd: str = "",
) -> list[npt.NDArray[np.uint8]]: ...
def is_crop(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> bool: ...
def resize8_squares(
    image: Any, sides: int | list[int] | tuple[int, ...], filter: Filter, rules: Rules
) -> npt.NDArray[np.uint8] | list[npt.NDArray[np.uint8]] | None: ...
def resize16(
    image: npt.NDArray[np.uint16],
    sizes: Sizes,
    box: Box4,
    gap: float | None,
    filter: Filter,
    rules: Rules,
    swapped: bool = False,
) -> list[npt.NDArray[np.uint16]]: ...
def resize32i(
    image: npt.NDArray[np.int32],
    sizes: Sizes,
    box: Box4,
    gap: float | None,
    filter: Filter,
    rules: Rules,
    swapped: bool = False,
) -> list[npt.NDArray[np.int32]]: ...
def resize32f(
    image: npt.NDArray[np.float32],
    sizes: Sizes,
    box: Box4,
    gap: float | None,
    filter: Filter,
    rules: Rules,
    swapped: bool = False,
) -> list[npt.NDArray[np.float32]]: ...
def resize8_batch(
    images: list[npt.NDArray[np.uint8]],
    sizes: Sizes,
    gap: float | None,
    alpha: bool,
    filter: Filter,
    rules: Rules,
    simd: str = "",
    threads: int = 1,
) -> list[npt.NDArray[np.uint8]]: ...
def reduce(
    image: npt.NDArray[Any], fx: int, fy: int, box: tuple[int, int, int, int], alpha: bool = False, simd: str = ""
) -> npt.NDArray[Any]: ...
def arrow_pixels(schema: Any, array: Any, width: int, height: int) -> npt.NDArray[Any]: ...
def simd_backends() -> list[str]: ...
def default_simd() -> str: ...
def compiler() -> str: ...

compile_flags: str
