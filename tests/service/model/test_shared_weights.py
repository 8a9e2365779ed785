"""Workers map one shared copy of the weights; what they serve is what they verified."""

import logging

import numpy as np

from service.model import shared_weights
from service.settings import SHARED_WEIGHTS_ENV
from tests.conftest import write_tiny_model
from trainer.artifact import store

LOG = logging.getLogger("tests.shared_weights")


def test_two_loads_map_the_same_file_with_equal_read_only_arrays(tmp_path):
    write_tiny_model(tmp_path / "m")
    first = shared_weights.share(store.load(tmp_path / "m"), LOG, str(tmp_path))
    second = shared_weights.share(store.load(tmp_path / "m"), LOG, str(tmp_path))
    reference = store.load(tmp_path / "m")
    (stored,) = tmp_path.glob("*.f32")
    for model in (first, second):
        for (w, b), (rw, rb) in zip(model.params, reference.params, strict=True):
            np.testing.assert_array_equal(w, rw)
            np.testing.assert_array_equal(b, rb)
            assert not w.flags.writeable and w.flags.aligned and w.base is not None
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(first.probabilities(x), reference.probabilities(x))
    assert stored.stat().st_size % shared_weights.ALIGN == 0


def test_a_file_that_differs_from_the_verified_weights_is_not_used(tmp_path, caplog):
    write_tiny_model(tmp_path / "m")
    model = store.load(tmp_path / "m")
    path = tmp_path / f"{model.manifest['weights_sha256']}.f32"
    shared_weights.share(model, LOG, str(tmp_path))
    path.write_bytes(b"\0" * path.stat().st_size)  # tampered after it was written
    assert shared_weights.share(model, LOG, str(tmp_path)) is model
    assert "differs from the verified weights" in caplog.text and str(path) in caplog.text
    assert not path.exists()  # so that the next worker to start writes it afresh
    assert shared_weights.share(model, LOG, str(tmp_path)) is not model


def test_a_shared_dir_that_cannot_be_used_is_said_in_the_log(tmp_path, caplog):
    write_tiny_model(tmp_path / "m")
    model = store.load(tmp_path / "m")
    assert shared_weights.share(model, LOG, str(tmp_path / "missing")) is model
    assert "weights not shared between workers" in caplog.text


def test_without_a_shared_dir_the_model_is_kept(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(SHARED_WEIGHTS_ENV, raising=False)
    write_tiny_model(tmp_path / "m")
    model = store.load(tmp_path / "m")
    assert shared_weights.share(model, LOG) is model
    assert caplog.text == ""  # no gunicorn master, nothing to share: not a problem


def test_the_file_of_an_older_model_is_removed(tmp_path):
    write_tiny_model(tmp_path / "a", seed=1)
    write_tiny_model(tmp_path / "b", seed=2)
    shared_weights.share(store.load(tmp_path / "a"), LOG, str(tmp_path))
    newer = shared_weights.share(store.load(tmp_path / "b"), LOG, str(tmp_path))
    assert [p.name for p in tmp_path.glob("*.f32")] == [
        f"{newer.manifest['weights_sha256']}.f32"]
