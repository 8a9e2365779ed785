"""Predictor life cycle: a bad artifact never serves; a good one answers as written out."""

import json
import logging
import re

import numpy as np
import pytest

from service.codec import predict as codec
from service.errors import NotReady
from service.model.predictor import Predictor
from tests.helpers import reference
from tests.helpers.artifacts import DAMAGES, WRONG_CONTENTS, write_raw
from trainer.artifact.inference import as_inputs


def error_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_good_model_is_ready_with_read_only_arrays(tiny_model_dir, caplog):
    predictor = Predictor(tiny_model_dir)
    assert not predictor.ready and predictor.reason
    with caplog.at_level(logging.INFO):
        assert predictor.load() is True
    assert predictor.ready and predictor.reason is None
    for w, b in predictor.model.params:
        assert not w.flags.writeable and not b.flags.writeable
    assert error_lines(caplog) == []


@pytest.mark.parametrize(("breaks", "says"), DAMAGES)
def test_bad_artifact_is_not_ready_with_one_log_line(tiny_model_dir, caplog, breaks, says):
    breaks(tiny_model_dir)
    predictor = Predictor(tiny_model_dir)
    assert predictor.load() is False
    assert not predictor.ready and predictor.model is None
    assert re.search(says, predictor.reason) and str(tiny_model_dir) in predictor.reason
    lines = error_lines(caplog)
    assert len(lines) == 1 and re.search(says, lines[0])
    with pytest.raises(NotReady):
        predictor.current()


@pytest.mark.parametrize(("breaks", "says"), WRONG_CONTENTS)
def test_contents_that_cannot_be_served_are_not_ready(tmp_path, caplog, breaks, says):
    breaks(tmp_path / "m")
    predictor = Predictor(tmp_path / "m")
    assert predictor.load() is False
    assert says in predictor.reason and len(error_lines(caplog)) == 1


def test_weights_that_overflow_are_not_ready(tmp_path):
    # Finite, so store.load accepts them, but the logits overflow to inf and softmax to NaN.
    params = [(np.full((784, 10), 3e38, dtype=np.float32), np.zeros(10, dtype=np.float32))]
    write_raw(tmp_path / "m", params)
    predictor = Predictor(tmp_path / "m")
    with np.errstate(over="ignore", invalid="ignore"):
        assert predictor.load() is False
    assert "non-finite probabilities" in predictor.reason


def test_the_served_model_and_its_answer_against_a_written_out_network(tiny_model_dir):
    predictor = Predictor(tiny_model_dir)
    predictor.load()
    model = predictor.current()
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.float32)
    prediction = model.predict(as_inputs(pixels))
    expected = reference.probabilities(model.params, pixels.reshape(3, 784) / 255.0)
    probs = prediction.probabilities
    assert probs.dtype == np.float32 and probs.shape == (3, 10)
    np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-5)
    body = json.loads(codec.answer(model, prediction, codec.Inputs(as_inputs(pixels), pixels)))
    assert [p["label"] for p in body["predictions"]] == expected.argmax(axis=1).tolist()
    assert body["model"] == {"name": "tiny-test", "version": model.version}
    assert [p["input"] for p in body["predictions"]] == pixels.astype(int).tolist()
    unseen = codec.Inputs(as_inputs(pixels), None)
    assert "input" not in json.loads(codec.answer(model, prediction, unseen))["predictions"][0]
