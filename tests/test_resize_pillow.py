"""Differential tests against the installed Pillow: random and adversarial
shapes, down- and up-scales, float boxes, reducing gaps, every mode, strided
inputs. Every comparison is byte for byte."""

import numpy as np
import pytest
from helpers import BOX, INSTALLED, INSTALLED_COVERED, outcome, pillow_box, random_image, same_outcome
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import imagenet32

pytestmark = pytest.mark.skipif(not INSTALLED_COVERED, reason=f"installed Pillow {INSTALLED} is not a covered release")

CHANNELS = [None, 2, 3, 4]  # L, LA, RGB, RGBA


def ours(image, size, box=None, reducing_gap=None, **kw):
    return imagenet32.resize(image, size, box=box, reducing_gap=reducing_gap, pillow=INSTALLED, **kw)


@st.composite
def resize_cases(draw, max_side=90):
    height = draw(st.integers(1, max_side))
    width = draw(st.integers(1, max_side))
    channels = draw(st.sampled_from(CHANNELS))
    kind = draw(st.sampled_from(["noise", "blocks", "smooth"]))
    seed = draw(st.integers(0, 2**32 - 1))
    image = random_image(np.random.default_rng(seed), height, width, channels, kind)
    size = (draw(st.integers(1, max_side + 10)), draw(st.integers(1, max_side + 10)))
    box = None
    if draw(st.booleans()):
        x0 = draw(st.floats(0, width, allow_nan=False))
        y0 = draw(st.floats(0, height, allow_nan=False))
        x1 = draw(st.floats(x0, width, allow_nan=False))
        y1 = draw(st.floats(y0, height, allow_nan=False))
        box = (x0, y0, x1, y1)
    gap = draw(st.one_of(st.none(), st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0, 7.3])))
    return image, size, box, gap


@given(resize_cases())
def test_random_cases_match_pillow(case):
    image, size, box, gap = case
    expected = outcome(lambda: pillow_box(image, size, box, gap))
    assert same_outcome(outcome(lambda: ours(image, size, box, gap)), expected)


# (input width, height) -> (output width, height): strips, tie-prone ratios
# (spec section 2.2), upscales, huge downscales and 1-pixel edges.
ADVERSARIAL = [
    ((1, 1), (1, 1)), ((1, 1), (7, 3)), ((7, 1), (2, 1)), ((1, 7), (1, 3)),
    ((500, 33), (32, 32)), ((33, 500), (32, 32)), ((8, 900), (32, 32)), ((900, 8), (32, 32)),
    ((13, 13), (6, 6)), ((15, 15), (14, 14)), ((63, 63), (20, 20)), ((2, 2), (49, 49)),
    ((17, 17), (10, 10)), ((10, 1), (4, 1)), ((6, 6), (4, 4)), ((3, 312), (1, 310)),
    ((33, 95), (17, 52)), ((500, 375), (64, 64)), ((375, 500), (8, 8)), ((500, 333), (16, 16)),
    ((2, 2), (3, 3)), ((5, 5), (2, 2)), ((8, 8), (100, 100)), ((640, 9), (9, 640)), ((1, 600), (1, 7)),
    ((1000, 2), (3, 1000)), ((257, 1), (1, 1)), ((1030, 3), (2, 3)), ((3, 1030), (3, 1)),
]


@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize(("source", "size"), ADVERSARIAL)
def test_adversarial_shapes_match_pillow(source, size, channels):
    rng = np.random.default_rng(sum(source) + sum(size))
    for kind in ("noise", "blocks"):
        image = random_image(rng, source[1], source[0], channels, kind)
        assert np.array_equal(ours(image, size), pillow_box(image, size))


def test_tie_pixels_follow_pillow():
    """13 -> 6 drops pixel 6, 15 -> 14 counts pixel 7 twice (spec section 2.2)."""
    row = np.zeros((1, 13), np.uint8)
    row[0, 6] = 240
    assert np.array_equal(ours(row, (6, 1)), pillow_box(row, (6, 1)))
    assert ours(row, (6, 1)).max() == 0
    row = np.zeros((1, 15), np.uint8)
    row[0, 7] = 240
    got = ours(row, (14, 1))
    assert np.array_equal(got, pillow_box(row, (14, 1)))
    assert (got > 0).sum() == 2


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 4000)])
def test_large_images_match_pillow(size):
    image = random_image(np.random.default_rng(7), size[1], size[0], 3, "noise")
    for out in [(32, 32), (64, 64), (8, 8), (1000, 750), (4001, 2)]:
        assert np.array_equal(ours(image, out), pillow_box(image, out))


