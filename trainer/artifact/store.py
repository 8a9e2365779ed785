"""The model artifact, DIR/model.npz (weights) + DIR/model.json (manifest): written
and read here, and nowhere else.

`save` publishes both files in one atomic directory swap; `load` runs the
integrity check (integrity.py), then checks every array against the
manifest. Arrays load with allow_pickle=False and come back read-only.
"""

import datetime as dt
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.artifact import SIDE, atomic, inference, integrity
from trainer.artifact.inference import Params
from trainer.artifact.integrity import (
    FIX,
    FORMAT_VERSION,
    MANIFEST_FILE,
    WEIGHTS_FILE,
    ArtifactError,
)

INPUT_SPEC = {
    "shape": [SIDE, SIDE],
    "color": "grayscale",
    "dtype": "float32",
    "scale": "pixel / 255",
    "polarity": "white digit on black background, as in MNIST",
}


@dataclass(frozen=True)
class Model:
    """A loaded, verified model. `params` arrays are read-only float32."""

    params: Params
    manifest: dict
    path: Path
    verdict: inference.Verdict | None = None  # the manifest's "verdict", checked

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

    def predict(self, x: np.ndarray) -> inference.Prediction:
        """Probabilities, labels and verdicts for float32 inputs (B, 784) in [0, 1]."""
        return inference.predict(self.params, x, self.labels, self.verdict)


def weights_sha256(params: Params) -> str:
    """Digest of names, shapes, dtypes and bytes of every array, in layer order."""
    h = hashlib.sha256()
    for key, arr in _named_arrays(params):
        h.update(f"{key}:{arr.dtype.str}:{arr.shape};".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _named_arrays(params: Params):
    for i, (w, b) in enumerate(params):
        yield f"W{i}", w
        yield f"b{i}", b


def build_manifest(params: Params, npz_sha256: str, **fields) -> dict:
    """The manifest for `params`; `fields` adds name, labels, training, metrics, data."""
    digest = weights_sha256(params)
    last = len(params) - 1
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": fields.pop("name", "mnist-mlp"),
        "version": digest[:12],
        "weights_sha256": digest,
        "layers": [{"type": "dense", "in": int(w.shape[0]), "out": int(w.shape[1]),
                    "activation": "softmax" if i == last else "relu"}
                   for i, (w, _) in enumerate(params)],
        "input": INPUT_SPEC,
        "labels": fields.pop("labels", [str(d) for d in range(params[-1][0].shape[1])]),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": {WEIGHTS_FILE: {"sha256": npz_sha256}},
    }
    manifest.update(fields)
    return manifest


def save(out_dir, params: Params, extras=(), **fields) -> dict:
    """Publish the artifact at `out_dir` in one swap and return its manifest.

    A reader sees the old pair of files or the new pair, never a mix. `extras` are
    files (e.g. metrics.jsonl) copied in beside them.
    """
    for key, arr in _named_arrays(params):
        if not np.all(np.isfinite(arr)):
            raise ArtifactError(f"{out_dir}: refusing to export, {key} has NaN or Inf values; "
                                "lower the learning rate or check the data")
    buf = io.BytesIO()
    np.savez(buf, **dict(_named_arrays(params)))
    manifest = build_manifest(params, hashlib.sha256(buf.getvalue()).hexdigest(), **fields)

    def fill(directory: Path) -> None:
        (directory / WEIGHTS_FILE).write_bytes(buf.getvalue())
        (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        for extra in extras:
            shutil.copy2(extra, directory / Path(extra).name)

    atomic.publish_dir(out_dir, fill)
    return manifest


def load(model_dir) -> Model:
    """Read, verify and return the model in `model_dir`, or raise ArtifactError.

    Beyond the integrity check: every array's shape and dtype against the manifest's
    layers, finiteness, and the weights' digest. Nothing is unpickled.
    """
    checked = integrity.check(model_dir)
    root = Path(model_dir)
    params = _read_params(root / WEIGHTS_FILE, checked.weights, checked.manifest["layers"])
    if weights_sha256(params) != checked.manifest["weights_sha256"]:
        raise ArtifactError(f"{root / WEIGHTS_FILE}: weights digest differs from "
                            f"{MANIFEST_FILE} weights_sha256; {FIX}")
    return Model(params=params, manifest=checked.manifest, path=root,
                 verdict=_verdict(checked.manifest, root / MANIFEST_FILE))


def _verdict(manifest: dict, path: Path) -> inference.Verdict | None:
    """The manifest's "verdict" (absent in models trained before it existed), checked."""
    fields = manifest.get("verdict")
    if fields is None:
        return None
    try:
        verdict = inference.Verdict(str(fields["rule"]), float(fields["threshold"]),
                                    float(fields["temperature"]))
    except (TypeError, KeyError, ValueError) as e:
        raise ArtifactError(f"{path}: field verdict needs a rule and the numbers threshold "
                            f"and temperature ({e}); {FIX}") from e
    if verdict.rule not in inference.SCORES:
        raise ArtifactError(f"{path}: verdict rule {verdict.rule[:40]!r} is none of "
                            f"{', '.join(inference.SCORES)}; {FIX}")
    if not (np.isfinite(verdict.threshold) and verdict.temperature > 0
            and np.isfinite(verdict.temperature)):
        raise ArtifactError(f"{path}: field verdict has a non-finite threshold or a "
                            f"temperature that is not positive; {FIX}")
    return verdict


def _read_params(npz_path: Path, blob: bytes, layers: list[dict]) -> Params:
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
