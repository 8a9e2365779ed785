"""The model artifact: DIR/model.npz (weights) + DIR/model.json (manifest).

This module owns the format and the inference forward pass. The trainer's
evaluation and the service both call `Model.probabilities`, so there is one
definition of "what the model says" and no training/serving skew.
"""

import ctypes
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer import inference, network

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.npz"
MANIFEST_FILE = "model.json"
INPUT_SPEC = {
    "shape": [28, 28],
    "color": "grayscale",
    "dtype": "float32",
    "scale": "pixel / 255",
    "polarity": "white digit on black background, as in MNIST",
}


class ArtifactError(Exception):
    """A model directory that cannot be trusted; the message says where and how to fix it."""


@dataclass(frozen=True)
class Model:
    """A loaded, verified model. `params` arrays are read-only float32."""

    params: network.Params
    manifest: dict
    path: Path

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def labels(self) -> list[str]:
        return self.manifest["labels"]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities (B, K) for float32 inputs (B, 784) scaled to [0, 1]."""
        return inference.probabilities(self.params, x)


def weights_sha256(params: network.Params) -> str:
    """Digest of names, shapes, dtypes and bytes of every array, in layer order."""
    h = hashlib.sha256()
    for key, arr in _named_arrays(params):
        h.update(f"{key}:{arr.dtype.str}:{arr.shape};".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _named_arrays(params: network.Params):
    for i, (w, b) in enumerate(params):
        yield f"W{i}", w
        yield f"b{i}", b


def layer_specs(params: network.Params) -> list[dict]:
    last = len(params) - 1
    return [{"type": "dense", "in": int(w.shape[0]), "out": int(w.shape[1]),
             "activation": "softmax" if i == last else "relu"}
            for i, (w, _) in enumerate(params)]


def build_manifest(params: network.Params, npz_sha256: str, **fields) -> dict:
    """The manifest for `params`; `fields` adds name, labels, training, metrics, data."""
    digest = weights_sha256(params)
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": fields.pop("name", "mnist-mlp"),
        "version": digest[:12],
        "weights_sha256": digest,
        "layers": layer_specs(params),
        "input": INPUT_SPEC,
        "labels": fields.pop("labels", [str(d) for d in range(params[-1][0].shape[1])]),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": {WEIGHTS_FILE: {"sha256": npz_sha256}},
    }
    manifest.update(fields)
    return manifest


def save(out_dir, params: network.Params, extras=(), **fields) -> dict:
    """Write the artifact to `out_dir` atomically and return its manifest.

    Both files are written into a fresh sibling directory, fsynced, then swapped
    with `out_dir` in one rename, so a reader sees the old pair or the new pair,
    never a mix. `extras` are files (e.g. metrics.jsonl) copied in beside them.
    """
    for key, arr in _named_arrays(params):
        if not np.all(np.isfinite(arr)):
            raise ArtifactError(f"{out_dir}: refusing to export, {key} has NaN or Inf values; "
                                "lower the learning rate or check the data")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        # mkdtemp makes the directory 0700; a service running as another user must read it.
        tmp.chmod(0o755)
        buf = io.BytesIO()
        np.savez(buf, **dict(_named_arrays(params)))
        _write_synced(tmp / WEIGHTS_FILE, buf.getvalue())
        manifest = build_manifest(params, hashlib.sha256(buf.getvalue()).hexdigest(), **fields)
        _write_synced(tmp / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode())
        for extra in extras:
            shutil.copy2(extra, tmp / Path(extra).name)
        _fsync_dir(tmp)
        _swap_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2


def _swap_into_place(new: Path, out: Path) -> None:
    """Make `new` appear at `out`; afterwards `new` holds the old contents (if any)."""
    if not out.exists():
        os.rename(new, out)
    elif not _exchange(new, out):
        # No renameat2 (not Linux, or an old kernel): two renames. A reader in the gap
        # sees no model at all, which it reports, rather than a mix of two models.
        old = new.with_name(new.name + ".old")
        os.rename(out, old)
        os.rename(new, out)
        os.rename(old, new)
    _fsync_dir(out.parent)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0
