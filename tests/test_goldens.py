"""Every golden case, made by real Pillow 4.1.1, 6.2.2, 12.1.1, 12.3.0 and 13.0.0
builds (tests/data/golden, copied from shared/golden), must come out identical
with pillow= set to that release, with every SIMD backend."""

import numpy as np
import pytest
from helpers import GOLDEN, golden_cases, simd_backends

import imagenet32

RELEASES = ["4.1.1", "6.2.2", "12.1.1", "12.3.0", "13.0.0"]
CASES = list(golden_cases())


@pytest.fixture(scope="module", params=RELEASES)
def release_outputs(request):
    with np.load(GOLDEN / f"pillow-{request.param}.npz") as z:
        return request.param, {key: z[key] for key in z.files}


@pytest.mark.parametrize("simd", simd_backends())
def test_every_golden_case_is_identical(release_outputs, simd):
    release, outputs = release_outputs
    checked = 0
    mismatches = []
    for case, image in CASES:
        key = f"case{case['case']}"
        if key not in outputs:  # the case used an argument this release did not have
            continue
        got = imagenet32.resize(
            image, tuple(case["size"]), box=case["box"], reducing_gap=case["reducing_gap"], pillow=release, simd=simd
        )
        checked += 1
        if got.shape != outputs[key].shape or not np.array_equal(got, outputs[key]):
            mismatches.append(case)
    assert not mismatches, f"{len(mismatches)} of {checked} cases differ, first: {mismatches[0]}"
    assert checked >= 340


def test_cases_a_release_lacked_are_refused():
    """Cases missing from the old goldens used box or reducing_gap, which those releases refuse."""
    with np.load(GOLDEN / "pillow-4.1.1.npz") as z:
        present = set(z.files)
    missing = [(c, img) for c, img in CASES if f"case{c['case']}" not in present]
    assert missing
    for case, image in missing:
        with pytest.raises(ValueError, match="had no (box|reducing_gap) argument"):
            imagenet32.resize(image, tuple(case["size"]), box=case["box"], reducing_gap=case["reducing_gap"],
                              pillow="4.1.1")
