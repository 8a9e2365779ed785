"""The learning loop end to end (issue 28): serve the shipped model under gunicorn, post
corrections for a kind of handwriting it reads badly (tests/helpers/handwriting.py),
fine-tune from the served model with them (--init, --feedback-db), HUP the master.

The service must then read held-out examples of that kind at least 30 points better,
and MNIST test within 0.1 points of before. Few epochs here (CI); the full run is
bench/learning/learning_loop.py, whose figures the README gives.
"""

import json
import os
import shutil

import pytest

from tests.helpers import handwriting, loop
from tests.helpers.servers import Gunicorn
from tests.service._fixtures import default_model_dir
from trainer.artifact import store

# The bound is for a crowded machine: at a load average of 25 on 2 cores the test ran
# past 15 minutes; at a load average of 6 it took about a minute.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
CORRECTIONS, HELD_OUT = 300, 200
# Few epochs: 4 passes over 10,000 MNIST digits, a tenth of each batch the corrections.
QUICK = ["--optimizer", "adam", "--lr", "1e-4", "--epochs", "4", "--train-limit", "10000",
         "--seed", "1"]
# The gain is in what the service answers: the right label, called a digit. The
# label alone must gain too, less: the shipped model (80642dff7ed6) already labels 67.5%
# of this hand right (the model before, 50%), so 30 points more would need 97.5%.
GAIN, LABEL_GAIN, MNIST_DRIFT = 0.30, 0.20, 0.001


@pytest.fixture
def font():
    if not handwriting.available():
        why = f"{handwriting.FONT} is missing: apt-get install {handwriting.PACKAGE}"
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(f"REQUIRE_TOOLS=1 but {why}")
        pytest.skip(why)


def hidden(model_dir) -> str:
    layers = store.load(model_dir).manifest["layers"]
    return ",".join(str(layer["out"]) for layer in layers[:-1])


def test_corrections_teach_the_served_model_a_new_hand(font, tmp_path, mnist_test):
    model_dir = shutil.copytree(default_model_dir(), tmp_path / "model")
    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    taught, taught_labels = handwriting.digits(CORRECTIONS, seed=1)
    held, held_labels = handwriting.digits(HELD_OUT, seed=2)
    images, labels = mnist_test
    server = Gunicorn(model_dir=model_dir, workers=1, env={"FEEDBACK_DB": url})
    try:
        before = loop.read_right(server.port, held, held_labels)
        mnist_before = loop.mnist_accuracy(server.port, images, labels)
        ids = loop.post_corrections(server.port, taught, taught_labels)
        table = loop.fine_tune(model_dir, url, ["--hidden", hidden(model_dir), *QUICK])
        loop.reload(server, store.load(model_dir).version)
        after = loop.read_right(server.port, held, held_labels)
        mnist_after = loop.mnist_accuracy(server.port, images, labels)
    finally:
        server.stop()
    print(json.dumps({"corrections": len(ids), "held_out_before": before, "after": after,
                      "mnist_before": mnist_before, "mnist_after": mnist_after}), table)
    assert after[0] >= before[0] + LABEL_GAIN, (before, after)
    assert after[1] >= before[1] + GAIN, (before, after)
    assert abs(mnist_after - mnist_before) <= MNIST_DRIFT, (mnist_before, mnist_after)
