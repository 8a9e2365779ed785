"""The pair network in the artifact: its framing, its readout, and attaching it to an
artifact whose digit network, version and other files stay as they were."""

import hashlib
import json

import numpy as np
import pytest

from trainer.artifact import pair, store
from trainer.artifact.integrity import ArtifactError
from trainer.nn import network


def test_a_pair_is_fitted_20_tall_and_centred_in_the_wide_field():
    ink = np.zeros((60, 140), np.float32)
    ink[10:50, 20:100] = 255.0  # a block twice as wide as tall: 20 x 40 once fitted
    framed = pair.frame(ink, 64.0)
    assert framed.shape == (pair.HEIGHT, pair.WIDTH) and framed.dtype == np.float32
    rows, cols = np.flatnonzero(framed.max(axis=1) > 0), np.flatnonzero(framed.max(axis=0) > 0)
    assert (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1) == (4, 24, 8, 48)
    assert framed.max() == 255 and np.all(framed == np.rint(framed))


def test_a_very_wide_pair_is_fitted_to_the_widest_box():
    ink = np.zeros((20, 200), np.float32)
    ink[5:15, 0:200] = 255.0  # 10 x 200: 48 wide, about 2 tall
    cols = np.flatnonzero(pair.frame(ink, 64.0).max(axis=0) > 0)
    assert cols[-1] + 1 - cols[0] == pair.BOX_WIDE


def test_the_best_pair_leaves_not_a_pair_out():
    probs = np.zeros((2, 101), np.float32)
    probs[0, [37, 100]] = (0.3, 0.7)  # not a pair is likelier, but 37 is the best pair
    probs[1, [5, 50]] = (0.6, 0.4)
    best, p = pair.best_pairs(probs)
    assert best.tolist() == [37, 5] and p.tolist() == pytest.approx([0.3, 0.6])
    assert pair.LABELS[37] == "37" and pair.LABELS[5] == "05" and len(pair.LABELS) == 101


@pytest.fixture
def pair_params():
    return network.init([pair.PIXELS, 8, len(pair.LABELS)], np.random.default_rng(3))


def test_attaching_keeps_the_digit_network_and_adds_a_verified_pair(tiny_model_dir,
                                                                    pair_params):
    (tiny_model_dir / "metrics.jsonl").write_text('{"epoch": 1}\n')
    before = store.load(tiny_model_dir)
    manifest = store.attach_pair(tiny_model_dir, pair_params, temperature=1.5)
    blob = (tiny_model_dir / "model.npz").read_bytes()
    assert manifest["files"]["model.npz"]["sha256"] == hashlib.sha256(blob).hexdigest()
    assert manifest["files"]["model.npz"]["sha256"] != before.manifest["files"][
        "model.npz"]["sha256"]
    after = store.load(tiny_model_dir)
    assert after.version == before.version and after.manifest["layers"] == before.manifest[
        "layers"]
    for (w0, b0), (w1, b1) in zip(before.params, after.params, strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    for (w0, b0), (w1, b1) in zip(pair_params, after.pair, strict=True):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)
    assert after.manifest["pair"]["temperature"] == 1.5
    assert after.manifest["pair"]["input"]["shape"] == [28, 56]
    assert (tiny_model_dir / "metrics.jsonl").read_text() == '{"epoch": 1}\n'
    assert before.pair is None


def test_attaching_again_replaces_the_pair(tiny_model_dir, pair_params):
    store.attach_pair(tiny_model_dir, pair_params)
    other = network.init([pair.PIXELS, 4, len(pair.LABELS)], np.random.default_rng(4))
    store.attach_pair(tiny_model_dir, other)
    assert store.load(tiny_model_dir).pair[0][0].shape == (pair.PIXELS, 4)


def test_a_pair_that_is_not_the_manifests_is_refused(tiny_model_dir, pair_params):
    store.attach_pair(tiny_model_dir, pair_params)
    path = tiny_model_dir / "model.json"
    manifest = json.loads(path.read_text())
    manifest["pair"]["weights_sha256"] = "0" * 64
    path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"pair\.weights_sha256"):
        store.load(tiny_model_dir)
    manifest["pair"]["layers"] = "dense"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"pair\.layers"):
        store.load(tiny_model_dir)
