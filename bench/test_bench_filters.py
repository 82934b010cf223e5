"""Every filter and Image.reduce against Pillow (or Pillow-SIMD), single-threaded,
on decoded RGB images of ImageNet shapes to 32x32 and 64x64. Each case checks
that imagenet32's bytes equal Pillow's before it is timed."""

import numpy as np
import pytest
from benchutil import PILLOW_NAME, photo_like
from PIL import Image

import imagenet32

SHAPES = [(500, 375), (375, 500), (500, 333)]
FILTERS = [f for f in imagenet32.FILTERS if hasattr(Image.Resampling, f.upper())]


def image_of(shape):
    return photo_like(np.random.default_rng(sum(shape)), shape[1], shape[0])


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME])
def test_filter(benchmark, competitor, name, shape, size):
    image = image_of(shape)
    im = Image.fromarray(image)
    resample = Image.Resampling[name.upper()]
    benchmark.group = f"{name} {shape[0]}x{shape[1]} -> {size}x{size}"
    if competitor == "imagenet32":
        if PILLOW_NAME == "pillow":
            assert np.array_equal(imagenet32.resize(image, size, filter=name), np.asarray(im.resize((size, size),
                                                                                                    resample)))
        benchmark(imagenet32.resize, image, size, filter=name)
    else:
        benchmark(im.resize, (size, size), resample)


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME])
def test_filter_batch_of_imagenet_shapes(benchmark, competitor, name, smoke):
    """Per-image cost over many images, one thread: resize_batch against a loop of Image.resize."""
    images = [image_of(SHAPES[i % 3]) for i in range(6 if smoke else 60)]
    pil_images = [Image.fromarray(a) for a in images]
    resample = Image.Resampling[name.upper()]
    benchmark.group = f"{name}, {len(images)} ImageNet shapes -> 32x32, one thread"
    if competitor == "imagenet32":
        benchmark(imagenet32.resize_batch, images, [32], filter=name, threads=1)
    else:
        benchmark(lambda: [im.resize((32, 32), resample) for im in pil_images])


@pytest.mark.parametrize("factor", [2, 3, 4, 8, 15])  # 8 and 15 take 500x375 to about 64 and 32
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME])
def test_reduce(benchmark, competitor, factor):
    image = image_of((500, 375))
    im = Image.fromarray(image)
    benchmark.group = f"reduce 500x375 by {factor}"
    if competitor == "imagenet32":
        if PILLOW_NAME == "pillow":
            assert np.array_equal(imagenet32.reduce(image, factor), np.asarray(im.reduce(factor)))
        benchmark(imagenet32.reduce, image, factor)
    else:
        benchmark(im.reduce, factor)
