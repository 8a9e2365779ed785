"""Integration on the real MNIST (fetched once per session by the mnist_dir fixture)."""

import dataclasses

import numpy as np
import pytest

from trainer.artifact import inference, store
from trainer.eval import evaluate
from trainer.run import train

pytestmark = pytest.mark.slow


def _run(tmp_path, mnist_dir, **changes):
    cfg = dataclasses.replace(train.Config(), **changes)
    return train.train(cfg, tmp_path / "m", mnist_dir, log=lambda msg: None)


def test_one_epoch_reaches_96_percent_and_evaluate_agrees(tmp_path, mnist_dir, mnist_test):
    # One epoch at a constant lr ends on a noisy step (0.952-0.967 over seeds); Adam with a
    # cosine decay to zero lands at 0.969-0.971 for seeds 0-2, well clear of the bar.
    manifest = _run(tmp_path, mnist_dir, epochs=1, optimizer="adam", lr=2e-3,
                    lr_schedule="cosine", batch_size=64)
    assert manifest["metrics"]["test_accuracy"] >= 0.96
    assert manifest["data"]["sha256"]["t10k-images-idx3-ubyte"].startswith("0fa7898d")
    model = store.load(tmp_path / "m")
    images, labels = mnist_test
    pred = model.probabilities(inference.as_inputs(images)).argmax(axis=1)
    assert np.mean(pred == labels) == manifest["metrics"]["test_accuracy"]
    assert evaluate.score(tmp_path / "m", mnist_dir)["accuracy"] == (
        manifest["metrics"]["test_accuracy"])


def test_default_keras_config_reaches_97_8_percent(tmp_path, mnist_dir):
    """784-512-10, RMSprop lr 1e-3, batch 128, 5 epochs: the classic Keras example.

    Seeds 0-3 give 0.9797-0.9809; the seed is fixed (0), so the run is repeatable.
    """
    manifest = _run(tmp_path, mnist_dir)
    assert manifest["training"]["hidden"] == [512] and manifest["training"]["epochs"] == 5
    assert manifest["metrics"]["test_accuracy"] >= 0.978
