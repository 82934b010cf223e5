"""Benchmarks: competitors side by side in one run, each checking its own output first.

Run:   pytest bench --benchmark-json=bench.json && python bench/ratios.py bench.json
Smoke: pytest bench --benchmark-disable   (what CI does; timings are never asserted)
"""

import ctypes
import ctypes.util
import sys
from pathlib import Path

import pytest

# The reference recipes the benchmarks compare against live with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse (mmap threshold 32 MiB, trim 64 MiB).

    Pillow allocates each decoded image afresh (two with convert); whether those come
    from reused memory or from new pages (a page fault every 4 KiB) is decided by glibc's
    thresholds, which move with whatever the process freed before. Pillow merely decoding
    the build bench's JPEGs took 3.4-3.5 s in a fresh process and 2.6-2.7 s with this
    setting, in the same minutes. Set at the fast setting, competitors get their best
    state whatever ran before them (it does not remove all of their drift here: bench runs
    have timed the same decoding at 2.2 to 2.8 s). imagenet32's build took the same time either way."""
    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 64 << 20))


KEEPS_FREED_MEMORY = keep_freed_memory()


def pytest_report_header(config):
    return f"malloc keeps freed memory (glibc mallopt): {KEEPS_FREED_MEMORY}"


@pytest.fixture(scope="session")
def smoke(request) -> bool:
    """True when benchmarks are disabled: keep inputs small."""
    return bool(request.config.getoption("benchmark_disable", False))

