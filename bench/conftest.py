"""Benchmarks: competitors side by side in one run, each checking its own output first.

Run:   pytest bench --benchmark-json=bench.json && python bench/ratios.py bench.json
Smoke: pytest bench --benchmark-disable   (what CI does; timings are never asserted)
"""

import sys
from pathlib import Path

import pytest

# The reference recipes the benchmarks compare against live with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


@pytest.fixture(scope="session")
def smoke(request) -> bool:
    """True when benchmarks are disabled: keep inputs small."""
    return bool(request.config.getoption("benchmark_disable", False))

