"""Bad input gets a TypeError or ValueError that names the problem."""

import numpy as np
import pytest
from PIL import Image

import imagenet32

RGB = np.zeros((10, 12, 3), np.uint8)


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.zeros((4, 4), np.float64), TypeError, "unsupported dtype float64"),
        (np.zeros((4, 4), bool), TypeError, "unsupported dtype bool"),
        (np.zeros((4, 4), np.int16), TypeError, "unsupported dtype int16"),
        (np.zeros((4, 4, 3), np.int32), ValueError, "must be H x W"),
        (np.zeros((4,), np.uint8), ValueError, "H x W or H x W x C"),
        (np.zeros((2, 4, 4, 3), np.uint8), ValueError, "H x W or H x W x C"),
        (np.zeros((4, 4, 1), np.uint8), ValueError, "2, 3 or 4 channels"),
        (np.zeros((4, 4, 5), np.uint8), ValueError, "2, 3 or 4 channels"),
        ([[1, 2], [3, 4]], TypeError, "numpy array or a PIL.Image"),
        ("image.png", TypeError, "numpy array or a PIL.Image"),
    ],
)
def test_bad_images(image, error, match):
    with pytest.raises(error, match=match):
        imagenet32.resize(image, 2)


@pytest.mark.parametrize(
    ("size", "error", "match"),
    [
        (0, ValueError, "size must be positive"),
        ((4, 0), ValueError, "size must be positive"),
        ((-3, 4), ValueError, "size must be positive"),
        (2.5, TypeError, "int or a \\(width, height\\) pair"),
        ((2.0, 3), TypeError, "int or a \\(width, height\\) pair"),
        ((2, 3, 4), TypeError, "int or a \\(width, height\\) pair"),
        ("32", TypeError, "int or a \\(width, height\\) pair"),
        (True, TypeError, "int or a \\(width, height\\) pair"),
        (None, TypeError, "int or a \\(width, height\\) pair"),
        ((2**40, 2), ValueError, "too large|GiB"),
        # a square output over 4 GiB through the quick path for square sizes too (it made 4.5 GiB)
        (40000, ValueError, "needs 4.5 GiB buffers \\(limit 4 GiB\\)"),
        (100000, ValueError, "GiB buffers \\(limit 4 GiB\\)"),
    ],
)
def test_bad_sizes(size, error, match):
    with pytest.raises(error, match=match):
        imagenet32.resize(RGB, size)
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        with pytest.raises(error, match=match):
            imagenet32.resize_many(RGB, [4, size])


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ([4, 0], ValueError, "size must be positive"),
        ((4, -1), ValueError, "size must be positive"),
        ([4, True], TypeError, "int or a \\(width, height\\) pair"),
        ([4, 2.0], TypeError, "int or a \\(width, height\\) pair"),
        ([4, 2**70], ValueError, "too large"),
        ([4, 2**31], ValueError, "too large"),
    ],
)
def test_bad_sizes_in_lists(sizes, error, match):
    """resize_many's lists go to the core directly when every size is a plain int in range;
    anything else takes the checked path."""
    with pytest.raises(error, match=match):
        imagenet32.resize_many(RGB, sizes)


def test_numpy_integer_sizes_in_lists():
    expected = [imagenet32.resize(RGB, 4), imagenet32.resize(RGB, 3)]
    for sizes in ([4, np.int64(3)], (np.uint8(4), 3)):
        assert all(np.array_equal(a, b) for a, b in zip(imagenet32.resize_many(RGB, sizes), expected))


@pytest.mark.parametrize(
    ("box", "error", "match"),
    [
        ((-1, 0, 5, 5), ValueError, "offset can't be negative"),
        ((0, -0.5, 5, 5), ValueError, "offset can't be negative"),
        ((0, 0, 13, 5), ValueError, "exceed original image size 12x10"),
        ((0, 0, 5, 10.5), ValueError, "exceed original image size"),
        ((5, 0, 4, 5), ValueError, "empty or inverted"),
        ((0, 6, 5, 5), ValueError, "empty or inverted"),
        ((0, 0, float("nan"), 5), ValueError, "finite"),
        ((0, 0, float("inf"), 5), ValueError, "finite"),
        ((0, 0, 5), TypeError, "4 numbers"),
        ((0, 0, "5", 5), TypeError, "4 numbers"),
        ("0,0,5,5", TypeError, "4 numbers"),
        ({0, 1, 3, 4}, TypeError, "4 numbers"),  # a set's order is its hashes': Pillow refuses it
    ],
)
def test_bad_boxes(box, error, match):
    with pytest.raises(error, match=match):
        imagenet32.resize(RGB, 4, box=box)


def test_box_checked_as_float32_like_pillow():
    """12 + 1e-7 rounds to 12.0 as a 32-bit float, so Pillow accepts it; so do we."""
    imagenet32.resize(RGB, 4, box=(0, 0, 12 + 1e-7, 10))


@pytest.mark.parametrize(
    ("gap", "error", "match"),
    [
        (0.5, ValueError, "1.0 or greater"),
        (float("nan"), ValueError, "not NaN"),
        ("2", TypeError, "must be a number"),
        (True, TypeError, "must be a number"),
        (np.complex128(2 + 5j), TypeError, "must be a number"),  # its imaginary part was dropped
    ],
)
def test_bad_reducing_gaps(gap, error, match):
    with pytest.raises(error, match=match):
        imagenet32.resize(RGB, 4, reducing_gap=gap)


