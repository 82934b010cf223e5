"""Benchmarks: competitors side by side in one run, each checking its own output first.

Run:   pytest bench --benchmark-json=bench.json && python bench/ratios.py bench.json
Smoke: pytest bench --benchmark-disable   (what CI does; timings are never asserted)
"""

import pytest


@pytest.fixture(scope="session")
def smoke(request) -> bool:
    """True when benchmarks are disabled: keep inputs small."""
    return bool(request.config.getoption("benchmark_disable", False))

