"""resize_many and resize_batch: each output identical to its own resize call."""

import numpy as np
import pytest
import reference
from helpers import random_image
from hypothesis import given
from hypothesis import strategies as st

import imagenet32


@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.tuples(st.integers(1, 80), st.integers(1, 80)), min_size=1,
                                                       max_size=6),
       box=st.booleans(), gap=st.sampled_from([None, 1.0, 2.0]), pillow=st.sampled_from(["4.1", "12.3", "13.0"]))
def test_resize_many_equals_separate_calls(seed, sizes, box, gap, pillow):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 70, 2))
    image = random_image(rng, h, w, [None, 2, 3, 4][seed % 4], ["noise", "blocks"][seed % 2])
    kwargs = {"pillow": pillow}
    if pillow != "4.1":
        kwargs["reducing_gap"] = gap
        if box:
            kwargs["box"] = (w / 7, h / 5, w - w / 9, h)
    many = imagenet32.resize_many(image, sizes, **kwargs)
    assert len(many) == len(sizes)
    for size, out in zip(sizes, many):
        assert np.array_equal(out, imagenet32.resize(image, size, **kwargs))


@given(seed=st.integers(0, 2**32 - 1), sides=st.lists(st.integers(1, 80), min_size=1, max_size=5),
       as_tuple=st.booleans(), pillow=st.sampled_from([None, "4.1", "12.3"]))
def test_square_sizes_in_a_list_or_a_tuple(seed, sides, as_tuple, pillow):
    """Squares given as ints take the short path into the core, from a list or a tuple."""
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 90, 2))
    image = random_image(rng, h, w, [None, 2, 3, 4][seed % 4])
    many = imagenet32.resize_many(image, tuple(sides) if as_tuple else sides, pillow=pillow)
    assert len(many) == len(sides)
    for side, out in zip(sides, many):
        assert np.array_equal(out, reference.resize(image, (side, side), pillow=pillow or "13.0"))


def test_resize_many_of_a_pil_image():
    from PIL import Image

    im = Image.fromarray(random_image(np.random.default_rng(1), 50, 60, 3))
    outs = imagenet32.resize_many(im, [8, (16, 4)])
    assert [o.size for o in outs] == [(8, 8), (16, 4)]
    assert outs[1].tobytes() == imagenet32.resize(im, (16, 4)).tobytes()


@pytest.mark.parametrize("channels", [None, 3, 4])
def test_resize_batch_stacks_and_ignores_thread_count(channels):
    rng = np.random.default_rng(2)
    images = [random_image(rng, int(h), int(w), channels) for h, w in rng.integers(1, 120, (23, 2))]
    sizes = [32, (16, 8)]
    results = {threads: imagenet32.resize_batch(images, sizes, threads=threads, pillow="4.1") for threads in (1, 2, 7)}
    for threads, (s32, s16) in results.items():
        assert s32.shape == (23, 32, 32) + ((channels,) if channels else ())
        assert s16.shape == (23, 8, 16) + ((channels,) if channels else ())
        for i, image in enumerate(images):
            assert np.array_equal(s32[i], imagenet32.resize(image, 32, pillow="4.1"))
            assert np.array_equal(s16[i], imagenet32.resize(image, (16, 8), pillow="4.1"))
        assert np.array_equal(s32, results[1][0]) and np.array_equal(s16, results[1][1])


def test_resize_batch_of_nothing():
    (out,) = imagenet32.resize_batch([], [8])
    assert out.shape[0] == 0


def test_resize_batch_refuses_mixed_channels():
    images = [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4), np.uint8)]
    with pytest.raises(ValueError, match="same channels"):
        imagenet32.resize_batch(images, [2])


def test_resize_batch_refuses_bad_threads():
    with pytest.raises(ValueError, match="threads must be a positive int"):
        imagenet32.resize_batch([np.zeros((4, 4), np.uint8)], [2], threads=0)
    (out,) = imagenet32.resize_batch([np.zeros((4, 4), np.uint8)] * 3, [2], threads=2**40)  # as many as there are
    assert out.shape == (3, 2, 2)


def test_resize_batch_refuses_a_stack_over_the_limit():
    """The stacked output counts, not only each image's: 65,537 images to 1x65,536 are 4 GiB,
    and their 2^32 rows wrapped the native stack's int row count (writing past its end)."""
    images = [np.zeros((1, 1), np.uint8)] * 65537
    with pytest.raises(ValueError, match="65537 images resized to 1x65536 need a 4.0 GiB stack"):
        imagenet32.resize_batch(images, [(1, 65536)], threads=1)
    from imagenet32 import _core
    from imagenet32.resize import _filter, release

    rules, box = release("13.0").rules, _filter("box", release("13.0"))
    for count in (32769, 65537):  # rows past 2^31 and past 2^32, past the Python check
        with pytest.raises(ValueError, match="more than 2\\^31 - 1 rows"):
            _core.resize8_batch(images[:count], [(1, 65536)], None, False, box, rules, "", 1)


def test_available_cpus_follows_the_cpu_affinity(monkeypatch):
    """What resize_batch's threads and the build's workers default to."""
    from imagenet32.resize import available_cpus

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert available_cpus() == 3
    monkeypatch.delattr("os.sched_getaffinity")  # systems without it (macOS, Windows)
    assert available_cpus() == 64
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert available_cpus() == 1