@pytest.mark.parametrize("scale", [(3, 2), (5, 2), (1, 3), (7, 4)])
def test_upscales_match_pillow(scale):
    image = random_image(np.random.default_rng(3), 37, 41, 3, "noise")
    size = (41 * scale[0] // scale[1], 37 * scale[0] // scale[1])
    assert np.array_equal(ours(image, size), pillow_box(image, size))


def strided_views(rng):
    base = random_image(rng, 70, 90, 4, "noise")
    yield base[::2, ::3, :3]  # steps in both axes
    yield base[::-1, :, :3]  # negative row stride
    yield base[:, ::-1]  # negative pixel stride
    yield base[..., ::-1]  # negative channel stride (BGRA order)
    yield base[5:60, 7:80, 1:3]  # a window of channels
    yield np.transpose(base[:, :, 0])  # a transposed (column-major) 2-D array
    yield np.asfortranarray(base[:, :, :3])
    yield base[10:40, 20:70]  # rows with gaps between them


def test_strided_and_non_contiguous_inputs():
    rng = np.random.default_rng(11)
    for view in strided_views(rng):
        contiguous = np.ascontiguousarray(view)
        for size in [(17, 9), (40, 60), (3, 3)]:
            expected = pillow_box(contiguous, size)
            assert np.array_equal(ours(view, size), expected)
            assert np.array_equal(ours(view, size, box=(1.5, 2.25, view.shape[1] - 0.5, view.shape[0])),
                                  pillow_box(contiguous, size, (1.5, 2.25, view.shape[1] - 0.5, view.shape[0])))


def pil_image(rng, mode, width, height):
    if mode.startswith("I;16"):
        values = rng.integers(0, 65536, (height, width), dtype=np.uint16)
        return Image.frombytes(mode, (width, height), values.tobytes())
    if mode == "I":
        values = rng.integers(-(2**31), 2**31, (height, width), dtype=np.int64).astype(np.int32)
        return Image.frombytes(mode, (width, height), values.tobytes())
    if mode == "F":
        values = (rng.standard_normal((height, width)) * 10.0 ** rng.integers(-5, 30)).astype(np.float32)
        return Image.frombytes(mode, (width, height), values.tobytes())
    bands = len(Image.new(mode, (1, 1)).getbands())
    values = rng.integers(0, 256, (height, width, bands), dtype=np.uint8)
    im = Image.frombytes(mode, (width, height), values.tobytes())
    if mode == "PA":
        im.putpalette(list(range(256)) * 3)
    return im


PIL_MODES = ["L", "LA", "La", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "PA",
             "I;16", "I;16L", "I;16B", "I;16N", "I", "F"]


def draw_case(data, mode: str, widest: int, tallest: int, past: int):
    """A PIL image of ``mode``, a size, maybe a box (its far edges up to ``past`` beyond the
    image's) and a reducing gap."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    width, height = data.draw(st.integers(1, widest)), data.draw(st.integers(1, tallest))
    im = pil_image(rng, mode, width, height)
    size = (data.draw(st.integers(1, 70)), data.draw(st.integers(1, tallest + 10)))
    box = None
    if past or data.draw(st.booleans()):
        x0 = data.draw(st.floats(0, width))
        y0 = data.draw(st.floats(0, height))
        box = (x0, y0, data.draw(st.floats(x0, width + past)), data.draw(st.floats(y0, height + past)))
    gap = None if mode.startswith("I;16") else data.draw(st.sampled_from([None, 1.0, 1.5, 2.0, 3.5]))
    return im, size, box, gap


@pytest.mark.parametrize("mode", PIL_MODES)
@given(data=st.data())
def test_pil_images_of_every_mode_match_pillow(mode, data):
    im, size, box, gap = draw_case(data, mode, 60, 60, past=0)
    expected = outcome(lambda: im.resize(size, BOX, box=box, reducing_gap=gap))
    got = outcome(lambda: imagenet32.resize(im, size, box=box, reducing_gap=gap, pillow=INSTALLED))
    assert same_outcome(got, expected)
    if mode == "PA" and not isinstance(got, type):
        assert got.getpalette() == expected.getpalette()


def test_a_box_past_the_edge_is_taken_where_a_reducing_gap_reduces_first():
    """Pillow checks the box against the image it resizes: after a reducing gap's reduce, the
    reduced one, so a box a little past the edge passes there (and only there)."""
    image = np.random.default_rng(0).integers(0, 256, (7, 683, 3), dtype=np.uint8)
    im = Image.fromarray(image)
    for x1 in (683.001, 684.9, 685.0):  # the reduce is by 5: the reduced image is 137 wide
        expected = np.asarray(im.resize((64, 7), BOX, box=(0, 0, x1, 7), reducing_gap=2.0))
        assert np.array_equal(ours(image, (64, 7), box=(0, 0, x1, 7), reducing_gap=2.0), expected)
    with pytest.raises(ValueError, match="box can't exceed original image size \\(the image resized is 137x7\\)"):
        ours(image, (64, 7), box=(0, 0, 685.1, 7), reducing_gap=2.0)
    with pytest.raises(ValueError, match="box can't exceed original image size"):
        ours(image, (64, 7), box=(0, 0, 684.9, 7))  # no reduce: checked against the image itself


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I", "F"])
@given(data=st.data())
def test_boxes_past_the_edge_with_a_reducing_gap_match_pillow(mode, data):
    im, size, box, gap = draw_case(data, mode, 700, 30, past=8)
    expected = outcome(lambda: im.resize(size, BOX, box=box, reducing_gap=gap))
    assert same_outcome(outcome(lambda: imagenet32.resize(im, size, box=box, reducing_gap=gap, pillow=INSTALLED)),
                        expected)
    if mode in ("L", "RGB", "RGBA"):  # the same through arrays
        array = np.asarray(im)
        got = outcome(lambda: ours(array, size, box=box, reducing_gap=gap))
        assert same_outcome(got, expected if isinstance(expected, type) else np.asarray(expected))


@pytest.mark.parametrize("filter", ["box", "bilinear", "hamming", "bicubic", "lanczos"])
@given(height=st.integers(1, 9), width=st.integers(1, 9), size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       seed=st.integers(0, 2**32 - 1))
def test_float_images_with_nans_and_infinities_match_pillow_bit_for_bit(filter, height, width, size, seed):
    """Where two NaNs meet in a sum Pillow keeps the running sum's (its sign and payload): in
    both passes (the vertical one gave the other NaN in a third of such cases)."""
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((height, width)).astype(np.float32)
    special = rng.random((height, width)) < 0.4
    image[special] = np.array([np.nan, np.inf, -np.inf], np.float32)[rng.integers(0, 3, int(special.sum()))]
    bits = image.view(np.uint32)
    bits[np.isnan(image) & (rng.random((height, width)) < 0.5)] |= 0x80000000  # NaNs of both signs
    expected = np.asarray(Image.fromarray(image).resize(size, getattr(Image.Resampling, filter.upper())))
    assert np.array_equal(imagenet32.resize(image, size, filter=filter).view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize("mode", ["1", "L", "P", "PA", "RGB", "I;16", "F"])
def test_images_stored_in_several_blocks_match_pillow(mode):
    """Pillow keeps large images in several blocks, which it cannot export without a copy;
    the copy of a mode 1 image is one byte a pixel, not tobytes()'s eight pixels a byte."""
    rng = np.random.default_rng(11)
    im = pil_image(rng, mode, 100, 90) if mode not in ("1", "P") else Image.frombytes(
        "L", (100, 90), rng.integers(0, 256, 9000, dtype=np.uint8).tobytes()).convert(mode)
    old = Image.core.get_block_size()
    Image.core.set_block_size(4096)  # 90 rows of 100 to 400 bytes: several blocks
    try:
        several = im.copy()
        assert several.size == im.size
        for filter in ("nearest", "box"):
            expected = several.resize((33, 21), getattr(Image.Resampling, filter.upper()), box=(3, 2.5, 90, 80))
            got = imagenet32.resize(several, (33, 21), filter=filter, box=(3, 2.5, 90, 80), pillow=INSTALLED)
            assert (got.mode, got.size, got.tobytes()) == (expected.mode, expected.size, expected.tobytes())
    finally:
        Image.core.set_block_size(old)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "F"])
