"""The gunicorn master's copy of the last artifact that passed its check.

A HUP replaces every worker, and each new worker loads MODEL_DIR afresh. Were the
artifact there broken (truncated, tampered, half copied by hand), every new worker
would be unready and the service would answer 503 until someone repaired it. So the
master checks the artifact on start and on each HUP, copies the very bytes it
checked into a directory of its own, and points the workers' MODEL_DIR there; a HUP
onto a broken artifact logs one error and the new workers load the last good copy.

The master's check is integrity only (the manifest parses, model.npz matches its
SHA-256), in the standard library: the master must not import numpy (see
gunicorn.conf.py). Each worker still runs the full verification of trainer.loader.
gunicorn.conf.py loads this file by path, so it imports nothing from the package.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

MANIFEST, WEIGHTS = "model.json", "model.npz"
# MODEL_DIR when unset: the model shipped beside the package (a source checkout).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"


class BrokenArtifact(Exception):
    """The artifact fails the integrity check; the message says which file and why."""


def read_checked(model_dir) -> tuple[bytes, bytes, str]:
    """(model.json bytes, model.npz bytes, version) once model.npz matches the manifest."""
    root = Path(model_dir)
    try:
        manifest_bytes = (root / MANIFEST).read_bytes()
        manifest = json.loads(manifest_bytes)
        expected = manifest["files"][WEIGHTS]["sha256"]
        version = str(manifest["version"])
        weights = (root / WEIGHTS).read_bytes()
    except OSError as e:
        raise BrokenArtifact(f"{e.filename}: cannot read ({e.strerror})") from e
    except (ValueError, KeyError, TypeError) as e:
        raise BrokenArtifact(f"{root / MANIFEST}: no files.{WEIGHTS}.sha256 or version "
                             f"({type(e).__name__}: {e})") from e
    actual = hashlib.sha256(weights).hexdigest()
    if actual != expected:
        raise BrokenArtifact(f"{root / WEIGHTS}: sha256 {actual[:12]}… does not match "
                             f"{MANIFEST} files.{WEIGHTS}.sha256 {str(expected)[:12]}…; the "
                             "file is truncated, corrupt or still being written")
    return manifest_bytes, weights, version


def keep(model_dir, store) -> tuple[Path, str]:
    """Copies the checked artifact in `model_dir` into `store`; returns (copy, version).

    Earlier copies are removed: workers hold their model in memory once loaded.
    Raises BrokenArtifact (and leaves `store` as it was) when the check fails.
    """
    manifest_bytes, weights, version = read_checked(model_dir)
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)  # another master may have removed it on exit
    copy = store / hashlib.sha256(manifest_bytes).hexdigest()[:16]
    if not copy.is_dir():
        incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=store))
        (incoming / MANIFEST).write_bytes(manifest_bytes)
        (incoming / WEIGHTS).write_bytes(weights)
        os.rename(incoming, copy)
    for old in store.iterdir():
        if old != copy:
            shutil.rmtree(old, ignore_errors=True)
    return copy, version
