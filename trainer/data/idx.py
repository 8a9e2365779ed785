"""MNIST-style IDX files: locating, verifying and parsing them (fetch.py gets them).

Each dataset is four IDX files (train/test images and labels). A file may be
raw or gzipped; checksums are of the decompressed content, so both forms of
the same data verify alike.
"""

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

from trainer.artifact import DIGITS, SIDE

SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FILES = tuple(MNIST_SHA256)
DATASETS = ("mnist", "fashion-mnist")
LABELS = {
    "mnist": list(DIGITS),
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}
# IDX magic: two zero bytes, type code 0x08 (unsigned byte), number of dimensions.
_MAGIC = {1: b"\x00\x00\x08\x01", 3: b"\x00\x00\x08\x03"}
REFETCH = "delete it and run `python -m trainer fetch`"


class DataError(Exception):
    """A missing, corrupt or unexpected data file; the message names it and the fix."""


def expected_sha256(dataset: str, verify: bool) -> dict[str, str]:
    """Known checksums to enforce: MNIST's when verifying, none otherwise."""
    if dataset not in DATASETS:
        raise DataError(f"--dataset {dataset!r} is unknown; choose one of {', '.join(DATASETS)}")
    return dict(MNIST_SHA256) if verify and dataset == "mnist" else {}


def find(data_dir, name: str) -> Path | None:
    """The raw or gzipped file for `name` in `data_dir`, raw preferred."""
    for candidate in (Path(data_dir) / name, Path(data_dir) / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_verified(path: Path, sha256: str | None) -> bytes:
    """Decompressed bytes of `path`, checked against `sha256` when given."""
    try:
        blob = path.read_bytes()
        if path.suffix == ".gz":
            blob = gzip.decompress(blob)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: unreadable or truncated ({e}); {REFETCH}") from e
    if sha256 is not None:
        actual = hashlib.sha256(blob).hexdigest()
        if actual != sha256:
            raise DataError(f"{path}: sha256 {actual[:12]}… is not the expected "
                            f"{sha256[:12]}…; the file is corrupt or truncated: {REFETCH} "
                            "(or pass --no-verify for a different IDX dataset)")
    return blob


def parse_idx(blob: bytes, path, ndim: int) -> np.ndarray:
    """A uint8 IDX blob with `ndim` dimensions -> read-only array of its shape."""
    header = 4 + 4 * ndim
    if blob[:4] != _MAGIC[ndim]:
        raise DataError(f"{path}: magic {blob[:4].hex() or 'empty'} is not "
                        f"{_MAGIC[ndim].hex()} (uint8 IDX, {ndim}-d); wrong or corrupt file: "
                        f"{REFETCH}")
    if len(blob) < header:
        raise DataError(f"{path}: IDX header truncated; {REFETCH}")
    shape = tuple(int.from_bytes(blob[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(blob) != header + size:
        raise DataError(f"{path}: header says shape {shape} ({size} bytes of data) but the file "
                        f"holds {len(blob) - header}; truncated or corrupt: {REFETCH}")
    return np.frombuffer(blob, dtype=np.uint8, offset=header).reshape(shape)


def load_split(data_dir, split: str, verify: bool = True, dataset: str = "mnist"):
    """(images uint8 (N, 28, 28), labels uint8 (N,), {file name: sha256 of its content})."""
    sha = expected_sha256(dataset, verify)
    arrays, digests = [], {}
    for name, ndim in zip(SPLITS[split], (3, 1), strict=True):
        path = find(data_dir, name)
        if path is None:
            raise DataError(f"{Path(data_dir) / name}: missing (nor .gz); run "
                            f"`python -m trainer fetch --data-dir {data_dir}`")
        blob = read_verified(path, sha.get(name))
        digests[name] = sha.get(name) or hashlib.sha256(blob).hexdigest()
        arrays.append(parse_idx(blob, path, ndim))
    images, labels = arrays
    if images.shape[1:] != (SIDE, SIDE) or len(images) != len(labels):
        raise DataError(f"{data_dir}: {split} images {images.shape} and labels {labels.shape} "
                        "are not N 28x28 images with N labels; check the files")
    if labels.size and labels.max() > 9:
        raise DataError(f"{data_dir}: {split} label {labels.max()} is outside 0..9; "
                        "only 10-class datasets are supported")
    return images, labels, digests


def load(data_dir, split: str, verify: bool = True, dataset: str = "mnist"):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) for split "train" or "test"."""
    images, labels, _ = load_split(data_dir, split, verify, dataset)
    return images, labels
