"""Damaged artifacts: each way a model directory can break, and what must be said of it."""

import json

import pytest

from tests.conftest import write_tiny_model


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
