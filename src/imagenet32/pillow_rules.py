"""Pillow releases, and what each one's resize computes.

Pillow's BOX resize bytes changed five times between 4.0 and 13.0 (see
``shared/spec/pillow-resize.md`` section 4). :func:`release` turns a version
string into a :class:`Release`, which knows the arguments that release had and
the native rules that reproduce its bytes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import _core

__all__ = ["BEHAVIOURS", "NEWEST", "Release", "release"]

# Every minor release from 4.0 to 13.0 (patch releases never changed resize).
_MINORS = {4: 3, 5: 4, 6: 2, 7: 2, 8: 4, 9: 5, 10: 4, 11: 3, 12: 3, 13: 0}

#: The newest behaviour, used when no release is named.
NEWEST = "13.0"

#: The releases whose resize bytes differ, and the ranges they stand for.
BEHAVIOURS = {
    "4.0": "4.0 - 4.1 (made the published 2017 datasets): floor/ceil windows, BOX on [-0.5, 0.5)",
    "4.2": "4.2 - 6.2: rounded windows, BOX on [-0.5, 0.5) (boundary pixels dropped, black lines when enlarging)",
    "7.0": "7.0 - 12.1: BOX on (-0.5, 0.5], horizontal pass first",
    "12.2": "12.2 - 12.3: images over 100x taller than wide are resized vertically first",
    "13.0": "13.0 and later: the core runs the vertical pass first when the height shrinks more",
}

_VERSION = re.compile(r"^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$")


@dataclass(frozen=True)
class Release:
    """A Pillow release, as far as resize is concerned."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)

    @property
    def behaviour(self) -> str:
        """The label in :data:`BEHAVIOURS` of the bytes this release computes."""
        for label in ("13.0", "12.2", "7.0", "4.2"):
            major, minor = map(int, label.split("."))
            if self.at_least(major, minor):
                return label
        return "4.0"

    @property
    def has_box(self) -> bool:
        """``box=`` appeared in 4.3."""
        return self.at_least(4, 3)

    @property
    def has_reducing_gap(self) -> bool:
        """``reducing_gap=`` appeared in 7.0."""
        return self.at_least(7, 0)

    @property
    def resizes_16bit(self) -> bool:
        """I;16 images could be resampled (with filters other than NEAREST) from 11.0."""
        return self.at_least(11, 0)

    @property
    def has_reduce(self) -> bool:
        """``Image.reduce`` appeared in 7.0."""
        return self.at_least(7, 0)

    @property
    def reduce_box_as_tuple(self) -> bool:
        """Before 10.4 ``Image.reduce`` made its box a tuple before asking whether it is the whole
        image's (a list box could be; from 10.4 only a tuple is)."""
        return not self.at_least(10, 4)

    @property
    def reduce_by_one_crops(self) -> bool:
        """From 13.0 ``reduce`` by 1 is ``crop(box)``: any mode, boxes past the edges (zeros there)."""
        return self.at_least(13, 0)

    @property
    def has_mks(self) -> bool:
        """The MKS2013 and MKS2021 filters appeared in 13.0."""
        return self.at_least(13, 0)

    @functools.cached_property
    def rules(self) -> _core.Rules:
        """The native kernel's switches for this release."""
        return _core.Rules(
            floor_ceil_bounds=not self.at_least(4, 2),
            box_left_closed=not self.at_least(7, 0),
            vertical_first=self.at_least(13, 0),
            tall_split=self.at_least(12, 2) and not self.at_least(13, 0),
            gap_with_alpha=self.at_least(13, 0),
            clamp16=self.at_least(12, 3),
            hamming_tails=not self.at_least(4, 2),
            premultiply_nearest=not self.at_least(8, 2),
        )


@functools.lru_cache(maxsize=None)
def _parse(version: str) -> Release:
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"unknown Pillow version {version!r}: expected a release such as '4.1.1', '6.2' or '13.0'")
    major, minor = int(match[1]), int(match[2] or 0)
    if _MINORS.get(major, -1) < minor:
        raise ValueError(f"unknown Pillow version {version!r}: imagenet32 reproduces Pillow 4.0 to {NEWEST}")
    return Release(major, minor)


def release(version: str | None = None) -> Release:
    """The :class:`Release` named by ``version`` ('4.1.1', '6.2', '13.0'); the newest when None."""
    if version is None:
        version = NEWEST
    if not isinstance(version, str):
        raise TypeError(f"pillow must be a version string such as '13.0', not {type(version).__name__}")
    return _parse(version)
