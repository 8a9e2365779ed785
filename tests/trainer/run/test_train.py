"""Training runs on tiny synthetic data: learning, repeatability, interrupt/resume, export."""

import dataclasses
import json
import os
import shutil
import signal

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from tests.trainer._synth import write_dataset, write_idx
from trainer.artifact import atomic, inference, store
from trainer.cli.commands import main
from trainer.data import idx
from trainer.eval import evaluate
from trainer.run import train
from trainer.run.loop import TrainError

BASE = train.Config(hidden=(32,), optimizer="adam", lr=3e-3, batch_size=32, epochs=3,
                    seed=1, verify=False)


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("synth"))


def _train(cfg, out, synth_dir, **kwargs):
    return train.train(cfg, out, synth_dir, log=lambda msg: None, **kwargs)


def _weights(model_dir):
    return [a for pair in store.load(model_dir).params for a in pair]


def test_a_small_run_learns_and_records_everything(tmp_path, synth_dir):
    cfg = dataclasses.replace(BASE, val_split=0.2, dropout=0.1, weight_decay=1e-4,
                              lr_schedule="cosine")
    manifest = _train(cfg, tmp_path / "m", synth_dir)
    rows = [json.loads(line) for line in (tmp_path / "m" / "metrics.jsonl").open()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] / 2
    assert manifest["metrics"]["test_accuracy"] >= 0.9  # chance is 0.1
    assert len(manifest["metrics"]["per_class_accuracy"]) == 10
    assert manifest["training"] == cfg.as_json()
    assert set(manifest["data"]["sha256"]) == {"train-images-idx3-ubyte",
                                               "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
    assert not (tmp_path / ".m.training").exists()


def test_same_seed_same_weights_other_seed_other_weights(tmp_path, synth_dir):
    cfg = dataclasses.replace(BASE, dropout=0.3, epochs=2)
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        _train(dataclasses.replace(cfg, seed=seed), tmp_path / name, synth_dir)
    a, b, c = (_weights(tmp_path / name) for name in "abc")
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_train_limit_equals_training_on_a_truncated_file(tmp_path, synth_dir):
    """--train-limit N trains exactly as if the training files held only N examples."""
    cut = tmp_path / "cut"
    shutil.copytree(synth_dir, cut)
    images, labels, _ = idx.load_split(synth_dir, "train", verify=False)
    image_name, label_name = idx.SPLITS["train"]
    write_idx(cut / image_name, images[:50])
    write_idx(cut / label_name, labels[:50])
    cfg = dataclasses.replace(BASE, epochs=2, batch_size=16)
    limited = _train(dataclasses.replace(cfg, train_limit=50), tmp_path / "a", synth_dir)
    _train(cfg, tmp_path / "b", cut)
    for x, y in zip(_weights(tmp_path / "a"), _weights(tmp_path / "b"), strict=True):
        np.testing.assert_array_equal(x, y)
    assert limited["training"]["train_limit"] == 50


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop"])
def test_every_optimizer_trains(tmp_path, synth_dir, optimizer):
    lr = 0.05 if optimizer in ("sgd", "momentum", "nesterov") else 1e-3
    cfg = dataclasses.replace(BASE, optimizer=optimizer, lr=lr, hidden=(16, 16),
                              lr_schedule="step", lr_step=2)
    assert _train(cfg, tmp_path / "m", synth_dir)["metrics"]["test_accuracy"] >= 0.8


def test_interrupt_keeps_the_old_model_and_resume_matches_an_unbroken_run(tmp_path, synth_dir):
    cfg = dataclasses.replace(BASE, epochs=4, dropout=0.2, val_split=0.25, patience=10)
    _train(cfg, tmp_path / "unbroken", synth_dir)
    out = tmp_path / "m"
    old = write_tiny_model(out)

    def sigterm_after_epoch_2(epoch):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(train.Interrupted, match="during epoch 3; the checkpoint of epoch 2"):
        _train(cfg, out, synth_dir, on_epoch=sigterm_after_epoch_2)
    assert store.load(out).version == old["version"]
    assert (tmp_path / ".m.training" / "checkpoint.npz").exists()
    _train(cfg, out, synth_dir, resume=True)
    for x, y in zip(_weights(out), _weights(tmp_path / "unbroken"), strict=True):
        np.testing.assert_array_equal(x, y)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").open()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]


def test_resume_refuses_different_options(tmp_path, synth_dir):
    def stop_now(epoch):
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(train.Interrupted):
        _train(BASE, tmp_path / "m", synth_dir, on_epoch=stop_now)
    with pytest.raises(train.checkpoint.CheckpointError, match=r"different options \(lr\)"):
        _train(dataclasses.replace(BASE, lr=0.1), tmp_path / "m", synth_dir, resume=True)


def test_early_stopping_exports_the_best_epoch(tmp_path, synth_dir):
    # A huge learning rate makes validation loss worse after the first epochs.
    cfg = dataclasses.replace(BASE, optimizer="sgd", lr=2.0, epochs=30, val_split=0.3,
                              patience=2)
    try:
        manifest = _train(cfg, tmp_path / "m", synth_dir)
    except TrainError:
        pytest.skip("diverged to NaN before early stopping could trigger")
    rows = [json.loads(line) for line in (tmp_path / "m" / "metrics.jsonl").open()]
    assert manifest["metrics"]["stopped_early"] and len(rows) < 30
    best = min(r["val_loss"] for r in rows)
    assert rows[-1]["val_loss"] > best and rows[-2]["val_loss"] > best


def test_divergence_exports_nothing_and_keeps_the_old_model(tmp_path, synth_dir):
    out = tmp_path / "m"
    old = write_tiny_model(out)
    cfg = dataclasses.replace(BASE, optimizer="sgd", lr=1e30)
    with pytest.raises(TrainError, match="lower --lr"):
        _train(cfg, out, synth_dir)
    assert store.load(out).version == old["version"]


def test_a_failure_mid_save_leaves_the_old_artifact_intact(tmp_path, synth_dir, monkeypatch):
    out = tmp_path / "m"
    old = write_tiny_model(out)

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_swap_into_place", fail)
    with pytest.raises(OSError, match="No space left"):
        _train(BASE, out, synth_dir)
    assert store.load(out).version == old["version"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.training", "m"]


def test_evaluate_scores_through_artifact_load_and_model_probabilities(tmp_path, synth_dir,
                                                                       monkeypatch):
    manifest = _train(BASE, tmp_path / "m", synth_dir)
    calls = []
    real_load, real_probs = store.load, store.Model.probabilities

    def spy_load(path):
        calls.append("load")
        return real_load(path)

    def spy_probs(self, x):
        calls.append("probabilities")
        return real_probs(self, x)

    monkeypatch.setattr(evaluate.store, "load", spy_load)
    monkeypatch.setattr(store.Model, "probabilities", spy_probs)
    result = evaluate.score(tmp_path / "m", synth_dir, verify=False)
    assert calls[0] == "load" and "probabilities" in calls
    assert result["accuracy"] == manifest["metrics"]["test_accuracy"]
    assert result["confusion"].sum() == 200
    np.testing.assert_allclose(result["per_class"], manifest["metrics"]["per_class_accuracy"])
    text = evaluate.report(result)
    assert f"test accuracy {result['accuracy']:.4f}" in text and "confusion matrix" in text


def test_evaluate_writes_png_plots(tmp_path, synth_dir):
    _train(BASE, tmp_path / "m", synth_dir)
    assert main(["evaluate", "--model", str(tmp_path / "m"), "--data-dir", str(synth_dir),
                 "--no-verify", "--plots", str(tmp_path / "plots")]) == 0
    for name in ("confusion_matrix.png", "training_curves.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_inputs_are_exactly_pixel_over_255_as_the_manifest_says():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    x = inference.as_inputs(pixels)
    assert x.dtype == np.float32 and x.shape == (1, 256)
    np.testing.assert_array_equal(x[0], (np.arange(256) / 255.0).astype(np.float32))


def test_exported_directory_is_readable_by_other_users(tmp_path, synth_dir):
    # The service may run as another user than the trainer (e.g. in a container).
    _train(BASE, tmp_path / "m", synth_dir)
    assert (tmp_path / "m").stat().st_mode & 0o755 == 0o755
