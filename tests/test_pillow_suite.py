"""Pillow's own exact-value tests of resample and resize (spec section 6),
rewritten for BOX and for imagenet32's API. The other filters' tables belong
with those filters."""

import numpy as np
import pytest
from helpers import INSTALLED, INSTALLED_COVERED, pillow_box, random_image
from PIL import Image

import imagenet32

DARK, BRIGHT = 0xE1, 0x1E


def two_by_two_squares(square: int, channels: int | None) -> np.ndarray:
    """Dark squares at top-left and bottom-right, bright ones elsewhere."""
    tile = np.array([[DARK, BRIGHT], [BRIGHT, DARK]], np.uint8).repeat(square, 0).repeat(square, 1)
    return tile if channels is None else np.repeat(tile[..., None], channels, axis=2)


@pytest.mark.parametrize("channels", [None, 2, 3, 4])
@pytest.mark.parametrize(("square", "size"), [(4, 4), (1, 4)])  # 8 -> 4 (reduce) and 2 -> 4 (enlarge)
def test_box_keeps_each_square_flat(channels, square, size):
    image = two_by_two_squares(square, channels)
    if channels in (2, 4):
        image[..., -1] = 255  # opaque, as Pillow's La/RGBX cases
    out = imagenet32.resize(image, (size, size))
    quadrant = out[: size // 2, : size // 2]
    assert (quadrant[..., 0] if channels else quadrant).min() == DARK
    assert (quadrant[..., 0] if channels else quadrant).max() == DARK


def test_box_filter_correct_range():
    """A uniform 8x8 enlarged to 100x100 stays uniform from 7.0 on; 4.2-6.2 leave black lines."""
    image = np.broadcast_to(np.array([0x16, 0x88, 0xFF], np.uint8), (8, 8, 3)).copy()
    for release in ("7.0", "12.3", "13.0"):
        out = imagenet32.resize(image, (100, 100), pillow=release)
        assert (out == image[0, 0]).all()
    old = imagenet32.resize(image, (100, 100), pillow="6.2")
    assert (old == 0).all(axis=2).any()


@pytest.mark.parametrize("channels", [2, 4])
def test_dirty_transparent_pixels_do_not_bleed(channels):
    """A coloured but fully transparent border must not leak into visible pixels."""
    image = np.zeros((64, 64, channels), np.uint8)
    image[..., :-1] = 255  # bright colour everywhere
    image[16:48, 16:48, :-1] = 0  # black where it is visible
    image[16:48, 16:48, -1] = 255
    out = imagenet32.resize(image, (20, 20))
    visible = out[..., -1] > 0
    assert (out[..., :-1][visible] == 0).all()


def test_horizontal_pass_only_mixes_along_rows():
    """Same height: only the horizontal pass runs, so rows never mix."""
    image = random_image(np.random.default_rng(1), 9, 40, 3)
    out = imagenet32.resize(image, (13, 9))
    for r in range(9):
        assert np.array_equal(out[r : r + 1], imagenet32.resize(image[r : r + 1], (13, 1)))


def test_vertical_pass_only_mixes_along_columns():
    image = random_image(np.random.default_rng(2), 40, 9, 3)
    out = imagenet32.resize(image, (9, 13))
    for c in range(9):
        assert np.array_equal(out[:, c : c + 1], imagenet32.resize(image[:, c : c + 1], (1, 13)))


def test_box_same_size_as_output_is_a_crop():
    image = random_image(np.random.default_rng(3), 30, 40, 3)
    out = imagenet32.resize(image, (10, 12), box=(5, 7, 15, 19))
    assert np.array_equal(out, image[7:19, 5:15])


def test_fractional_box_is_not_a_crop():
    image = random_image(np.random.default_rng(4), 30, 40, 3)
    out = imagenet32.resize(image, (10, 12), box=(5.5, 7, 15.5, 19))
    assert not np.array_equal(out, image[7:19, 5:15])
    if INSTALLED_COVERED:
        assert np.array_equal(out, pillow_box(image, (10, 12), (5.5, 7, 15.5, 19)))


def test_zero_width_box_samples_one_column():
    image = random_image(np.random.default_rng(5), 10, 10, 3)
    out = imagenet32.resize(image, (4, 4), box=(3, 0, 3, 10))
    assert (out == out[:, :1]).all()


@pytest.mark.parametrize("channels", [2, 3, 4])
def test_each_band_is_resized_on_its_own(channels):
    """Every output band equals that band resized alone as L (Pillow's test_endianness)."""
    image = random_image(np.random.default_rng(6), 2, 2, channels)
    image[..., -1] = 255 if channels != 3 else image[..., -1]
    out = imagenet32.resize(image, (4, 4))
    for band in range(channels):
        assert np.array_equal(out[..., band], imagenet32.resize(np.ascontiguousarray(image[..., band]), (4, 4)))


def test_reducing_gap_values():
    image = random_image(np.random.default_rng(7), 64, 64, 3)
    exact = imagenet32.resize(image, (8, 8))
    assert np.array_equal(imagenet32.resize(image, (8, 8), reducing_gap=8.0), exact)  # factor 1: nothing reduced
    assert not np.array_equal(imagenet32.resize(image, (8, 8), reducing_gap=1.0), exact)
    for bad in (0, 0.99):
        with pytest.raises(ValueError, match="reducing_gap must be 1.0 or greater"):
            imagenet32.resize(image, (8, 8), reducing_gap=bad)


@pytest.mark.skipif(not INSTALLED_COVERED, reason="needs a covered Pillow")
def test_reducing_gap_with_alpha_follows_the_release():
    """13.0 honours reducing_gap for LA/RGBA; 7.0-12.3 drop it (spec section 3.1)."""
    image = random_image(np.random.default_rng(8), 64, 64, 4)
    for release in ("12.3", "13.0"):
        with_gap = imagenet32.resize(image, (8, 8), reducing_gap=2.0, pillow=release)
        without = imagenet32.resize(image, (8, 8), pillow=release)
        assert np.array_equal(with_gap, without) == (release == "12.3")
    im = Image.fromarray(image)
    expected = np.asarray(im.resize((8, 8), Image.Resampling.BOX, reducing_gap=2.0))
    assert np.array_equal(imagenet32.resize(image, (8, 8), reducing_gap=2.0, pillow=INSTALLED), expected)


def test_huge_sizes_are_refused_without_allocating():
    image = np.zeros((4, 4, 3), np.uint8)
    for size in [(2**31 - 1, 2**31 - 1), (100000, 100000), (1, 2**31)]:
        with pytest.raises(ValueError, match="GiB|too large"):
            imagenet32.resize(image, size)


def test_negative_sizes_are_refused():
    with pytest.raises(ValueError, match="size must be positive"):
        imagenet32.resize(np.zeros((4, 4), np.uint8), (-1, 5))
