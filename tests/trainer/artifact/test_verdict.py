"""The manifest's verdict, as the artifact applies it: against the network written out."""

import json

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from tests.helpers import reference
from trainer.artifact import inference, store
from trainer.artifact.integrity import ArtifactError


def _inputs(n: int = 64) -> np.ndarray:
    return np.random.default_rng(5).random((n, 784), dtype=np.float32)


@pytest.mark.parametrize("rule", ["top_probability", "negative_energy"])
def test_is_digit_and_confidence_follow_the_written_out_rule(tmp_path, rule):
    x = _inputs()
    write_tiny_model(tmp_path / "probe")
    z = reference.logits(store.load(tmp_path / "probe").params, x)
    p = reference.probabilities(store.load(tmp_path / "probe").params, x)
    score = p.max(axis=1) if rule == "top_probability" else np.log(np.exp(z).sum(axis=1))
    threshold = float(np.median(score))
    write_tiny_model(tmp_path / "m", verdict={"rule": rule, "threshold": threshold,
                                              "temperature": 0.5})
    prediction = store.load(tmp_path / "m").predict(x)
    scaled = np.exp(z / 0.5 - (z / 0.5).max(axis=1, keepdims=True))
    np.testing.assert_allclose(prediction.confidence,
                               (scaled / scaled.sum(axis=1, keepdims=True)).max(axis=1),
                               rtol=1e-5)
    close = np.abs(score - threshold) < 1e-5  # float32 against float64 at the boundary
    np.testing.assert_array_equal(prediction.is_digit[~close], (score >= threshold)[~close])
    assert prediction.is_digit.dtype == bool and 20 < prediction.is_digit.sum() < 44


def test_without_a_verdict_every_input_is_a_digit_with_its_top_probability(tiny_model_dir):
    model = store.load(tiny_model_dir)
    prediction = model.predict(_inputs())
    assert prediction.is_digit.all()
    np.testing.assert_array_equal(prediction.confidence, prediction.probabilities.max(axis=1))


@pytest.mark.parametrize("verdict", [
    {"rule": "top_probability", "threshold": 0.5},
    {"rule": "coin_toss", "threshold": 0.5, "temperature": 1.0},
    {"rule": "top_probability", "threshold": "high", "temperature": 1.0},
    {"rule": "top_probability", "threshold": 0.5, "temperature": 0.0},
    {"rule": "top_probability", "threshold": float("nan"), "temperature": 1.0}])
def test_a_broken_verdict_is_refused_naming_the_field(tmp_path, verdict):
    write_tiny_model(tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    manifest = json.loads(path.read_text())
    manifest["verdict"] = verdict
    path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="verdict"):
        store.load(tmp_path / "m")


def test_the_top_probability_is_the_top_of_the_softmax_bit_for_bit():
    """inference.top_probability (1 / the row's sum) against the softmax written out in
    float32, as predict() computed the confidence before: tolerance 0."""
    rng = np.random.default_rng(6)
    scales = np.repeat([0.01, 1.0, 30.0, 300.0], 1000)[:, None]
    z = (rng.standard_normal((4000, 10)) * scales).astype(np.float32)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    expected = (e / e.sum(axis=1, keepdims=True)).max(axis=1)
    got = inference.top_probability(z)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
