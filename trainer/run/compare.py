"""The old model (--init) and the new one side by side: MNIST test accuracy, and how
many of the users' held-out examples each reads right.

"Read right" is what a user of the service sees: a digit's label is the right one and
is_digit is true; a "none" example has is_digit false. A model without a verdict calls
everything a digit, so it never reads a "none" right.
"""

import numpy as np

from trainer.artifact import DIGITS, inference
from trainer.data.users import Examples
from trainer.eval import scores
from trainer.nn.loss import OUTLIER

MNIST, USERS = "MNIST test", "your held-out examples"


def read_right(params, verdict: inference.Verdict | None, examples: Examples) -> float | None:
    """The share of `examples` the model reads right; None when there are none."""
    if not len(examples):
        return None
    said = inference.predict(params, examples.x, list(DIGITS), verdict)
    label = np.array([int(s) for s in said.labels])
    digit = examples.y != OUTLIER
    right = np.where(digit, said.is_digit & (label == examples.y), ~said.is_digit)
    return float(np.mean(right))


def mnist_accuracy(params, mnist: tuple) -> float:
    """Test accuracy (the label alone, as the manifest's test_accuracy) on (x, y)."""
    x, y = mnist
    return scores.accuracy(y, scores.predicted(lambda b: inference.probabilities(params, b), x))


def side_by_side(models: dict, mnist: tuple, held: Examples) -> dict:
    """{"MNIST test": {name: accuracy}, "your held-out examples": {name: share or None},
    "counts": ...} for models = {name: (params, verdict or None)}."""
    return {MNIST: {name: mnist_accuracy(p, mnist) for name, (p, _) in models.items()},
            USERS: {name: read_right(p, v, held) for name, (p, v) in models.items()},
            "counts": {MNIST: len(mnist[1]), USERS: len(held)}}


def report(comparison: dict) -> str:
    """The comparison as a Markdown table, with the number of examples in each row."""
    counts = comparison["counts"]
    rows = {f"{name} ({counts[name]})": {model: "-" if v is None else f"{v:.2%}"
                                          for model, v in comparison[name].items()}
            for name in (MNIST, USERS)}
    return scores.table("examples", rows, "{}")