def test_pillow_before_13_is_not_asked_for_an_arrow_export(monkeypatch, mode):
    """Pillow 12.3 (and Pillow-SIMD 12.1, installed beside imagenet32 with --no-deps) crashes the
    process exporting an image made by Image.fromarray: its pixels are copied there instead."""
    import importlib

    resize_module = importlib.import_module("imagenet32.resize")
    assert [resize_module._arrow_export_works(v) for v in ("12.3.0", "12.1.1.post0", "13.0.0", "13.1.0")] == [
        False, False, True, True]

    def crash(*args, **kwargs):
        raise AssertionError("asked for an Arrow export")

    monkeypatch.setattr(resize_module, "_ARROW_EXPORT", False)
    monkeypatch.setattr(Image.Image, "__arrow_c_array__", crash, raising=False)
    im = pil_image(np.random.default_rng(12), mode, 75, 50)
    expected = im.resize((16, 16), Image.Resampling.BOX)
    got = imagenet32.resize(im, 16, pillow=INSTALLED)
    assert (got.mode, got.size, got.tobytes()) == (expected.mode, expected.size, expected.tobytes())


def test_a_pa_crop_keeps_its_palette_as_pillow_does():
    """An integer box the output's size is a crop in Pillow's core, which copies the palette
    into the new image (its convolutions do not)."""
    rng = np.random.default_rng(0)
    im = Image.frombytes("PA", (6, 4), rng.integers(0, 256, 48, dtype=np.uint8).tobytes())
    im.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
    for size, box in [((2, 2), (1, 1, 3, 3)), ((2, 2), (1.0, 1.0, 3.0, 3.0)), ((2, 2), (1.5, 1, 3.5, 3)),
                      ((3, 2), (1, 1, 3, 3))]:
        expected = im.resize(size, Image.Resampling.BILINEAR, box=box)
        got = imagenet32.resize(im, size, filter="bilinear", box=box, pillow=INSTALLED)
        assert got.tobytes() == expected.tobytes() and got.getpalette() == expected.getpalette()
        assert got.convert("RGBA").tobytes() == expected.convert("RGBA").tobytes()


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.float32])
def test_wide_arrays_match_pillow(dtype):
    rng = np.random.default_rng(5)
    for _ in range(20):
        h, w = rng.integers(1, 50, 2)
        if dtype is np.float32:
            image = rng.standard_normal((h, w)).astype(np.float32) * 1000
        else:
            info = np.iinfo(dtype)
            image = rng.integers(info.min, info.max, (h, w), endpoint=True, dtype=dtype)
        size = tuple(int(v) for v in rng.integers(1, 60, 2))
        assert np.array_equal(ours(image, size), pillow_box(image, size))


