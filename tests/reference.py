"""An independent, slow model of Pillow's BOX resize for 8-bit images.

Written directly from shared/spec/pillow-resize.md (sections 1-4), in plain
Python doubles and numpy float32, one window at a time. It shares no code with
imagenet32. The tests check it against the installed Pillow and the golden
outputs of real old Pillow builds, then use it as an oracle for random cases
of every Pillow behaviour, which no installed Pillow can cover at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PRECISION = 22


@dataclass(frozen=True)
class Era:
    floor_ceil: bool  # 4.0-4.1
    closed_left: bool  # < 7.0
    split_tall: bool  # 12.2-12.3
    vertical_rule: bool  # 13.0+
    gap_alpha: bool  # 13.0+


ERAS = {
    "4.1": Era(True, True, False, False, False),
    "6.2": Era(False, True, False, False, False),
    "12.1": Era(False, False, False, False, False),
    "12.3": Era(False, False, True, False, False),
    "13.0": Era(False, False, False, True, True),
}


def f32(x: float) -> float:
    return float(np.float32(x))


def window_runs(size_in: int, lo: float, hi: float, size_out: int, era: Era) -> list[list[int]]:
    """For each output, the inputs whose BOX weight is 1."""
    span = f32(np.float32(hi) - np.float32(lo))
    scale = span / size_out
    filterscale = max(scale, 1.0)
    support = 0.5 * filterscale
    inv = 1.0 / filterscale
    runs = []
    for xx in range(size_out):
        center = f32(lo) + (xx + 0.5) * scale
        if era.floor_ceil:
            first, end = math.floor(center - support), math.ceil(center + support)
        else:
            first, end = int(center - support + 0.5), int(center + support + 0.5)
        first, end = max(first, 0), min(end, size_in)
        ones = []
        for x in range(first, end):
            t = (x - center + 0.5) * inv
            inside = (-0.5 <= t < 0.5) if era.closed_left else (-0.5 < t <= 0.5)
            if inside:
                ones.append(x)
        runs.append(ones)
    return runs


def weight(n: int) -> int:
    return int((1.0 / n) * (1 << PRECISION) + 0.5) if n else 0


def one_pass(img: np.ndarray, runs: list[list[int]], axis: int) -> np.ndarray:
    """Average along `axis` (1: horizontal, 0: vertical), rounded as Pillow does."""
    moved = np.moveaxis(img.astype(np.int64), axis, 0)
    out = np.zeros((len(runs),) + moved.shape[1:], dtype=np.int64)
    for i, run in enumerate(runs):
        total = moved[run].sum(axis=0) if run else 0
        out[i] = np.minimum(255, ((1 << (PRECISION - 1)) + weight(len(run)) * total) >> PRECISION)
    return np.moveaxis(out, 0, axis).astype(np.uint8)


def core(img: np.ndarray, size: tuple[int, int], box: tuple[float, float, float, float], era: Era) -> np.ndarray:
    """The C core: crop shortcut, which passes run, and their order."""
    h, w = img.shape[:2]
    b = [f32(v) for v in box]
    width, height = size
    if b[0] - int(b[0]) == 0 and f32(np.float32(b[2]) - np.float32(b[0])) == width and \
            b[1] - int(b[1]) == 0 and f32(np.float32(b[3]) - np.float32(b[1])) == height:
        out = np.zeros((height, width) + img.shape[2:], dtype=np.uint8)
        x0, y0 = int(b[0]), int(b[1])
        part = img[y0:y0 + height, x0:x0 + width]
        out[: part.shape[0], : part.shape[1]] = part
        return out
    need_h = width != w or b[0] != 0 or b[2] != width
    need_v = height != h or b[1] != 0 or b[3] != height
    vertical_first = era.vertical_rule and (h - height) > 0 and (h - height) > 2 * (w - width)
    hruns = window_runs(w, b[0], b[2], width, era)
    vruns = window_runs(h, b[1], b[3], height, era)
    if need_v and (vertical_first or not need_h):
        img = one_pass(img, vruns, 0)
        return one_pass(img, hruns, 1) if need_h else img
    if need_h:
        img = one_pass(img, hruns, 1)
    return one_pass(img, vruns, 0) if need_v else img.copy()


def reduce(img: np.ndarray, fx: int, fy: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """Image.reduce: ((sum + n // 2) * trunc(float32(2^32) / float32(256 n)) mod 2^32) >> 24."""
    x0, y0, x1, y1 = box
    ow, oh = -(-(x1 - x0) // fx), -(-(y1 - y0) // fy)
    out = np.zeros((oh, ow) + img.shape[2:], dtype=np.uint8)
    for y in range(oh):
        for x in range(ow):
            block = img[y0 + y * fy: min(y0 + (y + 1) * fy, y1), x0 + x * fx: min(x0 + (x + 1) * fx, x1)]
            n = block.shape[0] * block.shape[1]
            multiplier = int(np.float32(2.0 ** 32) / np.float32(256 * n))
            total = block.astype(np.int64).sum(axis=(0, 1))
            out[y, x] = (((total + n // 2) * multiplier) % (1 << 32)) >> 24
    return out


def premultiply(img: np.ndarray) -> np.ndarray:
    out = img.astype(np.int64)
    t = out[..., :-1] * out[..., -1:] + 128
    out[..., :-1] = ((t >> 8) + t) >> 8
    return out.astype(np.uint8)


def unpremultiply(img: np.ndarray) -> np.ndarray:
    out = img.astype(np.int64)
    alpha = out[..., -1:]
    keep = (alpha == 0) | (alpha == 255)
    divided = np.minimum(255, 255 * out[..., :-1] // np.where(keep, 1, alpha))
    out[..., :-1] = np.where(keep, out[..., :-1], divided)
    return out.astype(np.uint8)


def resize(img: np.ndarray, size: tuple[int, int], box=None, reducing_gap=None, pillow: str = "13.0") -> np.ndarray:
    """Image.fromarray(img).resize(size, BOX, box, reducing_gap) of the given Pillow behaviour."""
    era = ERAS[pillow]
    h, w = img.shape[:2]
    if box is None:
        box = (0, 0, w, h)
    if (w, h) == tuple(size) and tuple(box) == (0, 0, w, h):
        return img.copy()
    if img.ndim == 3 and img.shape[2] in (2, 4):
        inner = resize_plain(premultiply(img), size, box, reducing_gap if era.gap_alpha else None, era)
        return unpremultiply(inner)
    return resize_plain(img, size, box, reducing_gap, era)


def resize_plain(img, size, box, reducing_gap, era):
    if reducing_gap is not None:
        fx = int((box[2] - box[0]) / size[0] / reducing_gap) or 1
        fy = int((box[3] - box[1]) / size[1] / reducing_gap) or 1
        if fx > 1 or fy > 1:
            h, w = img.shape[:2]
            safe = (max(0, int(box[0])), max(0, int(box[1])), min(w, math.ceil(box[2])), min(h, math.ceil(box[3])))
            img = reduce(img, fx, fy, safe)
            box = ((box[0] - safe[0]) / fx, (box[1] - safe[1]) / fy, (box[2] - safe[0]) / fx, (box[3] - safe[1]) / fy)
    h, w = img.shape[:2]
    if era.split_tall and h > 100 * w and size[1] < h:
        mid = core(img, (w, size[1]), (0, box[1], w, box[3]), era)
        return core(mid, size, (box[0], 0, box[2], size[1]), era)
    return core(img, size, box, era)
