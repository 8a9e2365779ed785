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
PAIR = "pair_"  # the pair network's arrays in model.npz: pair_W0, pair_b0, ...


@dataclass(frozen=True)
class Model:
    """A loaded, verified model. `params` arrays are read-only float32."""

    params: Params
    manifest: dict
    path: Path
    verdict: inference.Verdict | None = None  # the manifest's "verdict", checked
    pair: Params | None = None  # the pair network (pair.py), for /read alone

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


def _named_arrays(params: Params, prefix: str = ""):
    for i, (w, b) in enumerate(params):
        yield f"{prefix}W{i}", w
        yield f"{prefix}b{i}", b


def _layers(params: Params) -> list[dict]:
    last = len(params) - 1
    return [{"type": "dense", "in": int(w.shape[0]), "out": int(w.shape[1]),
             "activation": "softmax" if i == last else "relu"}
            for i, (w, _) in enumerate(params)]


def build_manifest(params: Params, npz_sha256: str, **fields) -> dict:
    """The manifest for `params`; `fields` adds name, labels, training, metrics, data."""
    digest = weights_sha256(params)
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": fields.pop("name", "mnist-mlp"),
        "version": digest[:12],
        "weights_sha256": digest,
        "layers": _layers(params),
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
    arrays = _read_arrays(root / WEIGHTS_FILE, checked.weights)
    params = _read_params(root / WEIGHTS_FILE, arrays, checked.manifest["layers"])
    _check_digest(root, params, checked.manifest.get("weights_sha256"), "weights_sha256")
    pair = checked.manifest.get("pair")
    if pair is not None:
        pair = _read_params(root / WEIGHTS_FILE, arrays, _pair_layers(root, pair), PAIR)
        _check_digest(root, pair, checked.manifest["pair"].get("weights_sha256"),
                      "pair.weights_sha256")
    digit_arrays = sum(1 for key in arrays if not key.startswith(PAIR))
    if digit_arrays != 2 * len(checked.manifest["layers"]) or (
            len(arrays) - digit_arrays != (0 if pair is None else 2 * len(pair))):
        raise ArtifactError(f"{root / WEIGHTS_FILE}: {len(arrays)} arrays, not those of "
                            f"{MANIFEST_FILE}'s layers (and pair.layers); {FIX}")
    return Model(params=params, manifest=checked.manifest, path=root,
                 verdict=_verdict(checked.manifest, root / MANIFEST_FILE), pair=pair)


def _check_digest(root: Path, params: Params, expected, field: str) -> None:
    if weights_sha256(params) != expected:
        raise ArtifactError(f"{root / WEIGHTS_FILE}: weights digest differs from "
                            f"{MANIFEST_FILE} {field}; {FIX}")


def _pair_layers(root: Path, pair) -> list[dict]:
    layers = pair.get("layers") if isinstance(pair, dict) else None
    if not (isinstance(layers, list) and layers and all(
            isinstance(x, dict) and isinstance(x.get("in"), int)
            and isinstance(x.get("out"), int) for x in layers)):
        raise ArtifactError(f"{root / MANIFEST_FILE}: field pair.layers should be a list of "
                            f"{{in, out}} layers; {FIX}")
    return layers


def attach_pair(model_dir, pair: Params, **fields) -> dict:
    """Put the pair network (pair.py) into the verified artifact at `model_dir`, replacing
    any there, in one atomic swap of the directory: model.npz gains its arrays (a new
    sha256 in the manifest's files), model.json its "pair" section (layers, input,
    labels, weights_sha256 and `fields`). The digit network and every other file stay
    as they were. Returns the new manifest."""
    from trainer.artifact import pair as pair_spec

    root = Path(model_dir)
    model = load(root)
    buf = io.BytesIO()
    np.savez(buf, **dict(_named_arrays(model.params)), **dict(_named_arrays(pair, PAIR)))
    manifest = dict(model.manifest)
    manifest["pair"] = {"layers": _layers(pair), "input": pair_spec.INPUT_SPEC,
                        "labels": list(pair_spec.LABELS),
                        "weights_sha256": weights_sha256(pair), **fields}
    manifest["files"] = {**manifest["files"],
                         WEIGHTS_FILE: {"sha256": hashlib.sha256(buf.getvalue()).hexdigest()}}

    def fill(directory: Path) -> None:
        for other in root.iterdir():
            if other.is_file() and other.name not in (WEIGHTS_FILE, MANIFEST_FILE):
                shutil.copy2(other, directory / other.name)
        (directory / WEIGHTS_FILE).write_bytes(buf.getvalue())
        (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")

    atomic.publish_dir(root, fill)
    return manifest


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


def _read_arrays(npz_path: Path, blob: bytes) -> dict:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError) as e:
        raise ArtifactError(f"{npz_path}: not a readable .npz ({e}); {FIX}") from e


def _read_params(npz_path: Path, arrays: dict, layers: list[dict], prefix: str = "") -> Params:
    params = []
    for i, layer in enumerate(layers):
        pair = []
        for key, shape in ((f"{prefix}W{i}", (layer["in"], layer["out"])),
                           (f"{prefix}b{i}", (layer["out"],))):
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
    return params
