"""The seed's loading recipe (the original scripts' load_data / load_databatch),
kept as a plain reference for the loaders' tests and benchmarks: pickle.load,
np.dstack of the channel planes, reshape, lasagne's floatX as a float32 cast."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np


def seed_unpickle(path: Path) -> dict:
    with open(path, "rb") as fo:
        return pickle.load(fo)


def seed_nhwc_uint8(path: Path, size: int) -> np.ndarray:
    """The original test script's load_data: planes stacked depth-wise, NHWC uint8."""
    x = seed_unpickle(path)["data"]
    s2 = size * size
    return np.dstack((x[:, :s2], x[:, s2 : 2 * s2], x[:, 2 * s2 :])).reshape((x.shape[0], size, size, 3))


def seed_nchw_float32(path: Path, size: int, mean: np.ndarray) -> np.ndarray:
    """The seed's load_databatch up to its NCHW array, before the mirrored copies."""
    x = seed_unpickle(path)["data"]
    x = x / np.float32(255)
    x -= mean / np.float32(255)
    s2 = size * size
    x = np.dstack((x[:, :s2], x[:, s2 : 2 * s2], x[:, 2 * s2 :]))
    return x.reshape((x.shape[0], size, size, 3)).transpose(0, 3, 1, 2)


def seed_load_databatch(data_folder: Path | str, idx: int, img_size: int = 32) -> dict:
    """The seed's load_databatch, line for line."""
    d = seed_unpickle(Path(data_folder) / f"train_data_batch_{idx}")
    x, y, mean_image = d["data"], d["labels"], d["mean"]
    x = x / np.float32(255)
    mean_image = mean_image / np.float32(255)
    y = [i - 1 for i in y]
    data_size = x.shape[0]
    x -= mean_image
    img_size2 = img_size * img_size
    x = np.dstack((x[:, :img_size2], x[:, img_size2 : 2 * img_size2], x[:, 2 * img_size2 :]))
    x = x.reshape((x.shape[0], img_size, img_size, 3)).transpose(0, 3, 1, 2)
    X_train = x[0:data_size, :, :, :]
    Y_train = y[0:data_size]
    X_train = np.concatenate((X_train, X_train[:, :, :, ::-1]), axis=0)
    Y_train = np.concatenate((Y_train, Y_train), axis=0)
    return dict(X_train=X_train.astype(np.float32), Y_train=Y_train.astype("int32"), mean=mean_image)
