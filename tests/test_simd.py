"""Every SIMD backend gives the scalar reference's bytes, on the same inputs."""

import numpy as np
import pytest
from helpers import at_page_end, at_page_start, random_image, simd_backends
from hypothesis import given
from hypothesis import strategies as st

import imagenet32

SIMD = [b for b in simd_backends() if b != "scalar"]
pytestmark = pytest.mark.skipif(not SIMD, reason="this CPU has no SIMD backend")


@st.composite
def images(draw, max_side=300):
    height, width = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    channels = draw(st.sampled_from([None, 2, 3, 4]))
    seed = draw(st.integers(0, 2**32 - 1))
    return random_image(np.random.default_rng(seed), height, width, channels, draw(st.sampled_from(["noise", "blocks"])))


size_strategy = st.tuples(st.integers(1, 320), st.integers(1, 320))


@pytest.mark.parametrize("simd", SIMD)
@given(image=images(), sizes=st.lists(size_strategy, min_size=1, max_size=5),
       pillow=st.sampled_from(["4.1", "6.2", "12.1", "12.3", "13.0"]))
def test_backend_matches_scalar(simd, image, sizes, pillow):
    scalar = imagenet32.resize_many(image, sizes, pillow=pillow, simd="scalar")
    fast = imagenet32.resize_many(image, sizes, pillow=pillow, simd=simd)
    for a, b in zip(scalar, fast):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("simd", SIMD)
@given(width=st.integers(16, 3000), height=st.integers(1, 6), channels=st.sampled_from([None, 2, 3, 4]),
       shrink=st.floats(4.0, 400.0), seed=st.integers(0, 2**32 - 1), white=st.booleans(),
       box=st.none() | st.tuples(st.floats(0.0, 0.4), st.floats(0.6, 1.0)))
def test_strong_horizontal_downscales(simd, width, height, channels, shrink, seed, white, box):
    """One output size from wide rows: windows of 4 to 400 pixels, the case
    where the AVX-512 pass sums each window on its own (one or several chunks)."""
    image = random_image(np.random.default_rng(seed), height, width, channels)
    if white:
        image[:] = 255
    out_w = max(1, int(width / shrink))
    whole = None if box is None else (box[0] * width, 0.0, box[1] * width, float(height))
    scalar = imagenet32.resize(image, (out_w, height), box=whole, simd="scalar")
    assert np.array_equal(imagenet32.resize(image, (out_w, height), box=whole, simd=simd), scalar)


