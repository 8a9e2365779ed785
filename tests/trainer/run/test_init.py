"""--init and the users' examples on tiny synthetic data: the run starts from the given
weights, refuses other sizes, learns a new kind of example, and reports the old and new
models side by side with the numbers each model's own export recorded."""

import dataclasses

import numpy as np
import pytest

from tests.trainer._synth import make_images, write_dataset
from trainer.artifact import DIGITS, inference, store
from trainer.artifact.integrity import ArtifactError
from trainer.data import users
from trainer.nn.loss import OUTLIER
from trainer.run import compare, train

BASE = train.Config(hidden=(32,), optimizer="adam", lr=3e-3, batch_size=32, epochs=3,
                    seed=1, verify=False)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """(the synthetic data's directory, a model trained on it)."""
    root = tmp_path_factory.mktemp("init")
    data = write_dataset(root / "data")
    train.train(BASE, root / "base", data, log=lambda msg: None)
    return data, root / "base"


def new_kind(n: int, seed: int) -> users.Examples:
    """Examples of the same ten labels drawn after other prototypes: a new handwriting."""
    rng = np.random.default_rng(seed)
    prototypes = (np.random.default_rng(99).random((10, 28, 28)) > 0.6) * 220.0
    images, labels = make_images(n, rng, prototypes)
    return users.as_examples(images, [DIGITS[k] for k in labels])


def test_init_with_a_zero_learning_rate_exports_the_same_weights(tmp_path, base):
    data, model_dir = base
    cfg = dataclasses.replace(BASE, init=str(model_dir), lr=0.0, epochs=1)
    manifest = train.train(cfg, tmp_path / "m", data, log=lambda msg: None)
    assert manifest["weights_sha256"] == store.load(model_dir).manifest["weights_sha256"]


def test_init_refuses_other_hidden_sizes_naming_the_field_and_the_fix(tmp_path, base):
    data, model_dir = base
    cfg = dataclasses.replace(BASE, init=str(model_dir), hidden=(64,))
    with pytest.raises(ArtifactError, match=r"base/model.json: field layers has hidden sizes "
                                            r"32 .* but --hidden is 64; pass --hidden 32"):
        train.train(cfg, tmp_path / "m", data, log=lambda msg: None)
    assert not (tmp_path / "m").exists()


def test_fine_tuning_learns_the_new_kind_and_reports_both_models(tmp_path, base):
    data, model_dir = base
    before = store.load(model_dir)
    mine = new_kind(300, seed=2)
    cfg = dataclasses.replace(BASE, init=str(model_dir), lr=1e-3, epochs=3)
    manifest = train.train(cfg, tmp_path / "m", data, users=mine, log=lambda msg: None)
    table = manifest["metrics"]["compare"]
    old, new = f"before ({before.version})", "after"
    # The old model's MNIST column is the test accuracy its own export recorded.
    assert table[compare.MNIST][old] == before.manifest["metrics"]["test_accuracy"]
    assert table[compare.MNIST][new] == manifest["metrics"]["test_accuracy"]
    assert table[compare.MNIST][new] >= table[compare.MNIST][old] - 0.02
    assert table[compare.USERS][new] >= table[compare.USERS][old] + 0.3
    _, held = users.split(mine, cfg.user_holdout)
    assert table["counts"] == {compare.MNIST: 200, compare.USERS: len(held)}
    assert manifest["data"]["sha256"]["users"] == users.split(mine, cfg.user_holdout)[0].sha256()
    text = compare.report(table)
    assert f"| {compare.USERS} ({len(held)}) |" in text and old in text


def test_read_right_counts_is_digit_as_a_user_sees_it():
    # Two inputs and a model whose answer is fixed by its biases: label 3.
    params = [(np.zeros((784, 10), np.float32), np.eye(10, dtype=np.float32)[3] * 5)]
    x = np.zeros((3, 784), np.float32)
    ex = users.Examples(x, np.array([3, 4, OUTLIER]))
    # Without a verdict everything is a digit: the 3 is right, the 4 and the "none" wrong.
    assert compare.read_right(params, None, ex) == pytest.approx(1 / 3)
    refuse_all = inference.Verdict("top_probability", 1.1, 1.0)
    assert compare.read_right(params, refuse_all, ex) == pytest.approx(1 / 3)
    assert compare.read_right(params, None, ex.take(np.array([], int))) is None
