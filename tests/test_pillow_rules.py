"""Pillow release names and the behaviour each one has."""

import pytest

import imagenet32
from imagenet32 import BEHAVIOURS


@pytest.mark.parametrize(
    ("version", "behaviour"),
    [("4.0", "4.0"), ("4.1.1", "4.0"), ("4.2.0", "4.2"), ("6.2.2", "4.2"), ("7.0.0", "7.0"), ("12.1.1", "7.0"),
     ("12.2", "12.2"), ("12.3.0", "12.2"), ("13.0", "13.0"), ("13", "13.0"), (None, "13.0")],
)
def test_behaviours(version, behaviour):
    assert imagenet32.release(version).behaviour == behaviour
    assert behaviour in BEHAVIOURS


def test_arguments_by_release():
    assert not imagenet32.release("4.2.1").has_box and imagenet32.release("4.3").has_box
    assert not imagenet32.release("6.2").has_reducing_gap and imagenet32.release("7.0").has_reducing_gap
    assert not imagenet32.release("10.4").resizes_16bit and imagenet32.release("11.0").resizes_16bit


def test_every_minor_release_from_4_0_to_13_0_is_known():
    known = {(4, 3), (5, 4), (6, 2), (7, 2), (8, 4), (9, 5), (10, 4), (11, 3), (12, 3), (13, 0)}
    for major, last in known:
        for minor in range(last + 1):
            assert str(imagenet32.release(f"{major}.{minor}")) == f"{major}.{minor}"


def test_rules_differ_between_behaviours():
    rules = {label: imagenet32.release(label).rules for label in BEHAVIOURS}
    fields = ["floor_ceil_bounds", "box_left_closed", "vertical_first", "tall_split", "gap_with_alpha"]
    signatures = {label: tuple(getattr(r, f) for f in fields) for label, r in rules.items()}
    assert len(set(signatures.values())) == len(BEHAVIOURS)
