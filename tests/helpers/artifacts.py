"""Damaged artifacts: each way a model directory can break, and what must be said of it."""

import hashlib
import io
import json

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from trainer.artifact import store
from trainer.nn import network


def _truncate(d):
    blob = (d / "model.npz").read_bytes()
    (d / "model.npz").write_bytes(blob[: len(blob) // 2])


def _other_models_weights(d):
    other = d.parent / "other"
    write_tiny_model(other, seed=9)
    (d / "model.npz").write_bytes((other / "model.npz").read_bytes())


def _drop_files_field(d):
    manifest = json.loads((d / "model.json").read_text())
    del manifest["files"]
    (d / "model.json").write_text(json.dumps(manifest))


DAMAGES = [
    pytest.param(lambda d: (d / "model.json").unlink(), "model.json: missing", id="no-json"),
    pytest.param(lambda d: (d / "model.npz").unlink(), "model.npz: missing", id="no-npz"),
    pytest.param(_truncate, r"model.npz: sha256 .* does not match", id="truncated"),
    pytest.param(_other_models_weights, "does not match", id="other-weights"),
    pytest.param(lambda d: (d / "model.json").write_text("{not json"), "unreadable JSON",
                 id="bad-json"),
    pytest.param(_drop_files_field, "field 'files' is missing", id="no-files-field"),
]


def write_raw(model_dir, params, **overrides):
    """An artifact whose manifest matches its npz byte for byte, bypassing save()'s checks."""
    model_dir.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    arrays = {f"{k}{i}": a for i, (w, b) in enumerate(params) for k, a in (("W", w), ("b", b))}
    np.savez(buf, **arrays)
    (model_dir / "model.npz").write_bytes(buf.getvalue())
    manifest = store.build_manifest(params, hashlib.sha256(buf.getvalue()).hexdigest())
    manifest.update(overrides)
    (model_dir / "model.json").write_text(json.dumps(manifest))


def _nan_weights(d):
    params = network.init([784, 8, 10], np.random.default_rng(0))
    params[0][0][3, 3] = np.nan
    write_raw(d, params)


# Artifacts whose SHA-256 matches their manifest but whose contents cannot be served.
WRONG_CONTENTS = [
    pytest.param(_nan_weights, "NaN", id="nan-weights"),
    pytest.param(lambda d: write_raw(d, network.init([100, 8, 10], np.random.default_rng(0))),
                 "takes 100 inputs", id="wrong-shape"),
    pytest.param(lambda d: write_raw(d, network.init([784, 8, 3], np.random.default_rng(0)),
                                     labels=["cat", "dog", "cow"]), "labels", id="bad-labels"),
]
