"""Every filter other than BOX, and Image.reduce: differential tests against the
installed Pillow (random and tie-prone shapes, boxes, gaps, every mode), the
scalar and SIMD kernels against each other, and Pillow's own exact-value tests
of its filters (spec section 6), rewritten for imagenet32."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from helpers import INSTALLED, INSTALLED_COVERED, outcome, random_image, same_outcome, simd_backends
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import imagenet32

FILTERS = list(imagenet32.FILTERS)
CONVOLUTIONS = [f for f in FILTERS if f != "nearest"]
RESAMPLING = {name: getattr(Image.Resampling, name.upper()) for name in FILTERS}
needs_pillow = pytest.mark.skipif(not INSTALLED_COVERED, reason="needs a Pillow release imagenet32 covers")
# The MKS filters exist only in Pillow 13.0 and later.
INSTALLED_FILTERS = [f for f in FILTERS if not f.startswith("mks") or imagenet32.release(INSTALLED).has_mks]

DARK = 0xE1


def squares(size: int, mode: str) -> Image.Image:
    """Pillow's accuracy case: dark squares top-left and bottom-right, bright elsewhere."""
    half = size // 2
    band = np.full((size, size), 255 - DARK, np.uint8)
    band[:half, :half] = DARK
    band[half:, half:] = DARK
    return Image.merge(mode, [Image.fromarray(band)] * len(mode))


def expected_from_quadrant(table: str, size: int) -> np.ndarray:
    """The full expected image from the hex values of its top-left quadrant:
    mirrored to the bottom right, inverted in the other two."""
    half = size // 2
    q = np.array([int(v, 16) for v in table.split()], np.uint8).reshape(half, half)
    out = np.empty((size, size), np.uint8)
    out[:half, :half] = q
    out[half:, half:] = q[::-1, ::-1]
    out[half:, :half] = 255 - q[::-1, :]
    out[:half, half:] = 255 - q[:, ::-1]
    return out


# (filter, input size, output size, top-left quadrant) from Pillow's Tests/test_image_resample.py.
ACCURACY = [
    ("bilinear", 8, 4, "e1 c9 c9 b7"),
    ("hamming", 8, 4, "e1 da da d3"),
    ("bicubic", 12, 6, "e1 e3 d4 e3 e5 d6 d4 d6 c9"),
    ("lanczos", 16, 8, "e1 e0 e4 d7 e0 df e3 d6 e4 e3 e7 da d7 d6 d9 ce"),
    ("mks2013", 16, 8, "e1 e1 e9 dc e1 e1 e9 dc e9 e9 f1 e3 dc dc e4 d8"),
    ("mks2021", 16, 8, "e1 e1 e3 d7 e1 e1 e3 d7 e3 e3 e5 d9 d7 d7 d9 ce"),
    ("bilinear", 2, 4, "e1 b0 b0 98"),
    ("hamming", 2, 4, "e1 d2 d2 c5"),
    ("bicubic", 4, 8, "e1 e5 ee b9 e5 e9 f3 bc ee f3 fd c1 b9 bc c1 a2"),
    ("lanczos", 6, 12, "e1 e0 db ed f5 b8 e0 df da ec f3 b7 db db d6 e7 ee b5 "
                       "ed ec e6 fb ff bf f5 f4 ee ff ff c4 b8 b7 b4 bf c4 a0"),
    ("mks2013", 6, 12, "e1 e1 e2 ef fb be e1 e1 e2 ef fb be e2 e2 e3 f1 fd bf "
                       "ef ef f0 ff ff c7 fb fb fc ff ff cf be be bf c7 cf a8"),
    ("mks2021", 6, 12, "e3 e1 df e9 f5 bb e1 df dd e7 f3 b9 df dd db e5 f1 b8 "
                       "e9 e7 e5 ef fc be f5 f3 f0 fc ff c5 bb ba b8 bf c6 a3"),
]


