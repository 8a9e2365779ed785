"""`evaluate --robustness`: each change does what its name says, and the table is scored
on a few hundred real test digits."""

import numpy as np
import pytest

from tests.helpers.servers import ROOT
from trainer.artifact import store
from trainer.artifact.inference import as_inputs
from trainer.cli.commands import main
from trainer.eval import robustness, scores

pytest.importorskip("cv2")
ROWS = 300
pytestmark = pytest.mark.slow


def test_each_change_does_what_it_says(mnist_test):
    x = as_inputs(mnist_test[0][:50]).reshape(-1, 28, 28)
    right, down = np.zeros_like(x), np.zeros_like(x)
    right[:, :, 3:], down[:, 3:, :] = x[:, :, :-3], x[:, :-3, :]  # ink off the edge is lost
    np.testing.assert_allclose(robustness.CONDITIONS["shifted 3 px right"](x), right, atol=1e-6)
    np.testing.assert_allclose(robustness.CONDITIONS["shifted 3 px down"](x), down, atol=1e-6)
    ink = x.sum()
    assert robustness.CONDITIONS["thickened (dilation)"](x).sum() > 1.3 * ink
    assert robustness.CONDITIONS["thinned (erosion)"](x).sum() < 0.7 * ink
    small = robustness.CONDITIONS["scaled to 80%"](x)
    assert 0.55 * ink < small.sum() < 0.75 * ink  # area scales by 0.8 ** 2
    rotated = robustness.CONDITIONS["rotated 25°"](x)
    np.testing.assert_allclose(rotated.sum(), ink, rtol=0.05)
    assert not np.allclose(rotated, x)


def test_the_table_on_a_few_hundred_digits(mnist_dir, mnist_test, capsys):
    model = store.load(ROOT / "models" / "default")
    images, labels = mnist_test[0][:ROWS], mnist_test[1][:ROWS]
    table = robustness.table({"shipped": model}, images, labels)
    assert list(table) == list(robustness.CONDITIONS)
    clean = scores.accuracy(labels, scores.predicted(model.probabilities, as_inputs(images)))
    assert table["clean"]["shipped"] == clean
    assert all(0.8 <= row["shipped"] <= 1.0 for row in table.values())  # a robust model
    assert main(["evaluate", "--model", str(ROOT / "models" / "default"),
                 "--data-dir", str(mnist_dir), "--robustness", "--limit", str(ROWS)]) == 0
    out = capsys.readouterr().out
    assert "| shifted 3 px right |" in out and "robustness" in out
