"""How a model is scored: its loss, accuracy and per-class accuracy, one definition each.

Validation during a run, the test scores in the manifest, `evaluate` and the
robustness table all use these.
"""

import numpy as np

from trainer.artifact import inference
from trainer.nn.loss import cross_entropy

BATCH = 2000  # rows per forward pass when scoring a whole split


def table(first: str, result: dict, cell: str) -> str:
    """A Markdown table of {row: {model: value}}: a column `first` of the rows, then one
    column per model, each value formatted by `cell` (e.g. "{:.4f}")."""
    names = list(next(iter(result.values())))
    lines = [f"| {first} | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines += [f"| {row} | " + " | ".join(cell.format(v) for v in cells.values()) + " |"
              for row, cells in result.items()]
    return "\n".join(lines)


def predicted(probabilities, x: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """Labels (N,) that `probabilities` ((B, 784) -> (B, K)) gives x (N, 784), in batches."""
    if not len(x):
        return np.zeros(0, dtype=np.intp)
    return np.concatenate([probabilities(x[i:i + batch]).argmax(axis=1)
                           for i in range(0, len(x), batch)])


def loss_and_predicted(params, x: np.ndarray, y: np.ndarray, batch: int = BATCH):
    """(mean cross-entropy, predicted labels (N,)) of the inference pass on x (N, 784),
    y (N,) int."""
    total, pred = 0.0, []
    for start in range(0, len(x), batch):
        z = inference.logits(params, x[start:start + batch])
        total += cross_entropy(z, y[start:start + batch])[0] * len(z)
        pred.append(z.argmax(axis=1))
    return total / len(x), np.concatenate(pred)


def accuracy(labels: np.ndarray, pred: np.ndarray) -> float:
    """The fraction of labels predicted right."""
    return float(np.mean(pred == labels))


def confusion(labels: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """(k, k) int64 counts; row = true class, column = predicted class."""
    return np.bincount(labels.astype(np.int64) * k + pred, minlength=k * k).reshape(k, k)


def per_class_accuracy(labels: np.ndarray, pred: np.ndarray, k: int) -> list[float | None]:
    """Accuracy within each true class; None for a class with no examples."""
    cm = confusion(labels, pred, k)
    totals = cm.sum(axis=1)
    return [float(cm[i, i] / totals[i]) if totals[i] else None for i in range(k)]