@pytest.mark.parametrize("simd", simd_backends())
@pytest.mark.parametrize("mode", ["RGBX", "RGB", "La", "L"])
@pytest.mark.parametrize(("name", "size", "out", "table"), ACCURACY)
def test_pillow_accuracy_tables(name, size, out, table, mode, simd):
    result = imagenet32.resize(squares(size, mode), out, filter=name, simd=simd)
    expected = expected_from_quadrant(table, out)
    for band in result.split():
        assert np.array_equal(np.asarray(band), expected)


@pytest.mark.parametrize("name", CONVOLUTIONS)
def test_uniform_images_stay_uniform(name):
    """Pillow's consistency test: a flat 512x9 image resized to 9x512 keeps its value exactly."""
    for image, value in [
        (np.broadcast_to(np.array([0, 64, 255], np.uint8), (9, 512, 3)), [0, 64, 255]),
        (np.full((9, 512), 12, np.uint8), 12),
        *[(np.full((9, 512), v, np.int32), v) for v in (12, 0x7FFFFFFF, -12, -(1 << 31))],
        *[(np.full((9, 512), v, np.float32), np.float32(v)) for v in (1, 3.40282306074e38, 1.175494e-38,
                                                                      1.192093e-07)],
    ]:
        out = imagenet32.resize(np.ascontiguousarray(image), (9, 512), filter=name)
        assert (out == value).all(), (image.dtype, value)