@pytest.mark.parametrize(
    ("pillow", "error", "match"),
    [
        ("3.4", ValueError, "unknown Pillow version '3.4'"),
        ("14.0", ValueError, "unknown Pillow version"),
        ("13.1", ValueError, "unknown Pillow version"),
        ("4.4", ValueError, "unknown Pillow version"),
        ("latest", ValueError, "unknown Pillow version"),
        ("", ValueError, "unknown Pillow version"),
        (13.0, TypeError, "version string"),
    ],
)
def test_bad_pillow_versions(pillow, error, match):
    with pytest.raises(error, match=match):
        imagenet32.resize(RGB, 4, pillow=pillow)


def test_arguments_a_release_did_not_have():
    with pytest.raises(ValueError, match="Pillow 4.2 had no box argument"):
        imagenet32.resize(RGB, 4, box=(0, 0, 12, 10), pillow="4.2.1")
    with pytest.raises(ValueError, match="Pillow 6.2 had no reducing_gap argument"):
        imagenet32.resize(RGB, 4, reducing_gap=2.0, pillow="6.2.2")
    imagenet32.resize(RGB, 4, box=(0, 0, 12, 10), pillow="4.3")
    imagenet32.resize(RGB, 4, reducing_gap=2.0, pillow="7.0")


def test_16bit_images_before_pillow_11():
    image = np.zeros((8, 8), np.uint16)
    with pytest.raises(ValueError, match="could resize I;16 images only with NEAREST"):
        imagenet32.resize(image, 4, pillow="10.4")
    with pytest.raises(ValueError, match="cannot reduce I;16"):
        imagenet32.resize(image, 2, reducing_gap=2.0)


def test_unknown_filters():
    with pytest.raises(ValueError, match="unknown filter 'cubic'"):
        imagenet32.resize(RGB, 4, filter="cubic")
    with pytest.raises(ValueError, match="unknown filter 9"):
        imagenet32.resize(RGB, 4, filter=9)
    with pytest.raises(ValueError, match="unknown filter True"):
        imagenet32.resize(RGB, 4, filter=True)
    with pytest.raises(ValueError, match="unknown filter None"):
        imagenet32.resize_many(RGB, [4], filter=None)


def test_mks_filters_need_pillow_13():
    with pytest.raises(ValueError, match="Pillow 12.3 had no MKS2013 filter"):
        imagenet32.resize(RGB, 4, filter="mks2013", pillow="12.3")
    with pytest.raises(ValueError, match="Pillow 4.1 had no MKS2013 filter"):
        imagenet32.resize_many(RGB, [4, 2], filter="mks2013", pillow="4.1.1")
    with pytest.raises(ValueError, match="Pillow 9.5 had no MKS2021 filter"):
        imagenet32.resize_batch([RGB], [4], filter=Image.Resampling.MKS2021, pillow="9.5")


def test_reduce_arguments():
    with pytest.raises(ValueError, match="factor must be at least 1"):
        imagenet32.reduce(RGB, 0)
    for huge in (2**31, (3, 2**64)):  # Pillow: OverflowError from its C int
        with pytest.raises(ValueError, match="factor must be at most 2\\^31 - 1"):
            imagenet32.reduce(RGB, huge)
    with pytest.raises(TypeError, match="factor must be an int or a pair of ints"):
        imagenet32.reduce(RGB, (2, 2.5))
    with pytest.raises(TypeError, match="factor must be an int or a pair of ints"):
        imagenet32.reduce(RGB, True)
    with pytest.raises(ValueError, match="box can't exceed original image size"):
        imagenet32.reduce(RGB, 2, (0, 0, 13, 10))
    with pytest.raises(ValueError, match="box offset can't be negative"):
        imagenet32.reduce(RGB, 2, (-1, 0, 4, 4))
    with pytest.raises(ValueError, match="box can't be empty"):
        imagenet32.reduce(RGB, 2, (4, 0, 4, 4))
    with pytest.raises(TypeError, match="box must be 4 ints"):
        imagenet32.reduce(RGB, 2, (0, 0, 4.5, 4))
    with pytest.raises(ValueError, match="Pillow 6.2 had no Image.reduce"):
        imagenet32.reduce(RGB, 2, pillow="6.2")


@pytest.mark.parametrize("image", [np.zeros((8, 8), np.uint16), Image.new("I;16", (8, 8)), Image.new("P", (8, 8)),
                                   Image.new("1", (8, 8))], ids=["uint16", "I;16", "P", "1"])
def test_reduce_refuses_what_pillow_cannot_reduce(image):
    with pytest.raises(ValueError, match="cannot reduce"):
        imagenet32.reduce(image, 2)


def test_unknown_simd_backend():
    with pytest.raises(ValueError, match="unknown SIMD backend 'neon'"):
        imagenet32.resize(RGB, 4, simd="neon")


def test_resize_many_needs_a_sequence_of_sizes():
    with pytest.raises(TypeError, match="sequence of sizes"):
        imagenet32.resize_many(RGB, 32)
    with pytest.raises(ValueError, match="size must be positive"):
        imagenet32.resize_many(RGB, [32, 0])
    with pytest.raises(TypeError, match="sizes must be a sequence of sizes, not bytes"):
        imagenet32.resize_many(RGB, b"\x20\x10")  # each byte was a size


def test_the_memory_limit_counts_all_outputs_and_huge_boxes():
    """Each of six 1 GiB outputs was within the 4 GiB limit, and all six were allocated; a box
    of 1e300 was an OverflowError from the message."""
    with pytest.raises(ValueError, match="6 sizes needs 6.0 GiB of outputs in all .limit 4 GiB"):
        imagenet32.resize_many(np.zeros((2, 2), np.uint8), [(1 << 15, 1 << 15)] * 6)
    with pytest.raises(ValueError, match="needs more than 2\\^1000 bytes buffers"):
        imagenet32.reduce(RGB, 1, (0, 0, 1e300, 1e300))
