"""Shared by the benchmarks: the competitor's name and realistic inputs."""

import numpy as np
import PIL

# Pillow-SIMD installs as PIL; a version like '9.5.0.post1' is Pillow-SIMD.
PILLOW_NAME = "pillow-simd" if ".post" in PIL.__version__ else "pillow"


def photo_like(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth content with edges and grain, like a decoded photo (not pure noise)."""
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width, 1)), (y * 255 // max(height, 1)), ((x + y) * 127 // max(width + height, 1))], -1)
    blocks = rng.integers(0, 80, (height // 16 + 1, width // 16 + 1, 3)).repeat(16, 0).repeat(16, 1)[:height, :width]
    grain = rng.integers(0, 24, (height, width, 3))
    return np.clip(base + blocks + grain, 0, 255).astype(np.uint8)