def test_bicubic_halves_an_edge_exactly():
    """Pillow's coefficient test: a huge row half 254, half 0, to 5 pixels: the middle is 127."""
    for width in range(400000, 400010, 2):
        row = np.zeros((1, width), np.uint8)
        row[0, : width // 2] = 254
        assert imagenet32.resize(row, (5, 1), filter="bicubic")[0, 2] == 127


def test_bicubic_keeps_a_flat_image_flat():
    image = np.broadcast_to(np.array([0x20, 0x40, 0x60, 0xFF], np.uint8), (1280, 1280, 4)).copy()
    out = imagenet32.resize(image, 256, filter="bicubic")
    assert (out == [0x20, 0x40, 0x60, 0xFF]).all()


@pytest.mark.parametrize("name", CONVOLUTIONS)
@pytest.mark.parametrize("channels", [2, 4])
def test_transparent_pixels_do_not_bleed(name, channels):
    """Pillow's dirty-pixels test, for every filter: premultiplied alpha keeps
    a transparent colour out of every visible pixel."""
    image = np.zeros((64, 64, channels), np.uint8)
    image[..., :-1] = 255 if channels == 2 else [0, 0, 255]  # the hidden colour
    clean = [255] if channels == 2 else [255, 255, 0]
    image[16:48, 16:48, :-1] = clean
    image[16:48, 16:48, -1] = 128
    out = imagenet32.resize(image, 20, filter=name)
    visible = out[..., -1] > 0
    assert (out[..., :-1][visible] == clean).all()


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("channels", [2, 3, 4])
def test_each_band_is_resized_on_its_own(name, channels):
    """Pillow's test_endianness: each band equals that band resized alone as L."""
    image = random_image(np.random.default_rng(6), 2, 2, channels)
    if channels != 3:
        image[..., -1] = 255  # opaque: premultiplying changes nothing
    out = imagenet32.resize(image, 4, filter=name)
    for band in range(channels):
        alone = imagenet32.resize(np.ascontiguousarray(image[..., band]), 4, filter=name)
        assert np.array_equal(out[..., band], alone)


def test_pillow_filter_ids_are_accepted():
    image = random_image(np.random.default_rng(9), 20, 30, 3)
    for name, member in RESAMPLING.items():
        assert np.array_equal(imagenet32.resize(image, 7, filter=member), imagenet32.resize(image, 7, filter=name))
        assert np.array_equal(imagenet32.resize(image, 7, filter=name.upper()), imagenet32.resize(image, 7,
                                                                                                  filter=name))


def test_modes_1_and_p_always_use_nearest():
    rng = np.random.default_rng(10)
    p = Image.fromarray(rng.integers(0, 256, (30, 40), dtype=np.uint8), "P")
    p.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
    bilevel = Image.fromarray(rng.random((30, 40)) < 0.5)
    for im in (p, bilevel):
        nearest = imagenet32.resize(im, (13, 11), filter="nearest")
        for name in CONVOLUTIONS:
            assert imagenet32.resize(im, (13, 11), filter=name).tobytes() == nearest.tobytes()
    p.info["transparency"] = 7
    out, expected = imagenet32.resize(p, (13, 11)), p.resize((13, 11), Image.Resampling.BOX)
    assert (out.getpalette(), out.info) == (expected.getpalette(), expected.info)
    rgba = Image.fromarray(rng.integers(0, 4, (30, 40), dtype=np.uint8), "P")
    rgba.putpalette(rng.integers(0, 256, 16, dtype=np.uint8).tobytes(), "RGBA")
    out, expected = imagenet32.resize(rgba, 9), rgba.resize((9, 9))
    assert (out.getpalette("RGBA"), out.tobytes()) == (expected.getpalette("RGBA"), expected.tobytes())


# Differential tests against the installed Pillow.

SIDES = st.one_of(st.integers(1, 80), st.sampled_from([13, 6, 15, 14, 63, 20, 17, 10, 2, 49, 500, 375, 333]))
MODES = ["L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "I", "F", "I;16", "I;16B", "P", "1", "La", "PA"]


def make_image(rng: np.random.Generator, mode: str, width: int, height: int) -> Image.Image:
    if mode == "I":
        return Image.fromarray(rng.integers(-(1 << 31), 1 << 31, (height, width), dtype=np.int64).astype(np.int32))
    if mode == "F":
        return Image.fromarray(rng.normal(0, 1e3, (height, width)).astype(np.float32))
    if mode.startswith("I;16"):
        return Image.frombytes(mode, (width, height), rng.integers(0, 256, width * height * 2, np.uint8).tobytes())
    if mode == "1":
        return Image.fromarray(rng.random((height, width)) < 0.5)
    bands = len(Image.new(mode, (1, 1)).getbands())
    kind = rng.choice(["noise", "blocks", "gradient"])
    pixels = random_image(rng, height, width, bands if bands > 1 else None, kind)
    if mode in ("RGBX", "CMYK", "YCbCr", "La", "PA", "P"):
        im = Image.frombytes(mode, (width, height), pixels.tobytes())
        if mode in ("P", "PA") and rng.random() < 0.5:
            im.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
        return im
    return Image.fromarray(pixels, mode)


@st.composite
def resize_cases(draw):
    width, height = draw(SIDES), draw(SIDES)
    size = (draw(SIDES), draw(SIDES))
    box = None
    if draw(st.booleans()):
        x0 = draw(st.floats(0, width, allow_nan=False))
        y0 = draw(st.floats(0, height, allow_nan=False))
        box = (x0, y0, draw(st.floats(x0, width)), draw(st.floats(y0, height)))
    gap = draw(st.one_of(st.none(), st.sampled_from([1.0, 1.5, 2.0, 3.0])))
    return width, height, size, box, gap, draw(st.integers(0, 2**32 - 1))


@needs_pillow
@pytest.mark.parametrize("name", INSTALLED_FILTERS)
@pytest.mark.parametrize("mode", MODES)
@given(case=resize_cases())
def test_resize_matches_installed_pillow(name, mode, case):
    width, height, size, box, gap, seed = case
    im = make_image(np.random.default_rng(seed), mode, width, height)
    if mode.startswith("I;16"):
        gap = None  # Pillow cannot reduce I;16
    try:
        expected = im.resize(size, RESAMPLING[name], box=box, reducing_gap=gap)
    except ValueError:
        with pytest.raises(ValueError):
            imagenet32.resize(im, size, filter=name, box=box, reducing_gap=gap, pillow=INSTALLED)
        return
    got = imagenet32.resize(im, size, filter=name, box=box, reducing_gap=gap, pillow=INSTALLED)
    assert (got.mode, got.size) == (expected.mode, expected.size)
    assert got.tobytes() == expected.tobytes()
    if mode in ("P", "PA"):
        assert got.getpalette() == expected.getpalette()


@needs_pillow
@pytest.mark.parametrize("name", INSTALLED_FILTERS)
@pytest.mark.parametrize(("shape", "size"), [((375, 500), 32), ((500, 375), 64), ((333, 500), (64, 64)),
                                             ((500, 333), (32, 17)), ((33, 95), (17, 52)), ((312, 3), (1, 310)),
                                             ((900, 8), (8, 899)), ((10, 10), (200, 3))])
def test_imagenet_and_awkward_shapes_match_installed_pillow(name, shape, size):
    image = random_image(np.random.default_rng(11), *shape, 3)
    size = (size, size) if isinstance(size, int) else size
    expected = np.asarray(Image.fromarray(image).resize(size, RESAMPLING[name]))
    assert np.array_equal(imagenet32.resize(image, size, filter=name, pillow=INSTALLED), expected)


@needs_pillow
@given(width=st.integers(1, 600), height=st.integers(1, 40), out=st.integers(1, 600), seed=st.integers(0, 2**32 - 1))
def test_nearest_steps_like_pillow(width, height, out, seed):
    """NEAREST advances by repeated addition: long rows accumulate drift, which must match."""
    image = random_image(np.random.default_rng(seed), height, width, 3)
    for size in [(out, height), (height, out)]:
        expected = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.NEAREST))
        assert np.array_equal(imagenet32.resize(image, size, filter="nearest"), expected)


