"""imagenet32: the Downsampled ImageNet datasets, built fast and exactly.

- :func:`resize` / :func:`resize_many` / :func:`resize_batch`: resizing
  byte-identical to Pillow's, with every filter (BOX by default) and any release
  from 4.0 to 13.0, many times faster; :func:`reduce`: Pillow's ``Image.reduce``.
- :func:`build`: ImageNet folder -> Imagenet8/16/32/64, exact, streaming, resumable.
- :func:`load` / :func:`iter_batches` / :func:`minibatches`: the published files and
  ours as arrays, read safely; :func:`info` / :func:`verify` / :func:`save_grid`: check
  and look at them; :func:`read_batch` / :func:`write_batch`: one file of the format.
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
from .resize import FILTERS, build_info, reduce, resize, resize_batch, resize_many
from .formats import Batch, FormatError, UnsafePickleError, read_batch, write_batch
from .load import Split, iter_batches, load, load_databatch, minibatches
from .check import info, verify
from .view import contact_sheet, save_grid, save_histogram
from .build import BuildError, BuildReport, build

__all__ = [
    "BEHAVIOURS",
    "FILTERS",
    "Batch",
    "BuildError",
    "BuildReport",
    "FormatError",
    "Release",
    "Split",
    "UnsafePickleError",
    "__version__",
    "build",
    "build_info",
    "contact_sheet",
    "info",
    "iter_batches",
    "load",
    "load_databatch",
    "minibatches",
    "read_batch",
    "reduce",
    "release",
    "resize",
    "resize_batch",
    "resize_many",
    "save_grid",
    "save_histogram",
    "verify",
    "write_batch",
]
