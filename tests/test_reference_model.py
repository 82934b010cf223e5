"""The independent model in reference.py, first checked against the real
references (the installed Pillow, the goldens of real old builds), then used
as an oracle for random cases of every Pillow behaviour."""

import numpy as np
import pytest
import reference
from helpers import GOLDEN, INSTALLED, INSTALLED_COVERED, golden_cases, pillow_box, random_image, simd_backends
from hypothesis import given
from hypothesis import strategies as st

import imagenet32

GOLDEN_ERA = {"4.1.1": "4.1", "6.2.2": "6.2", "12.1.1": "12.1", "12.3.0": "12.3", "13.0.0": "13.0"}


@pytest.mark.parametrize("release", list(GOLDEN_ERA))
def test_model_reproduces_the_goldens(release):
    with np.load(GOLDEN / f"pillow-{release}.npz") as z:
        outputs = {key: z[key] for key in z.files}
    for case, image in golden_cases():
        key = f"case{case['case']}"
        if key in outputs and max(image.shape[:2]) <= 600:
            got = reference.resize(image, tuple(case["size"]), case["box"], case["reducing_gap"], GOLDEN_ERA[release])
            assert np.array_equal(got, outputs[key]), case


@pytest.mark.skipif(INSTALLED != "13.0", reason="the model's 13.0 behaviour is checked against Pillow 13.0")
@given(st.integers(0, 2**32 - 1))
def test_model_matches_installed_pillow(seed):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 40, 2))
    image = random_image(rng, h, w, [None, 2, 3, 4][seed % 4], ["noise", "blocks"][seed % 2])
    size = (int(rng.integers(1, 45)), int(rng.integers(1, 45)))
    box = None
    if rng.random() < 0.4:
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        box = (x0, y0, rng.uniform(x0, w), rng.uniform(y0, h))
    gap = [None, 1.0, 2.0, 3.0][int(rng.integers(0, 4))]
    assert np.array_equal(reference.resize(image, size, box, gap, "13.0"), pillow_box(image, size, box, gap))


ERA_RELEASE = {"4.1": "4.1.1", "6.2": "6.2.2", "12.1": "12.1.1", "12.3": "12.3.0", "13.0": "13.0.0"}


@pytest.mark.parametrize("era", list(ERA_RELEASE))
@given(seed=st.integers(0, 2**32 - 1))
def test_native_matches_model_for_every_behaviour(era, seed):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 48, 2))
    if rng.random() < 0.1:  # a tall strip, for 12.2's split and 13.0's pass order
        h, w = int(rng.integers(101, 400)), int(rng.integers(1, 3))
    image = random_image(rng, h, w, [None, 2, 3, 4][seed % 4], ["noise", "blocks", "smooth"][seed % 3])
    size = (int(rng.integers(1, 50)), int(rng.integers(1, 50)))
    release = ERA_RELEASE[era]
    box = gap = None
    if imagenet32.release(release).has_box and rng.random() < 0.4:
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        box = (x0, y0, rng.uniform(x0, w), rng.uniform(y0, h))
    if imagenet32.release(release).has_reducing_gap and rng.random() < 0.4:
        gap = float(rng.choice([1.0, 1.7, 2.0, 3.0]))
    expected = reference.resize(image, size, box, gap, era)
    for simd in simd_backends():
        assert np.array_equal(imagenet32.resize(image, size, box=box, reducing_gap=gap, pillow=release, simd=simd),
                              expected)


@pytest.mark.skipif(not INSTALLED_COVERED, reason="needs a covered Pillow")
def test_model_is_not_trivially_equal_across_eras():
    """The eras really differ (spec 4.1's worked examples), so the oracle tests can fail."""
    row = np.array([[10, 100, 200]], np.uint8)
    results = {era: reference.resize(row, (2, 1), pillow=era).tolist() for era in ("4.1", "6.2", "13.0")}
    assert results == {"4.1": [[10, 150]], "6.2": [[10, 200]], "13.0": [[55, 200]]}
    for era, release in (("4.1", "4.1"), ("6.2", "6.2"), ("13.0", "13.0")):
        assert imagenet32.resize(row, (2, 1), pillow=release).tolist() == results[era]
