"""The integrity check of an artifact: its manifest parses and model.npz is the file
it names, by SHA-256. Standard library only, so that the gunicorn master, which
must not import numpy, runs the same check as the loader."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.npz"
MANIFEST_FILE = "model.json"
METRICS_FILE = "metrics.jsonl"  # one JSON line per epoch, written by the run, kept beside
FIELDS = ("name", "version", "weights_sha256", "layers", "labels", "files")
FIX = ("re-export it with `python -m trainer train --out DIR`, or use another model "
       "directory")


class ArtifactError(Exception):
    """A model directory that cannot be trusted; the message says where and how to fix it."""


@dataclass(frozen=True)
class Checked:
    """The bytes that passed the check, to be used as they are (not read again)."""

    manifest: dict
    manifest_bytes: bytes
    weights: bytes


def check(model_dir) -> Checked:
    """Read model.json and model.npz from `model_dir`; ArtifactError unless they agree."""
    root = Path(model_dir)
    manifest_bytes = _read(root / MANIFEST_FILE)
    manifest = _parse(root / MANIFEST_FILE, manifest_bytes)
    weights = _read(root / WEIGHTS_FILE)
    expected = manifest["files"][WEIGHTS_FILE]["sha256"]
    actual = hashlib.sha256(weights).hexdigest()
    if actual != expected:
        raise ArtifactError(f"{root / WEIGHTS_FILE}: sha256 {actual[:12]}… does not match "
                            f"{MANIFEST_FILE} files.{WEIGHTS_FILE}.sha256 {expected[:12]}…; "
                            f"the file is truncated, corrupt, still being written or from "
                            f"another model; {FIX}")
    return Checked(manifest, manifest_bytes, weights)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise ArtifactError(f"{path}: missing; {FIX}") from e
    except OSError as e:
        raise ArtifactError(f"{path}: cannot read ({e.strerror}); {FIX}") from e


def _parse(path: Path, blob: bytes) -> dict:
    try:
        manifest = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ArtifactError(f"{path}: unreadable JSON ({e}); {FIX}") from e
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{path}: expected a JSON object; {FIX}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{path}: format_version {manifest.get('format_version')!r}, "
                            f"this code reads {FORMAT_VERSION}; {FIX}")
    for field in FIELDS:
        if field not in manifest:
            raise ArtifactError(f"{path}: field {field!r} is missing; {FIX}")
    files = manifest["files"]
    if not (isinstance(files, dict) and isinstance(files.get(WEIGHTS_FILE), dict)
            and isinstance(files[WEIGHTS_FILE].get("sha256"), str)):
        raise ArtifactError(f"{path}: field files.{WEIGHTS_FILE}.sha256 is missing; {FIX}")
    return manifest
