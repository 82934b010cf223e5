"""imagenet32: the Downsampled ImageNet datasets, built fast and exactly.

- :func:`resize` / :func:`resize_many` / :func:`resize_batch`: a BOX resize
  byte-identical to Pillow's (any release from 4.0 to 13.0), many times faster.
"""

__version__ = "0.1.0"

try:
    from . import _core  # noqa: F401
except ImportError as error:  # pragma: no cover - only without a build
    raise ImportError(
        "imagenet32's native extension (imagenet32._core) is not built: install the package with "
        "'pip install .' rather than importing it from the source tree"
    ) from error

from .pillow_rules import BEHAVIOURS, Release, release
from .resize import build_info, resize, resize_batch, resize_many

__all__ = [
    "BEHAVIOURS",
    "Release",
    "__version__",
    "build_info",
    "release",
    "resize",
    "resize_batch",
    "resize_many",
]
