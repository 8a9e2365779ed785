"""The artifact format: what load() accepts, and every way it refuses a bad model."""

import hashlib
import json

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from tests.helpers import reference
from tests.helpers.artifacts import DAMAGES
from trainer.artifact import integrity, store
from trainer.nn import network


def test_round_trip_gives_read_only_identical_weights(tmp_path):
    params = network.init([784, 8, 10], np.random.default_rng(3))
    manifest = store.save(tmp_path / "m", params, metrics={"test_accuracy": 0.5})
    model = store.load(tmp_path / "m")
    assert model.version == manifest["version"] == manifest["weights_sha256"][:12]
    for (w, b), (w2, b2) in zip(params, model.params, strict=True):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)
        assert not w2.flags.writeable and not b2.flags.writeable
    assert model.manifest["layers"][-1] == {"type": "dense", "in": 8, "out": 10,
                                            "activation": "softmax"}
    assert model.manifest["metrics"]["test_accuracy"] == 0.5


def test_probabilities_and_labels_against_the_written_out_network(tiny_model_dir):
    model = store.load(tiny_model_dir)
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    expected = reference.probabilities(model.params, x)
    p = model.probabilities(x)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, expected, atol=1e-6)
    prediction = model.predict(x)
    np.testing.assert_array_equal(prediction.probabilities, p)
    assert prediction.labels == [str(i) for i in expected.argmax(axis=1)]


def test_probabilities_refuse_float64_and_wrong_width(tiny_model_dir):
    model = store.load(tiny_model_dir)
    with pytest.raises(ValueError, match="float32"):
        model.probabilities(np.zeros((1, 784)))
    with pytest.raises(ValueError, match="784"):
        model.probabilities(np.zeros((1, 783), np.float32))


def test_nan_weights_are_never_exported(tmp_path):
    params = network.init([784, 4, 10], np.random.default_rng(0))
    params[1][0][0, 0] = np.nan
    with pytest.raises(integrity.ArtifactError, match="W1 has NaN"):
        store.save(tmp_path / "m", params)
    assert not (tmp_path / "m").exists()
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_an_existing_artifact_whole(tmp_path):
    first = write_tiny_model(tmp_path / "m", seed=1)
    second = write_tiny_model(tmp_path / "m", seed=2)
    assert first["version"] != second["version"]
    assert store.load(tmp_path / "m").version == second["version"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


@pytest.mark.parametrize(("damage", "message"), DAMAGES)
def test_damaged_artifacts_are_refused_naming_the_file(tiny_model_dir, damage, message):
    damage(tiny_model_dir)
    with pytest.raises(integrity.ArtifactError, match=message) as err:
        store.load(tiny_model_dir)
    assert str(tiny_model_dir) in str(err.value)


def _edit_manifest(model_dir, edit):
    path = model_dir / "model.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def test_manifest_shapes_must_match_the_arrays(tiny_model_dir):
    _edit_manifest(tiny_model_dir, lambda m: m["layers"][0].update({"out": 17}))
    with pytest.raises(integrity.ArtifactError, match=r"W0 should be float32 \(784, 17\)"):
        store.load(tiny_model_dir)


def test_unknown_format_version_is_refused(tiny_model_dir):
    _edit_manifest(tiny_model_dir, lambda m: m.update({"format_version": 99}))
    with pytest.raises(integrity.ArtifactError, match="format_version 99"):
        store.load(tiny_model_dir)


def test_nan_weights_with_a_matching_checksum_are_refused(tmp_path):
    """A consistent manifest does not make NaN weights servable."""
    params = network.init([784, 4, 10], np.random.default_rng(0))
    write_tiny_model(tmp_path / "m", hidden=(4,))
    arrays = {f"W{i}": w for i, (w, _) in enumerate(params)}
    arrays.update({f"b{i}": b for i, (_, b) in enumerate(params)})
    arrays["b0"] = arrays["b0"].copy()
    arrays["b0"][0] = np.inf
    np.savez(tmp_path / "m" / "model.npz", **arrays)

    sha = hashlib.sha256((tmp_path / "m" / "model.npz").read_bytes()).hexdigest()
    _edit_manifest(tmp_path / "m", lambda m: m["files"]["model.npz"].update({"sha256": sha}))
    with pytest.raises(integrity.ArtifactError, match="b0 has NaN or Inf"):
        store.load(tmp_path / "m")


def test_pickled_object_arrays_are_refused(tiny_model_dir):
    arrays = {"W0": np.array([{"evil": 1}], dtype=object)}
    np.savez(tiny_model_dir / "model.npz", **arrays)

    sha = hashlib.sha256((tiny_model_dir / "model.npz").read_bytes()).hexdigest()
    _edit_manifest(tiny_model_dir, lambda m: m["files"]["model.npz"].update({"sha256": sha}))
    with pytest.raises(integrity.ArtifactError, match=r"model\.npz"):
        store.load(tiny_model_dir)
