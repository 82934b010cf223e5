"""resize and resize_many against Pillow (or Pillow-SIMD), OpenCV INTER_AREA and
np.copy, single-threaded, on decoded RGB images of ImageNet shapes and larger."""

import numpy as np
import pytest
from benchutil import PILLOW_NAME, photo_like
from PIL import Image

import imagenet32

BOX = Image.Resampling.BOX
SHAPES = [(500, 375), (375, 500), (500, 333), (500, 500), (1024, 768), (2048, 1536)]
DATASET_SIZES = [64, 32, 16, 8]

try:
    import cv2

    cv2.setNumThreads(1)
except ImportError:  # OpenCV is an optional competitor
    cv2 = None


def image_of(shape):
    return photo_like(np.random.default_rng(sum(shape)), shape[1], shape[0])


def differing_bytes(a: np.ndarray, b: np.ndarray) -> int:
    return int((a != b).sum())


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME, "opencv-area", "np.copy"])
def test_resize_to_32(benchmark, shape, competitor):
    image = image_of(shape)
    im = Image.fromarray(image)
    exact = np.asarray(im.resize((32, 32), BOX)) if PILLOW_NAME == "pillow" else imagenet32.resize(image, 32)
    benchmark.group = f"resize {shape[0]}x{shape[1]} -> 32x32"
    if competitor == "imagenet32":
        assert np.array_equal(imagenet32.resize(image, 32), exact)
        benchmark(imagenet32.resize, image, 32)
    elif competitor == PILLOW_NAME:
        out = np.asarray(im.resize((32, 32), BOX))
        benchmark.extra_info["bytes differing from Pillow"] = differing_bytes(out, exact)
        benchmark(im.resize, (32, 32), BOX)
    elif competitor == "opencv-area":
        if cv2 is None:
            pytest.skip("OpenCV is not installed")
        out = cv2.resize(image, (32, 32), interpolation=cv2.INTER_AREA)
        benchmark.extra_info["bytes differing from Pillow"] = differing_bytes(out, exact)
        benchmark(cv2.resize, image, (32, 32), interpolation=cv2.INTER_AREA)
    else:
        benchmark(np.copy, image)


@pytest.mark.parametrize("shape", SHAPES[:4] + SHAPES[5:], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME])
def test_resize_many_to_dataset_sizes(benchmark, shape, competitor):
    image = image_of(shape)
    im = Image.fromarray(image)
    benchmark.group = f"64, 32, 16, 8 from {shape[0]}x{shape[1]}"
    if competitor == "imagenet32":
        outs = imagenet32.resize_many(image, DATASET_SIZES)
        if PILLOW_NAME == "pillow":
            assert all(np.array_equal(o, np.asarray(im.resize((s, s), BOX))) for o, s in zip(outs, DATASET_SIZES))
        benchmark(imagenet32.resize_many, image, DATASET_SIZES)
    else:
        benchmark(lambda: [im.resize((s, s), BOX) for s in DATASET_SIZES])


OTHER_SIZES = [((500, 375), (1000, 750)), ((64, 64), (256, 256)), ((500, 375), (333, 250)), ((500, 375), (499, 374)),
               ((500, 375), (224, 224)), ((1024, 768), (640, 480)), ((32, 32), (500, 375))]


@pytest.mark.parametrize(("shape", "size"), OTHER_SIZES, ids=lambda v: f"{v[0]}x{v[1]}")
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME])
def test_upscales_and_other_sizes(benchmark, shape, size, competitor):
    image = image_of(shape)
    im = Image.fromarray(image)
    benchmark.group = f"resize {shape[0]}x{shape[1]} -> {size[0]}x{size[1]}"
    if competitor == "imagenet32":
        if PILLOW_NAME == "pillow":
            assert np.array_equal(imagenet32.resize(image, size), np.asarray(im.resize(size, BOX)))
        benchmark(imagenet32.resize, image, size)
    else:
        benchmark(im.resize, size, BOX)


@pytest.mark.parametrize("simd", imagenet32._core.simd_backends())
def test_backends_on_500x375(benchmark, simd):
    image = image_of((500, 375))
    benchmark.group = "imagenet32 backends, 500x375 -> 32x32"
    benchmark(imagenet32.resize, image, 32, simd=simd)


@pytest.mark.parametrize("threads", [1, 2])
def test_resize_batch_threads(benchmark, threads, smoke):
    images = [image_of(SHAPES[i % 4]) for i in range(8 if smoke else 64)]
    benchmark.group = "resize_batch of 64 ImageNet shapes to 64, 32, 16, 8"
    benchmark(imagenet32.resize_batch, images, DATASET_SIZES, threads=threads)


@pytest.mark.parametrize("size", DATASET_SIZES)
@pytest.mark.parametrize("competitor", ["imagenet32", PILLOW_NAME])
def test_dataset_sizes_over_many_images(benchmark, competitor, size, smoke):
    """Each dataset size over 100 different images of ImageNet shapes (caches
    cold); for Pillow-SIMD, how many of them it resizes differently from Pillow
    (imagenet32's bytes are Pillow's)."""
    shapes = SHAPES[:4] + [(333, 500)]
    images = [photo_like(np.random.default_rng(i), shapes[i % 5][1], shapes[i % 5][0])
              for i in range(10 if smoke else 100)]
    pil_images = [Image.fromarray(a) for a in images]
    benchmark.group = f"BOX to {size}x{size}, {len(images)} ImageNet shapes"
    if competitor == "imagenet32":
        benchmark(lambda: [imagenet32.resize(a, size) for a in images])
        return
    outs = [np.asarray(im.resize((size, size), BOX)) for im in pil_images]
    exact = [imagenet32.resize(a, size) for a in images]
    differing = [differing_bytes(o, e) for o, e in zip(outs, exact)]
    benchmark.extra_info["bytes differing from Pillow"] = sum(differing)
    benchmark.extra_info["images differing from Pillow"] = sum(d > 0 for d in differing)
    benchmark(lambda: [im.resize((size, size), BOX) for im in pil_images])