@pytest.mark.parametrize("simd", SIMD)
@pytest.mark.parametrize("channels", [None, 2, 3, 4])
def test_long_windows_and_row_ends(simd, channels):
    """Windows over 257 pixels (summed in pieces), and every row-end alignment."""
    rng = np.random.default_rng(9)
    for width in [1, 2, 15, 16, 17, 31, 33, 255, 256, 257, 258, 700, 1031]:
        image = random_image(rng, 9, width, channels)
        image[:] = 255 if width % 2 else image  # saturated sums stress the 16-bit lanes
        sizes = [(1, 3), (2, 9), (3, 4), (max(1, width // 3), 5), (width + 3, 2)]
        for a, b in zip(imagenet32.resize_many(image, sizes, simd="scalar"), imagenet32.resize_many(image, sizes, simd=simd)):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("simd", SIMD)
@given(image=images(), size=size_strategy, strided=st.booleans(), data=st.data())
def test_nearest_matches_scalar(simd, image, size, strided, data):
    """NEAREST's gathers (16 RGB pixels at a time with AVX-512): every width, row end, box and
    up- or downscale, also from rows with a gap after them."""
    if strided:
        image = np.concatenate([image, image[:, : max(1, image.shape[1] // 3)]], axis=1)[:, : image.shape[1]]
    height, width = image.shape[:2]
    box = None
    if data.draw(st.booleans()):
        x0, y0 = data.draw(st.floats(0.0, width - 0.5)), data.draw(st.floats(0.0, height - 0.5))
        box = (x0, y0, data.draw(st.floats(x0, width)), data.draw(st.floats(y0, height)))
    for pillow in ("7.0", "13.0"):  # LA/RGBA through premultiplied alpha (before 8.2), and not
        scalar = imagenet32.resize(image, size, filter="nearest", box=box, pillow=pillow, simd="scalar")
        assert np.array_equal(imagenet32.resize(image, size, filter="nearest", box=box, pillow=pillow, simd=simd),
                              scalar)


@pytest.mark.parametrize("simd", SIMD)
@given(finest=st.sampled_from([8, 16, 32, 64, 96]) | st.integers(1, 96), coarser=st.sets(st.sampled_from([2, 4, 8])),
       ratio=st.floats(1.0, 9.0), height=st.integers(1, 12), channels=st.sampled_from([3, 4, 3, None, 2]),
       seed=st.integers(0, 2**32 - 1), white=st.booleans(), gap=st.booleans(), crop=st.booleans(),
       same_height=st.booleans(), pillow=st.sampled_from(["4.1", "6.2", "13.0"]))
def test_nested_sizes_share_one_pass(simd, finest, coarser, ratio, height, channels, seed, white, gap, crop,
                                     same_height, pillow):
    """The dataset's case, 64, 32, 16 and 8 from rows of up to 512 pixels: RGB and RGBA
    windows of at most 8 pixels summed one load each, and the coarser sizes' sums taken
    from theirs (AVX-512). Saturated images give the largest sums; a gap after each row and
    a crop of the first rows (4.1 had no box) move the rows read. With the same height the
    pass writes the outputs themselves (no vertical pass), whole 16-byte groups spilling into
    rows written later."""
    width = max(1, round(finest * ratio))
    image = random_image(np.random.default_rng(seed), height, width, channels)
    if white:
        image[:] = 255
    if gap:
        image = np.concatenate([image, image[:, : max(1, width // 4)]], axis=1)[:, :width]
    widths = [finest] + [finest // m for m in sorted(coarser) if finest % (4 * m) == 0]
    out_h = height if same_height else max(1, height // 2)
    crop = crop and pillow != "4.1" and not same_height
    box = (0.0, min(2.0, height - 1.0), float(width), float(height)) if crop else None
    sizes = [(w, out_h) for w in widths]
    scalar = imagenet32.resize_many(image, sizes, box=box, pillow=pillow, simd="scalar")
    fast = imagenet32.resize_many(image, sizes, box=box, pillow=pillow, simd=simd)
    assert all(np.array_equal(a, b) for a, b in zip(scalar, fast))


@pytest.mark.parametrize("simd", SIMD)
def test_short_pass_plans_again_when_the_windows_change(simd):
    """The short pass keeps its last plan while the windows stay the same: rows of the same
    width to the same sizes, but with other windows (a box moved by a fraction, another
    Pillow's rules) must not reuse it, and going back must give the first bytes again."""
    image = random_image(np.random.default_rng(12), 6, 375, 3)
    calls = [(None, "13.0"), ((0.5, 0.0, 375.0, 6.0), "13.0"), ((3.25, 0.0, 375.0, 6.0), "13.0"), (None, "13.0"),
             (None, "4.1"), (None, "6.2"), (None, "13.0")]
    for box, pillow in calls:
        scalar = imagenet32.resize_many(image, [64, 32, 16, 8], box=box, pillow=pillow, simd="scalar")
        fast = imagenet32.resize_many(image, [64, 32, 16, 8], box=box, pillow=pillow, simd=simd)
        assert all(np.array_equal(a, b) for a, b in zip(scalar, fast)), (box, pillow)


@pytest.mark.parametrize("simd", SIMD)
@pytest.mark.parametrize("channels", [3, 4])
def test_short_windows_never_read_past_the_image(simd, channels):
    """The short-window pass loads 32 bytes a window: near the end of the last row it must
    load only the image's bytes (an unreadable page follows the image here)."""
    rng = np.random.default_rng(11)
    for width in [1, 5, 8, 9, 31, 64, 100, 255, 256, 333, 500, 512]:
        image = at_page_end(random_image(rng, 3, width, channels))
        for sizes in ([64, 32, 16, 8], [max(1, width // 3)], [max(1, width // 5), max(1, width // 7)]):
            scalar = imagenet32.resize_many(image, sizes, simd="scalar")
            assert all(np.array_equal(a, b) for a, b in zip(scalar, imagenet32.resize_many(image, sizes, simd=simd)))


@pytest.mark.parametrize("simd", SIMD)
@pytest.mark.parametrize("place", [at_page_start, at_page_end])
def test_nearest_never_reads_outside_the_image(simd, place):
    """NEAREST reads each RGB pixel as 4 bytes, from the byte before it or from the pixel
    itself: on the first and last rows it must stay inside the image (unreadable pages
    before and after it here), whatever the first and last columns picked."""
    rng = np.random.default_rng(12)
    for width in [1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 333, 500]:
        image = place(random_image(rng, 2, width, 3))
        for side in sorted({1, 8, 16, 17, 32, 64, max(1, width - 1), width, width + 5, 2 * width}):
            scalar = imagenet32.resize(image, (side, 2), filter="nearest", simd="scalar")
            assert np.array_equal(imagenet32.resize(image, (side, 2), filter="nearest", simd=simd), scalar)
            assert np.array_equal(imagenet32.resize(image, side, filter="nearest"), imagenet32.resize(
                image, (side, side), filter="nearest", simd="scalar"))


@pytest.mark.parametrize("simd", SIMD)
def test_imagenet_shapes_at_dataset_sizes(simd):
    rng = np.random.default_rng(10)
    for shape in [(375, 500), (500, 375), (333, 500), (500, 500), (281, 500), (900, 8), (33, 500)]:
        image = random_image(rng, *shape, 3)
        for pillow in ("4.1", "13.0"):
            scalar = imagenet32.resize_many(image, [64, 32, 16, 8], pillow=pillow, simd="scalar")
            fast = imagenet32.resize_many(image, [64, 32, 16, 8], pillow=pillow, simd=simd)
            assert all(np.array_equal(a, b) for a, b in zip(scalar, fast))


def test_environment_variable_forces_the_scalar_path(tmp_path):
    import subprocess
    import sys

    code = "import imagenet32; print(imagenet32.build_info()['simd'])"
    out = subprocess.run([sys.executable, "-c", code], env={"IMAGENET32_SIMD": "scalar", "PATH": ""},
                         capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "scalar"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == simd_backends()[0]
