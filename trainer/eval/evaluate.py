"""Scoring an exported model on the test split (`python -m trainer evaluate`).

Loads the model with the artifact's own loader and scores it with
Model.probabilities, the exact code path the service runs, so the figures
printed here are the service's figures.
"""

from pathlib import Path

import numpy as np

from trainer.artifact import store
from trainer.artifact.inference import as_inputs
from trainer.data import idx
from trainer.data.fetch import default_data_dir
from trainer.eval import scores


def test_split(model, data_dir, verify: bool, limit: int = 0):
    """(images uint8 (N, 28, 28), labels (N,)): the test split of the model's dataset."""
    dataset = model.manifest.get("data", {}).get("dataset", "mnist")
    directory = Path(data_dir) if data_dir else default_data_dir(dataset)
    images, labels = idx.load(directory, "test", verify, dataset)
    return (images[:limit], labels[:limit]) if limit else (images, labels)


def score(model_dir, data_dir=None, verify: bool = True, limit: int = 0) -> dict:
    """{"accuracy", "per_class" list, "confusion" (K, K), "labels", "model"} on the test split."""
    model = store.load(model_dir)
    images, labels = test_split(model, data_dir, verify, limit)
    pred = scores.predicted(model.probabilities, as_inputs(images))
    k = len(model.labels)
    return {"accuracy": scores.accuracy(labels, pred),
            "per_class": scores.per_class_accuracy(labels, pred, k),
            "confusion": scores.confusion(labels, pred, k), "labels": model.labels,
            "model": model}


def report(result: dict) -> str:
    """Human-readable accuracy, per-class accuracy and confusion matrix."""
    labels, cm = result["labels"], result["confusion"]
    width = max(6, *(len(str(v)) + 1 for v in cm.flat), *(len(lbl) + 1 for lbl in labels))
    lines = [f"model {result['model'].name} {result['model'].version}",
             f"test accuracy {result['accuracy']:.4f} ({int(np.trace(cm))}/{int(cm.sum())})",
             "per-class accuracy:"]
    lines += [f"  {lbl:>12} " + ("n/a (none in the set)" if acc is None else f"{acc:.4f}")
              for lbl, acc in zip(labels, result["per_class"], strict=True)]
    lines.append("confusion matrix (rows: true, columns: predicted):")
    lines.append(" " * 13 + "".join(f"{lbl[:width - 1]:>{width}}" for lbl in labels))
    for lbl, row in zip(labels, cm, strict=True):
        lines.append(f"{lbl[:12]:>12} " + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)
