"""PNG plots for `evaluate --plots`: training curves and the confusion matrix.

matplotlib is imported here only, with the Agg backend, so the trainer and
the service never need a display or matplotlib itself.
"""

import json
from pathlib import Path

import numpy as np

from trainer.artifact.integrity import METRICS_FILE


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_metrics(path: Path) -> list[dict]:
    """Rows of metrics.jsonl; an absent file gives no rows."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def training_curves(rows: list[dict], out: Path) -> Path:
    """Loss and accuracy per epoch, train and (when present) validation."""
    plt = _pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [r["epoch"] for r in rows]
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.plot(epochs, [r[f"train_{key}"] for r in rows], marker="o", label="train")
        val = [(r["epoch"], r[f"val_{key}"]) for r in rows if r.get(f"val_{key}") is not None]
        if val:
            ax.plot(*zip(*val, strict=True), marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def confusion_matrix(cm: np.ndarray, labels: list[str], out: Path) -> Path:
    """Heat map of counts, row = true class, column = predicted class."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(np.log1p(cm), cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = np.log1p(cm).max() / 2
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                color="white" if np.log1p(v) > threshold else "black")
    fig.colorbar(image, ax=ax, label="log(1 + count)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def reliability_diagram(result: dict, out: Path) -> Path:
    """Accuracy against mean confidence per confidence bin (trainer/eval/calibrate.py's
    calibration), on the diagonal when calibrated; the bars' widths are the bins'."""
    plt = _pyplot()
    fig, (ax, counts) = plt.subplots(2, 1, figsize=(5, 6), height_ratios=[3, 1], sharex=True)
    bins = result["bins"]
    lows = [b["low"] for b in bins]
    widths = [b["high"] - b["low"] for b in bins]
    ax.bar(lows, [b["accuracy"] for b in bins], width=widths, align="edge",
           edgecolor="black", label="accuracy in the bin")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="calibrated")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o", color="red",
            label="mean confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"ECE {result['ece']:.2%}, accuracy {result['accuracy']:.2%}")
    ax.legend(loc="upper left")
    counts.bar(lows, [b["count"] for b in bins], width=widths, align="edge", log=True)
    counts.set_xlabel("confidence")
    counts.set_ylabel("digits")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def write_all(model_dir: Path, result: dict, out_dir: Path) -> list[Path]:
    """Write the plots into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [confusion_matrix(result["confusion"], result["labels"],
                                out_dir / "confusion_matrix.png")]
    rows = read_metrics(model_dir / METRICS_FILE)
    if rows:
        written.append(training_curves(rows, out_dir / "training_curves.png"))
    return written
