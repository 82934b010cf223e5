"""A fuzz of the entry points: any input must give a result or a TypeError or
ValueError, never a crash, a hang or another exception."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import imagenet32

dtypes = st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.int16, bool, ">u2"])
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12)
arrays = st.builds(lambda dt, shape, seed: np.random.default_rng(seed).integers(0, 256, shape).astype(dt),
                   dtypes, shapes, st.integers(0, 2**32 - 1))
numbers = st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=True, allow_infinity=True), st.none(),
                    st.text(max_size=3), st.booleans())
sizes = st.one_of(numbers, st.tuples(numbers, numbers), st.lists(numbers, max_size=3))
boxes = st.one_of(st.none(), st.tuples(numbers, numbers, numbers, numbers), st.lists(numbers, max_size=5))
versions = st.one_of(st.none(), st.sampled_from(["4.1.1", "6.2", "12.3.0", "13.0", "3.9", "x", "13.0.0.0"]), numbers)
filters = st.one_of(st.sampled_from(list(imagenet32.FILTERS) + ["BOX", "cubic", ""]), numbers)
factors = st.one_of(numbers, st.tuples(numbers, numbers), st.lists(numbers, max_size=3))


def views(a: np.ndarray, step: int) -> np.ndarray:
    """The array, or a strided view of it."""
    if a.ndim >= 2 and step > 1:
        return a[::step, ::-1]
    return a


@given(arrays, st.integers(1, 3), sizes, filters, boxes, st.one_of(st.none(), numbers), versions)
def test_resize_never_crashes(array, step, size, name, box, gap, pillow):
    try:
        out = imagenet32.resize(views(array, step), size, filter=name, box=box, reducing_gap=gap, pillow=pillow)
    except (TypeError, ValueError):
        return
    assert isinstance(out, np.ndarray)


@given(arrays, st.integers(1, 3), factors, boxes, versions)
def test_reduce_never_crashes(array, step, factor, box, pillow):
    try:
        out = imagenet32.reduce(views(array, step), factor, box, pillow=pillow)
    except (TypeError, ValueError):
        return
    assert isinstance(out, np.ndarray)


@given(arrays, st.lists(sizes, max_size=4), filters, st.one_of(st.none(), numbers))
def test_resize_many_and_batch_never_crash(array, size_list, name, gap):
    for call in (lambda: imagenet32.resize_many(array, size_list, filter=name, reducing_gap=gap),
                 lambda: imagenet32.resize_batch([array, array], size_list, filter=name, reducing_gap=gap,
                                                 threads=2)):
        try:
            call()
        except (TypeError, ValueError):
            pass


# The readers of untrusted files: any damage gives FormatError, in bounded memory.

def _small_batch(protocol: int) -> bytes:
    import pickle

    rng = np.random.default_rng(protocol)
    content = {"data": rng.integers(0, 256, (3, 12), dtype=np.uint8),
               "labels": [1, 2, np.int64(3)] if protocol == 2 else [1, 2, 3], "mean": rng.random(12) * 255}
    return pickle.dumps(content, protocol=protocol)


@given(protocol=st.sampled_from([0, 2, 4, 5]), edits=st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)),
                                                           max_size=4), cut=st.one_of(st.none(), st.integers(0, 2**20)))
def test_damaged_pickles_are_format_errors_in_bounded_memory(tmp_path_factory, protocol, edits, cut):
    import tracemalloc

    from imagenet32.formats import FormatError, read_batch

    raw = bytearray(_small_batch(protocol))
    for at, value in edits:
        raw[at % len(raw)] = value
    if cut is not None:
        raw = raw[: cut % (len(raw) + 1)]
    path = tmp_path_factory.mktemp("fuzz") / "val_data"
    path.write_bytes(bytes(raw))
    tracemalloc.start()
    try:
        read_batch(path)
    except FormatError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 16 << 20, peak