def test_big_endian_16bit_arrays_are_read_as_pillow_reads_them():
    """Image.fromarray('>u2') is I;16B, which Pillow 11-13 resize byte-swapped (spec 1.7)."""
    image = np.array([[256, 512, 1, 2]], dtype=">u2")
    expected = pillow_box(image, (2, 1))
    got = ours(image, (2, 1))
    assert got.dtype == image.dtype
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("dtype", [">i4", ">f4"])
def test_big_endian_32bit_arrays_are_read_as_pillow_reads_them(dtype):
    """Image.fromarray reads '>i4' and '>f4' as I;32B and F;32BF, that is as I and F."""
    image = (np.random.default_rng(6).standard_normal((9, 11)) * 1000).astype(dtype)
    expected = pillow_box(image, (4, 5))
    assert np.array_equal(ours(image, (4, 5)), expected)


def test_rows_apart_by_a_part_of_a_sample():
    """A float32 view whose rows lie 22 bytes apart (not a whole number of samples) is
    copied, not refused."""
    values = (np.random.default_rng(7).standard_normal((7, 5)) * 100).astype(np.float32)
    buffer = b"\0\0" + b"".join(row.tobytes() + b"\0\0" for row in values)
    image = np.ndarray((7, 5), np.float32, buffer, 2, (22, 4))
    assert np.array_equal(image, values)
    assert np.array_equal(ours(image, (3, 2)), pillow_box(values, (3, 2)))


def test_zero_size_image_enlarges_to_black():
    image = np.zeros((0, 0, 3), np.uint8)
    got = ours(image, (212, 195))
    assert got.shape == (195, 212, 3)
    assert not got.any()
    expected = Image.new("RGB", (0, 0)).resize((212, 195), BOX)
    assert got.tobytes() == expected.tobytes()


def test_same_size_returns_an_independent_copy():
    image = random_image(np.random.default_rng(0), 5, 6, 3)
    out = ours(image, (6, 5))
    assert np.array_equal(out, image)
    out[0, 0, 0] ^= 1
    assert not np.array_equal(out, image)
    im = Image.fromarray(image)
    copy = imagenet32.resize(im, (6, 5))
    assert copy is not im and copy.tobytes() == im.tobytes()
