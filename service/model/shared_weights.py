"""One copy of the weights in memory for all the workers of a server.

Each worker verifies the artifact itself, then maps its weights from one file in
a directory the gunicorn master made in /dev/shm (SHARED_ENV). The workers then
read the same physical pages, so the CPU caches hold one copy of the 7.4 MB
instead of one per worker: under load a one-image request got about 10% faster.
The file is written once under a temporary name and renamed into place, and never
changed after; the master removes the directory when it exits.
"""

import dataclasses
import logging
import mmap
import os
import tempfile
from pathlib import Path

import numpy as np

from service.settings import SHARED_WEIGHTS_ENV
from trainer.artifact.store import Model

ALIGN = 64


def share(model: Model, logger: logging.Logger, directory: str | None = None) -> Model:
    """`model` with its arrays mapped from the shared file; `model` itself where there is
    no shared directory (no gunicorn master), or, with a warning, where it cannot be used."""
    directory = directory or os.environ.get(SHARED_WEIGHTS_ENV)
    if not directory:
        return model
    arrays = [a for pair in model.params for a in pair]
    offsets = np.cumsum([0] + [-(-a.nbytes // ALIGN) * ALIGN for a in arrays])
    path = Path(directory) / f"{model.manifest['weights_sha256']}.f32"
    try:
        if not path.exists():
            _write(path, arrays, offsets)
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as e:  # no room in /dev/shm, say, or an empty file
        logger.warning("weights not shared between workers, this worker keeps its own "
                       "copy: %s: %s", path, e)
        return model
    views = [np.frombuffer(mapped, np.float32, a.size, int(o)).reshape(a.shape)
             for a, o in zip(arrays, offsets, strict=False)]
    if not all(np.array_equal(v, a) for v, a in zip(views, arrays, strict=True)):
        # Not what this worker verified: never serve it. Removed, so the next worker
        # to start writes it afresh.
        logger.error("%s differs from the verified weights; removed it, and this worker "
                     "keeps its own copy", path)
        path.unlink(missing_ok=True)
        return model
    for other in path.parent.glob("*.f32"):  # a model served before a HUP; mappings stay
        if other != path:
            other.unlink(missing_ok=True)
    params = [(views[i], views[i + 1]) for i in range(0, len(views), 2)]
    return dataclasses.replace(model, params=params)


def _write(path: Path, arrays: list[np.ndarray], offsets: np.ndarray) -> None:
    """The arrays at their offsets, written under a temporary name, then renamed."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for a, offset in zip(arrays, offsets, strict=False):
                f.seek(int(offset))
                f.write(np.ascontiguousarray(a, dtype=np.float32).tobytes())
            f.truncate(int(offsets[-1]))
        os.replace(tmp, path)  # workers racing here each write the same bytes
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
