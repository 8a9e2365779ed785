"""Loading and verifying an artifact written by `trainer.artifact.save`."""

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from trainer.artifact import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    WEIGHTS_FILE,
    ArtifactError,
    Model,
    weights_sha256,
)

FIX = "re-export it with `python -m trainer train --out DIR` or point MODEL_DIR at a good model"


def load(model_dir) -> Model:
    """Read, verify and return the model in `model_dir`, or raise ArtifactError.

    Checks the manifest's format version, the sha256 of model.npz, every array's
    shape and dtype against the manifest's layers, finiteness, and the weights'
    digest. Arrays come back read-only; nothing is unpickled.
    """
    root = Path(model_dir)
    manifest = _read_manifest(root / MANIFEST_FILE)
    npz_path = root / WEIGHTS_FILE
    try:
        blob = npz_path.read_bytes()
    except OSError as e:
        raise ArtifactError(f"{npz_path}: cannot read ({e.strerror}); {FIX}") from e
    expected = manifest["files"][WEIGHTS_FILE]["sha256"]
    actual = hashlib.sha256(blob).hexdigest()
    if actual != expected:
        raise ArtifactError(f"{npz_path}: sha256 {actual[:12]}… does not match "
                            f"{MANIFEST_FILE} files.{WEIGHTS_FILE}.sha256 {expected[:12]}…; "
                            f"the file is truncated, corrupt or from another model; {FIX}")
    params = _read_params(npz_path, blob, manifest["layers"])
    digest = weights_sha256(params)
    if digest != manifest["weights_sha256"]:
        raise ArtifactError(f"{npz_path}: weights digest differs from {MANIFEST_FILE} "
                            f"weights_sha256; {FIX}")
    return Model(params=params, manifest=manifest, path=root)


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ArtifactError(f"{path}: missing; {FIX}") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ArtifactError(f"{path}: unreadable JSON ({e}); {FIX}") from e
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{path}: expected a JSON object; {FIX}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{path}: format_version {manifest.get('format_version')!r}, "
                            f"this code reads {FORMAT_VERSION}; {FIX}")
    for field in ("name", "version", "weights_sha256", "layers", "labels", "files"):
        if field not in manifest:
            raise ArtifactError(f"{path}: field {field!r} is missing; {FIX}")
    if not isinstance(manifest["files"].get(WEIGHTS_FILE, {}).get("sha256"), str):
        raise ArtifactError(f"{path}: field files.{WEIGHTS_FILE}.sha256 is missing; {FIX}")
    return manifest


def _read_params(npz_path: Path, blob: bytes, layers: list[dict]):
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError) as e:
        raise ArtifactError(f"{npz_path}: not a readable .npz ({e}); {FIX}") from e
    params = []
    for i, layer in enumerate(layers):
        pair = []
        for key, shape in ((f"W{i}", (layer["in"], layer["out"])), (f"b{i}", (layer["out"],))):
            arr = arrays.get(key)
            if arr is None or arr.shape != shape or arr.dtype != np.float32:
                got = "missing" if arr is None else f"{arr.dtype} {arr.shape}"
                raise ArtifactError(f"{npz_path}: array {key} should be float32 {shape}, "
                                    f"got {got}; {FIX}")
            if not np.all(np.isfinite(arr)):
                raise ArtifactError(f"{npz_path}: array {key} has NaN or Inf values; {FIX}")
            arr.setflags(write=False)
            pair.append(arr)
        params.append(tuple(pair))
    if len(arrays) != 2 * len(layers):
        raise ArtifactError(f"{npz_path}: {len(arrays)} arrays for {len(layers)} layers; {FIX}")
    return params
