"""`python -m trainer evaluate`: score an exported model on the test split.

Loads the model with trainer.artifact.load and scores it with
Model.probabilities, the exact code path the service runs, so the figures
printed here are the service's figures.
"""

import sys
from pathlib import Path

import numpy as np

from trainer import artifact, data, scores
from trainer.inference import as_inputs


def _test_split(model, data_dir, verify: bool, limit: int = 0):
    dataset = model.manifest.get("data", {}).get("dataset", "mnist")
    directory = Path(data_dir) if data_dir else data.default_data_dir(dataset)
    images, labels = data.load(directory, "test", verify, dataset)
    return (images[:limit], labels[:limit]) if limit else (images, labels)


def score(model_dir, data_dir=None, verify: bool = True, limit: int = 0) -> dict:
    """{"accuracy", "per_class" list, "confusion" (K, K), "labels", "model"} on the test split."""
    model = artifact.load(model_dir)
    images, labels = _test_split(model, data_dir, verify, limit)
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


def main(model_dir, data_dir=None, verify=True, plots_dir=None, *, robustness=False,
         compare=None, limit=0) -> int:
    result = score(model_dir, data_dir, verify, limit=limit)
    print(report(result))
    if plots_dir is not None:
        from trainer import plots

        for path in plots.write_all(Path(model_dir), result, Path(plots_dir)):
            print(f"wrote {path}", file=sys.stderr)
    if robustness:
        from trainer import robustness as changes

        models = {f"{result['model'].name} {result['model'].version}": result["model"]}
        if compare is not None:
            other = artifact.load(compare)
            models[f"{other.name} {other.version} (--compare)"] = other
        images, labels = _test_split(result["model"], data_dir, verify, limit)
        print("\nrobustness (test accuracy under each change):")
        print(changes.report(changes.table(models, images, labels)))
    return 0
