"""How a model is scored: accuracy and per-class accuracy, one definition each.

Training's export, `evaluate`, validation and the robustness table all use these.
"""

import numpy as np

BATCH = 2000


def predicted(probabilities, x: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """Labels (N,) that `probabilities` ((B, 784) -> (B, K)) gives x (N, 784), in batches."""
    if not len(x):
        return np.zeros(0, dtype=np.intp)
    return np.concatenate([probabilities(x[i:i + batch]).argmax(axis=1)
                           for i in range(0, len(x), batch)])


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
