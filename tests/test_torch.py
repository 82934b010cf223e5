"""The optional PyTorch adapter; skipped when PyTorch is not installed."""

from __future__ import annotations

import numpy as np
import pytest

from published import arrays, devkit_files, write

torch = pytest.importorskip("torch")

from imagenet32.torch_dataset import DownsampledImageNet  # noqa: E402


def to_tensor(image):
    """What torchvision's ToTensor does: CHW float in [0, 1]."""
    return torch.from_numpy(np.asarray(image).transpose(2, 0, 1).copy()).float() / 255


def test_items_are_pil_images_and_int_labels(tmp_path):
    p = arrays(np.random.default_rng(40), 8, 60, 12)
    write(tmp_path, p)
    train = DownsampledImageNet(tmp_path)
    image, label = train[7]
    assert len(train) == 60 and train.size == 8 and image.mode == "RGB" and image.size == (8, 8)
    assert np.array_equal(np.asarray(image), p.train[7].reshape(3, 8, 8).transpose(1, 2, 0))
    assert label == p.train_labels[7] - 1 and isinstance(label, int)


def test_transforms_and_a_data_loader(tmp_path):
    p = arrays(np.random.default_rng(41), 4, 0, 20)
    write(tmp_path, p, train=False)
    wnids = devkit_files(tmp_path / "kit", np.random.default_rng(42))
    val = DownsampledImageNet(
        tmp_path, "val", transform=to_tensor, target_transform=lambda y: y + 1000,
        label_order="sorted", devkit=tmp_path / "kit",
    )
    assert val.wnids == tuple(sorted(wnids)) and len(val.classes) == 1000
    loader = torch.utils.data.DataLoader(val, batch_size=8, shuffle=False)
    images, labels = next(iter(loader))
    assert images.shape == (8, 3, 4, 4) and images.dtype == torch.float32
    assert torch.equal(images, torch.from_numpy(p.val[:8].reshape(8, 3, 4, 4)).float() / 255)
    rank = {w: i for i, w in enumerate(sorted(wnids))}
    assert labels.tolist() == [rank[wnids[k - 1]] + 1000 for k in p.val_labels[:8]]


@pytest.mark.parametrize("mmap", [False, True])
def test_a_data_loader_with_worker_processes(tmp_path, mmap):
    """Worker processes give the batches one process gives (pixels read, or mapped from .npz)."""
    p = arrays(np.random.default_rng(43), 8, 60, 0)
    write(tmp_path, p, "npz", val=False)
    train = DownsampledImageNet(tmp_path, mmap=mmap, transform=to_tensor)
    alone = list(torch.utils.data.DataLoader(train, batch_size=16))
    workers = list(torch.utils.data.DataLoader(train, batch_size=16, num_workers=2))
    assert len(alone) == len(workers) == 4
    for (x, y), (xw, yw) in zip(alone, workers):
        assert torch.equal(x, xw) and torch.equal(y, yw)
    assert torch.equal(torch.cat([y for _, y in alone]), torch.from_numpy(p.train_labels - 1))
