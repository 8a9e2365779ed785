"""Workers map one shared copy of the weights; what they serve is what they verified."""

import numpy as np

from service import shared_weights
from tests.conftest import write_tiny_model
from trainer import artifact


def test_two_loads_map_the_same_file_with_equal_read_only_arrays(tmp_path):
    write_tiny_model(tmp_path / "m")
    first = shared_weights.share(artifact.load(tmp_path / "m"), str(tmp_path))
    second = shared_weights.share(artifact.load(tmp_path / "m"), str(tmp_path))
    reference = artifact.load(tmp_path / "m")
    (stored,) = tmp_path.glob("*.f32")
    for model in (first, second):
        for (w, b), (rw, rb) in zip(model.params, reference.params, strict=True):
            np.testing.assert_array_equal(w, rw)
            np.testing.assert_array_equal(b, rb)
            assert not w.flags.writeable and w.flags.aligned and w.base is not None
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(first.probabilities(x), reference.probabilities(x))
    assert stored.stat().st_size % shared_weights.ALIGN == 0


def test_a_file_that_differs_from_the_verified_weights_is_not_used(tmp_path):
    write_tiny_model(tmp_path / "m")
    model = artifact.load(tmp_path / "m")
    path = tmp_path / f"{model.manifest['weights_sha256']}.f32"
    shared_weights.share(model, str(tmp_path))
    path.write_bytes(b"\0" * path.stat().st_size)  # tampered after it was written
    assert shared_weights.share(model, str(tmp_path)) is model


def test_without_a_shared_dir_the_model_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv(shared_weights.SHARED_ENV, raising=False)
    write_tiny_model(tmp_path / "m")
    model = artifact.load(tmp_path / "m")
    assert shared_weights.share(model) is model
    assert shared_weights.share(model, str(tmp_path / "missing")) is model


def test_the_file_of_an_older_model_is_removed(tmp_path):
    write_tiny_model(tmp_path / "a", seed=1)
    write_tiny_model(tmp_path / "b", seed=2)
    shared_weights.share(artifact.load(tmp_path / "a"), str(tmp_path))
    newer = shared_weights.share(artifact.load(tmp_path / "b"), str(tmp_path))
    assert [p.name for p in tmp_path.glob("*.f32")] == [
        f"{newer.manifest['weights_sha256']}.f32"]
