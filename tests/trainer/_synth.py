"""Tiny synthetic 28x28, 10-class IDX datasets for fast training tests."""

import gzip
from pathlib import Path

import numpy as np

from trainer.data import idx


def idx_bytes(array: np.ndarray) -> bytes:
    """uint8 `array` encoded as an IDX file (magic, big-endian dims, data)."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    blob = idx_bytes(array)
    if gz:
        path = path.with_name(path.name + ".gz")
        blob = gzip.compress(blob)
    path.write_bytes(blob)
    return path


def make_images(n: int, rng: np.random.Generator, prototypes: np.ndarray):
    """n noisy copies of the 10 prototypes: (images uint8 (n, 28, 28), labels uint8 (n,))."""
    labels = rng.integers(0, 10, n).astype(np.uint8)
    noise = rng.normal(0, 60, (n, 28, 28))
    images = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def write_dataset(directory: Path, n_train: int = 600, n_test: int = 200, seed: int = 0) -> Path:
    """A learnable dataset in `directory` under the MNIST file names (use verify=False)."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 28, 28)) > 0.6) * 220.0
    directory.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = make_images(n, rng, prototypes)
        image_name, label_name = idx.SPLITS[split]
        write_idx(directory / image_name, images)
        write_idx(directory / label_name, labels)
    return directory


def ink_blobs(n=16, seed=0, dtype=np.float32):
    """(n, 28, 28) blobs of ink in [0, 1] away from the border."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), dtype=dtype)
    x[:, 6:22, 8:20] = rng.random((n, 16, 12))
    return x