@needs_pillow
@given(shapes=st.lists(st.tuples(*[st.sampled_from([1, 7, 33, 120]) | st.integers(1, 120)] * 2), min_size=1,
                       max_size=4),
       sides=st.lists(st.integers(1, 140), min_size=1, max_size=4), channels=st.sampled_from([None, 2, 3, 4]),
       seed=st.integers(0, 2**32 - 1))
def test_nearest_squares_match_installed_pillow(shapes, sides, channels, seed):
    """The quickest path, a uint8 array to squares (NEAREST straight into new arrays, its map
    of source rows and columns kept from call to call): calls in a row on shapes and sizes
    that change in one side or both, each as Pillow's."""
    rng = np.random.default_rng(seed)
    for height, width in shapes:
        image = random_image(rng, height, width, channels)
        expected = [np.asarray(Image.fromarray(image).resize((s, s), Image.Resampling.NEAREST)) for s in sides]
        for side, want in zip(sides, expected):
            assert np.array_equal(imagenet32.resize(image, side, filter="nearest"), want)
        assert all(np.array_equal(got, want) for got, want in
                   zip(imagenet32.resize_many(image, sides, filter="nearest"), expected))


def integer_box(rng: np.random.Generator, width: int, height: int) -> tuple[int, int, int, int]:
    """A random non-empty region of a width x height image, in whole pixels."""
    x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
    return x0, y0, int(rng.integers(x0 + 1, width + 1)), int(rng.integers(y0 + 1, height + 1))


