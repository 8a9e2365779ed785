"""Attaching a trained pair network to another artifact (after the digit network was
retrained): the pair as it was, the digit network as it is, the number's confidence
calibrated anew."""

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from trainer.artifact import pair, store
from trainer.artifact.integrity import ArtifactError
from trainer.nn import network
from trainer.run import number
from trainer.run import pair as pair_run


def test_a_pair_network_moves_to_a_retrained_artifact(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.setattr(number, "NUMBERS", 12)
    old, new = tmp_path / "old", tmp_path / "new"
    write_tiny_model(old, seed=1)
    write_tiny_model(new, seed=2)
    params = network.init([pair.PIXELS, 8, len(pair.LABELS)], np.random.default_rng(0))
    store.attach_pair(old, params, temperature=1.25)
    before = store.load(new)
    manifest = pair_run.attach_from(new, old, mnist_dir, log=lambda _: None)
    after = store.load(new)
    assert after.version == before.version
    np.testing.assert_array_equal(after.params[0][0], before.params[0][0])
    for (w0, b0), (w1, b1) in zip(params, after.pair, strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    assert manifest["pair"]["temperature"] == 1.25
    fitted = after.manifest["pair"]["number_confidence"]
    assert fitted["numbers"] == 12 and np.isfinite([fitted["a"], fitted["b"]]).all()


def test_an_artifact_without_a_pair_network_has_none_to_give(tmp_path, mnist_dir):
    write_tiny_model(tmp_path / "a")
    write_tiny_model(tmp_path / "b")
    with pytest.raises(ArtifactError, match="no pair network"):
        pair_run.attach_from(tmp_path / "b", tmp_path / "a", mnist_dir)
