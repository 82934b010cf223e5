"""Every filter and Image.reduce against real Pillow builds: the goldens in
tests/data/filters were made by Pillow 4.1.1, 6.2.2, 8.1.2, 8.4.0, 9.5.0,
11.0.0, 12.1.1, 12.3.0 and 13.0.0 (see its README). Each case must come out
identical with pillow= set to that release, through the array API and the
PIL API, with every SIMD backend; a case the release refused must be refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import FILTER_GOLDEN, simd_backends
from PIL import Image

import imagenet32

RELEASES = ["4.1.1", "6.2.2", "8.1.2", "8.4.0", "9.5.0", "11.0.0", "12.1.1", "12.3.0", "13.0.0"]
BANDS = {"L": [0], "P": [0], "1": [0], "LA": [0, 3], "RGB": [0, 1, 2], "RGBA": [0, 1, 2, 3]}
CASES = json.loads((FILTER_GOLDEN / "cases.json").read_text())["cases"]


@pytest.fixture(scope="module")
def inputs():
    with np.load(FILTER_GOLDEN / "inputs.npz") as z:
        return {key: z[key] for key in z.files}


@pytest.fixture(scope="module", params=RELEASES)
def golden(request):
    with np.load(FILTER_GOLDEN / f"pillow-{request.param}.npz") as z:
        outputs = {key: z[key] for key in z.files if key.startswith("case")}
        errors = json.loads(str(z["errors"]))
    return request.param, outputs, errors


def as_array(case, inputs) -> np.ndarray:
    """The case's input as imagenet32 takes arrays (modes L, LA, RGB, RGBA, I, F, I;16)."""
    a = inputs[case["img"]]
    if a.ndim == 2:
        return a
    a = a[..., BANDS[case["mode"]]]
    return np.ascontiguousarray(a[..., 0] if a.shape[2] == 1 else a)


def as_image(case, inputs) -> Image.Image:
    """The case's input as a PIL image of its mode, as make_goldens.py builds it."""
    mode, a = case["mode"], inputs[case["img"]]
    if mode == "I;16":
        return Image.frombytes(mode, (a.shape[1], a.shape[0]), a.astype("<u2").tobytes())
    if mode in ("I", "F"):
        return Image.fromarray(a, mode)
    if mode == "1":
        return Image.fromarray(a[..., 0] >= 128)
    if mode == "P":
        im = Image.fromarray(a[..., 0], "P")
        im.putpalette(inputs["palette"].ravel().tolist())
        return im
    return Image.fromarray(as_array(case, inputs), mode)


def image_array(im: Image.Image) -> np.ndarray:
    """A result image as the goldens store it (mode 1 as 0/255)."""
    if im.mode == "1":
        return np.asarray(im).astype(np.uint8) * 255
    return np.asarray(im)


def run(case, image, release, simd=None):
    if case["op"] == "reduce":
        return imagenet32.reduce(image, tuple(case["factor"]), case["box"], pillow=release, simd=simd)
    box = None if case["box"] is None else tuple(case["box"])
    return imagenet32.resize(image, tuple(case["size"]), filter=case["filter"], box=box,
                             reducing_gap=case["reducing_gap"], pillow=release, simd=simd)


def check_release(golden, inputs, make, to_array, simd=None):
    release, outputs, errors = golden
    mismatches, checked = [], 0
    for case in CASES:
        key = f"case{case['case']}"
        image = make(case, inputs)
        if image is None:
            continue
        if key not in outputs:
            assert str(case["case"]) in errors
            with pytest.raises((ValueError, TypeError)):
                run(case, image, release, simd)
            continue
        got = to_array(run(case, image, release, simd))
        checked += 1
        expected = outputs[key]
        if got.shape != expected.shape or not np.array_equal(got, expected):
            mismatches.append(case)
    assert not mismatches, f"{len(mismatches)} of {checked} cases differ from Pillow {release}: {mismatches[:3]}"
    return checked


@pytest.mark.parametrize("simd", simd_backends())
def test_array_api_matches_every_release(golden, inputs, simd):
    def make(case, inputs):
        return None if case["mode"] in ("P", "1") else as_array(case, inputs)

    assert check_release(golden, inputs, make, np.asarray, simd) >= 300


def test_pil_api_matches_every_release(golden, inputs):
    assert check_release(golden, inputs, as_image, image_array) >= 350


def test_goldens_cover_every_filter_and_mode():
    resized = {(c["filter"], c["mode"]) for c in CASES if c["op"] == "resize"}
    for f in imagenet32.FILTERS:
        for mode in ("L", "LA", "RGB", "RGBA", "I", "F", "I;16"):
            assert (f, mode) in resized
    assert {c["mode"] for c in CASES if c["op"] == "reduce"} >= {"L", "LA", "RGB", "RGBA", "I", "F"}
