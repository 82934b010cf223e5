"""A PyTorch ``Dataset`` over the dataset files (the optional extra ``imagenet32[torch]``).

Like torchvision's CIFAR10: an item is ``(PIL image, int label)`` passed through
``transform`` / ``target_transform``, so the usual transforms apply, for example
``RandomCrop(S, padding=4)``, ``RandomHorizontalFlip()``, ``ToTensor()``, ``Normalize(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

try:
    from torch.utils.data import Dataset
except ImportError:
    raise ImportError("imagenet32.torch_dataset needs PyTorch: pip install 'imagenet32[torch]'") from None
from PIL import Image

from .devkit import Devkit
from .formats import PathArg
from .load import load

__all__ = ["DownsampledImageNet"]


class DownsampledImageNet(Dataset):  # type: ignore[type-arg]
    """Imagenet8/16/32/64 from a folder, zip or files, held in memory as uint8.

    ``split``, ``size``, ``batches``, ``label_order``, ``devkit`` and ``mmap`` are as in
    :func:`imagenet32.load`; labels are 0-based. ``classes`` (names) and ``wnids`` are in
    label order when a devkit is given, else None. Images are stored NCHW, which for one
    file is a view of the file's array, and turned into PIL images one at a time.
    """

    def __init__(
        self,
        root: PathArg | Sequence[PathArg],
        split: str = "train",
        *,
        transform: Callable[[Image.Image], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        size: int | None = None,
        batches: int | Iterable[int] | None = None,
        label_order: str | None = None,
        devkit: Devkit | PathArg | Sequence[PathArg] | None = None,
        mmap: bool = False,
    ) -> None:
        loaded = load(root, split, size=size, batches=batches, label_order=label_order, devkit=devkit, mmap=mmap)
        self.images = loaded.images
        self.targets = loaded.labels
        self.size = loaded.size
        self.classes = loaded.names
        self.wnids = loaded.wnids
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = Image.fromarray(self.images[index].transpose(1, 2, 0).copy())
        target: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target