@needs_pillow
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "La", "I", "F"])
@given(width=st.integers(1, 70), height=st.integers(1, 70), fx=st.integers(1, 9), fy=st.integers(1, 9),
       use_box=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_reduce_matches_installed_pillow(mode, width, height, fx, fy, use_box, seed):
    rng = np.random.default_rng(seed)
    im = make_image(rng, mode, width, height)
    box = integer_box(rng, width, height) if use_box else None
    expected = im.reduce((fx, fy), box)
    got = imagenet32.reduce(im, (fx, fy), box, pillow=INSTALLED)
    assert (got.mode, got.size, got.tobytes()) == (expected.mode, expected.size, expected.tobytes())
    if mode in ("L", "LA", "RGB", "RGBA", "I", "F"):  # the array API gives the same pixels
        assert np.array_equal(imagenet32.reduce(np.asarray(im), (fx, fy), box), np.asarray(expected))


@pytest.mark.skipif(not imagenet32.release(INSTALLED).reduce_by_one_crops, reason="needs Pillow 13.0 or later")
@pytest.mark.parametrize("mode", ["1", "L", "P", "PA", "RGB", "RGBA", "I;16", "I;16B", "I", "F"])
@given(width=st.integers(1, 30), height=st.integers(1, 30), box=st.one_of(st.none(), st.tuples(
    *[st.one_of(st.integers(-40, 70), st.floats(-40, 70)) for _ in range(4)])), seed=st.integers(0, 2**32 - 1))
def test_reduce_by_one_is_pillows_crop(mode, width, height, box, seed):
    """From 13.0 Image.reduce by 1 is crop(box): every mode, boxes rounded, past the edges
    (zeros there); an inverted box is Pillow's ValueError."""
    im = make_image(np.random.default_rng(seed), mode, width, height)
    expected = outcome(lambda: im.reduce(1, box))
    got = outcome(lambda: imagenet32.reduce(im, (1, 1), box, pillow=INSTALLED))
    assert same_outcome(got, expected)
    if not isinstance(expected, type):
        assert got.getpalette() == expected.getpalette() and got.info == expected.info
        if mode in ("L", "RGB", "RGBA", "I", "F"):  # the array API gives the same pixels
            assert np.array_equal(imagenet32.reduce(np.asarray(im), 1, box), np.asarray(expected))


@needs_pillow
@pytest.mark.parametrize("mode", ["LA", "RGBA", "L", "P", "PA", "1", "I;16", "F"])
@pytest.mark.parametrize("box", [None, (1, 2, 5, 6), [0, 0, 9, 7], (0, 0, 10, 7)])
def test_reduce_by_a_list_of_ones_is_the_cores_crop(mode, box):
    """Image.reduce's shortcut compares the factor with the tuple (1, 1): [1, 1] goes to the
    core, which crops any mode (after its box checks), LA and RGBA through premultiplied alpha,
    which rounds the colours (they were returned as they were)."""
    im = make_image(np.random.default_rng(31), mode, 9, 7)
    expected = outcome(lambda: im.reduce([1, 1], box))
    got = outcome(lambda: imagenet32.reduce(im, [1, 1], box, pillow=INSTALLED))
    assert same_outcome(got, expected)
    if not isinstance(expected, type):
        assert got.getpalette() == expected.getpalette()
        if mode == "RGBA" and box is None:
            assert expected.tobytes() != im.tobytes()  # a case where the round trip matters


def test_reduce_by_one_before_13_is_the_cores_crop_or_a_copy():
    """Pillow 7.0 to 12.x copied the image reduced by (1, 1) over the whole of it (a box equal to
    the tuple (0, 0, w, h), or a list before 10.4, which made it a tuple); any other box went to
    the core, which crops any mode (1, P and I;16 too), LA and RGBA through premultiplied alpha:
    what Pillow 13 does with a list [1, 1] (checked against real 12.3, 12.1, 11.0 and 9.5 too)."""
    rgba = make_image(np.random.default_rng(32), "RGBA", 9, 7)
    lossy = rgba.reduce([1, 1], (1, 2, 5, 6))  # the installed Pillow's core path
    whole_lossy = rgba.reduce([1, 1])
    assert whole_lossy.tobytes() != rgba.tobytes()
    for rel in ("7.0", "10.3", "10.4", "12.3"):
        assert imagenet32.reduce(rgba, 1, (1, 2, 5, 6), pillow=rel).tobytes() == lossy.tobytes()
        assert imagenet32.reduce(rgba, (1, 1), (0.0, 0, 9, 7.0), pillow=rel).tobytes() == rgba.tobytes()
        as_list = imagenet32.reduce(rgba, 1, [0, 0, 9, 7], pillow=rel).tobytes()
        assert as_list == (rgba if rel in ("7.0", "10.3") else whole_lossy).tobytes()
    for mode in ("P", "1", "I;16"):
        im = make_image(np.random.default_rng(33), mode, 9, 7)
        got = imagenet32.reduce(im, 1, (1, 2, 5, 6), pillow="12.3")
        assert (got.mode, got.tobytes(), got.getpalette()) == (mode, im.crop((1, 2, 5, 6)).tobytes(), im.getpalette())
        with pytest.raises(ValueError, match=f"cannot reduce images of mode {mode}"):
            imagenet32.reduce(im, 2, pillow="12.3")
    with pytest.raises(ValueError, match="box can't exceed original image size"):
        imagenet32.reduce(np.zeros((8, 8), np.uint8), 1, (0, 0, 9, 4), pillow="12.3")
    with pytest.raises(ValueError, match="box: coordinate 'right' is less than 'left'"):
        imagenet32.reduce(np.zeros((8, 8), np.uint8), 1, (5, 0, 4, 4))


@needs_pillow
@pytest.mark.parametrize("factor", [2**31 - 1, 2**31 - 4, (2**31 - 1, 1), (1, 2**31 - 1), (7, 2**30)])
@pytest.mark.parametrize("mode", ["L", "RGBA", "I", "F"])
def test_reduce_by_factors_near_2_to_the_31(mode, factor):
    """A block wider than the box holds the box's pixels: Pillow's answer, where the output
    size overflowed."""
    im = make_image(np.random.default_rng(9), mode, 5, 6)
    expected = im.reduce(factor)
    got = imagenet32.reduce(im, factor, pillow=INSTALLED)
    assert (got.size, got.tobytes()) == (expected.size, expected.tobytes())
    assert np.array_equal(imagenet32.reduce(np.asarray(im), factor, pillow=INSTALLED), np.asarray(expected))


@needs_pillow
@pytest.mark.parametrize("mode", ["LA", "RGBA", "RGB"])
@pytest.mark.parametrize("box", [None, (0, 0, 3, 2), (0.0, 0.0, 3.0, 2.0), [0, 0, 3, 2]])
def test_resize_to_the_same_size_copies_only_where_pillow_does(mode, box):
    """Image.resize copies when the box equals the tuple (0, 0, w, h); a list box resizes,
    and with alpha the premultiplied round trip changes the pixels."""
    pixels = np.array([[[200, 100, 50, 3], [10, 20, 30, 77], [9, 9, 9, 0]],
                       [[1, 2, 3, 255], [250, 128, 7, 128], [60, 61, 62, 1]]], np.uint8)
    im = Image.fromarray(pixels).convert(mode)
    expected = im.resize((3, 2), Image.Resampling.BOX, box)
    got = imagenet32.resize(im, (3, 2), box=box, pillow=INSTALLED)
    assert got.tobytes() == expected.tobytes()
    assert np.array_equal(imagenet32.resize(np.asarray(im), (3, 2), box=box, pillow=INSTALLED), np.asarray(expected))
    if mode == "RGBA" and isinstance(box, list):
        assert expected.tobytes() != im.tobytes()  # the case is one where it matters


# The kernels against each other.# The kernels against each other.

@given(width=st.integers(1, 90), height=st.integers(1, 40), out_w=st.integers(1, 90), out_h=st.integers(1, 40),
       channels=st.sampled_from([None, 2, 3, 4]), name=st.sampled_from(CONVOLUTIONS),
       seed=st.integers(0, 2**32 - 1))
def test_simd_kernels_match_the_scalar_reference(width, height, out_w, out_h, channels, name, seed):
    image = random_image(np.random.default_rng(seed), height, width, channels)
    reference = imagenet32.resize(image, (out_w, out_h), filter=name, simd="scalar")
    for simd in simd_backends():
        assert np.array_equal(imagenet32.resize(image, (out_w, out_h), filter=name, simd=simd), reference)


@given(width=st.integers(1, 200), height=st.integers(1, 50), fx=st.integers(1, 40), fy=st.integers(1, 40),
       channels=st.sampled_from([None, 2, 3, 4]), use_box=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_simd_reduce_matches_the_scalar_reference(width, height, fx, fy, channels, use_box, seed):
    """The SIMD reduce sums blocks of up to 257 samples in 16-bit lanes and
    larger ones in 32-bit lanes: both against the scalar loop."""
    rng = np.random.default_rng(seed)
    image = random_image(rng, height, width, channels)
    box = integer_box(rng, width, height) if use_box else None
    reference = imagenet32.reduce(image, (fx, fy), box, simd="scalar")
    for simd in simd_backends():
        assert np.array_equal(imagenet32.reduce(image, (fx, fy), box, simd=simd), reference)


@pytest.mark.parametrize("simd", simd_backends())
@pytest.mark.parametrize(("width", "height", "fx", "fy"), [
    (3, 600, 1, 257),   # the largest block summed in 16 bits, all 255: 65,535
    (70, 40, 16, 16),   # the largest block finished by a shift in 16 bits: 255 * 256 + 128
    (600, 3, 258, 1),   # one sample more: 32-bit sums
    (40, 700, 3, 300),  # over 257 rows: the columns are summed in runs
    (1030, 2, 520, 2),
    (200_000, 1, 100_000, 1),  # past 16 pixels a block, each block summed once (this took 26 s at 10^6)
])
@pytest.mark.parametrize("value", [255, None])
def test_reduce_of_large_blocks(simd, width, height, fx, fy, value):
    """The largest sums, exact: white images and random ones against the plain formula."""
    rng = np.random.default_rng(width * height)
    image = np.full((height, width, 3), 255, np.uint8) if value else random_image(rng, height, width, 3)
    expected = reference.reduce(image, fx, fy, (0, 0, width, height))
    assert np.array_equal(imagenet32.reduce(image, (fx, fy), simd=simd), expected)


@pytest.mark.parametrize("name", FILTERS)
def test_many_and_batch_equal_single_resizes(name):
    rng = np.random.default_rng(12)
    images = [random_image(rng, int(rng.integers(20, 90)), int(rng.integers(20, 90)), 3) for _ in range(5)]
    sizes = [64, 32, (16, 9), 8]
    for image in images:
        many = imagenet32.resize_many(image, sizes, filter=name)
        for size, out in zip(sizes, many):
            assert np.array_equal(out, imagenet32.resize(image, size, filter=name))
    stacks = imagenet32.resize_batch(images, sizes, filter=name, threads=2)
    for k, size in enumerate(sizes):
        for i, image in enumerate(images):
            assert np.array_equal(stacks[k][i], imagenet32.resize(image, size, filter=name))


@pytest.mark.parametrize(("release", "copies"), [("4.1", False), ("6.2", False), ("8.1", False), ("8.2", True),
                                                 ("12.3", True), ("13.0", True)])
def test_nearest_premultiplies_alpha_before_8_2(release, copies):
    """Before 8.2 NEAREST resized LA/RGBA through premultiplied alpha (lossy); from 8.2 it copies."""
    image = random_image(np.random.default_rng(13), 9, 9, 4)
    image[..., 3] = 77
    out = imagenet32.resize(image, 4, filter="nearest", pillow=release)
    picked = image[[1, 3, 5, 7]][:, [1, 3, 5, 7]]  # the centres 1.125, 3.375, 5.625, 7.875 truncated
    assert np.array_equal(out, picked) == copies


def test_reduce_of_blocks_over_two_billion_samples():
    """A block's sample count is Pillow's C int product, wrapped past 2^31 - 1; computed as an int
    product it was signed overflow (undefined behaviour, found by UBSan) on every path. A row
    repeated by a zero stride makes the 46341 x 46341 image without its 2 GB."""
    n = 46341  # n * n = 2^31 + 4634 samples
    wrapped = n * n - (1 << 32)
    for dtype, expected in ((np.int32, round(3 * n * n / wrapped)), (np.float32, np.float32(3 * n * n / wrapped))):
        image = np.broadcast_to(np.full((1, n), 3, dtype), (n, n))
        assert imagenet32.reduce(image, n).tolist() == [[expected]]
    image = np.broadcast_to(np.full((1, n), 3, np.uint8), (n, n))
    results = {simd: imagenet32.reduce(image, n, simd=simd).tolist() for simd in simd_backends()}
    assert len(set(map(str, results.values()))) == 1, results
