"""`evaluate --trust`: the verdict's table on held-out inputs and the reliability diagram,
run on a few hundred images."""

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from trainer.cli.commands import main
from trainer.eval import heldout, trust

FAMILIES = ("scribbles", "shapes", "dots", "uniform noise")  # no Debian package needed


def test_every_family_is_framed_and_repeatable():
    first, again = heldout.families(30, "dev"), heldout.families(30, "dev")
    assert set(FAMILIES) <= set(first)
    for name, images in first.items():
        assert images.shape == (30, 28, 28) and images.dtype == np.float32, name
        np.testing.assert_array_equal(images, again[name])
        assert images.max() > 0, name
    final = heldout.families(30, "final")
    assert not np.array_equal(first["scribbles"], final["scribbles"])


def test_the_table_counts_what_the_verdict_refuses_and_accepts(tmp_path):
    # Two rules at the extremes: one accepts everything, one refuses everything.
    write_tiny_model(tmp_path / "all", verdict={"rule": "top_probability", "threshold": 0.0,
                                                "temperature": 1.0})
    write_tiny_model(tmp_path / "none", verdict={"rule": "top_probability", "threshold": 2.0,
                                                 "temperature": 1.0})
    from trainer.artifact import store

    models = {"all": store.load(tmp_path / "all"), "none": store.load(tmp_path / "none")}
    digits = (np.random.default_rng(0).integers(0, 256, (50, 28, 28)).astype(np.uint8),
              np.zeros(50, dtype=np.uint8))
    result = trust.table(models, digits, {k: v for k, v in heldout.families(20).items()
                                          if k in FAMILIES})
    assert result["MNIST test digits refused"] == {"all": 0.0, "none": 1.0}
    for family in FAMILIES:
        assert result[f"{family} accepted"] == {"all": 1.0, "none": 0.0}
    assert "| scribbles accepted | 100.00% | 0.00% |" in trust.report(result)


def test_real_digits_are_counted_refused_and_read_right(tmp_path):
    """A model that always says 0 and accepts everything: it reads exactly the zeros,
    and refuses only what the recipe found no digit in (label -1)."""
    write_tiny_model(tmp_path / "all", verdict={"rule": "top_probability", "threshold": 0.0,
                                                "temperature": 1.0})
    from trainer.artifact import store

    model = store.load(tmp_path / "all")
    pixels = np.zeros((8, 28, 28), np.float32)
    labels = np.array([0, 1, 2, -1, 0, 3, -1, 5])
    top = model.predict(pixels.reshape(8, -1)).probabilities.argmax(axis=1)
    result = trust.table({"m": model}, (pixels, labels), {}, {"scans": (pixels, labels)})
    assert result["scans refused"] == {"m": 2 / 8}
    assert result["scans read right"] == {"m": float(np.mean(top == labels))}


def test_held_out_real_digits_come_through_the_recipe():
    kinds = heldout.real_digits(40, "dev")
    for kind, (pixels, labels) in kinds.items():
        assert pixels.shape[1:] == (28, 28) and pixels.max() == 255, kind
        assert set(np.unique(labels)) <= set(range(-1, 10)), kind
        assert np.mean(labels >= 0) > 0.95, kind  # the recipe finds nearly every digit


@pytest.mark.slow
def test_evaluate_trust_prints_the_table_and_draws_the_diagram(mnist_dir, tmp_path, capsys):
    write_tiny_model(tmp_path / "m", verdict={"rule": "top_probability", "threshold": 0.2,
                                              "temperature": 1.5})
    assert main(["evaluate", "--model", str(tmp_path / "m"), "--data-dir", str(mnist_dir),
                 "--trust", "--limit", "300", "--plots", str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    assert "| MNIST test digits refused |" in out
    assert "| letters in handwriting fonts accepted |" in out
    assert "| doodles: smileys accepted |" in out
    assert "| low-resolution scans (UCI 8x8) refused |" in out
    assert "expected calibration error" in out
    assert (tmp_path / "plots" / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
