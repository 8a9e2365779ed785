"""Accuracy on the test digits moved away from MNIST's clean layout (`evaluate --robustness`).

Each condition is one fixed change of every test image: shifted, rotated, scaled
down, or its strokes thickened or thinned by one morphological step (a 3x3 cross).
They use the trainer's own resampling and morphology (trainer.data.resample, OpenCV).
"""

import numpy as np

from trainer.artifact.inference import as_inputs
from trainer.data import resample
from trainer.eval import scores


def _warp(images: np.ndarray, matrix, shift=(0.0, 0.0)) -> np.ndarray:
    n = len(images)
    matrices = np.broadcast_to(np.asarray(matrix, dtype=np.float64), (n, 2, 2))
    return resample.warp(images, matrices, np.tile(np.asarray(shift, np.float64), (n, 1)))


def _rotation(degrees: float) -> np.ndarray:
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _morphology(kind: str):
    def change(images: np.ndarray) -> np.ndarray:
        return resample.morphology(images, kind)  # 3x3 cross, as scipy's grey_erosion/dilation
    return change


CONDITIONS = {
    "clean": lambda x: x,
    "shifted 3 px right": lambda x: _warp(x, np.eye(2), (0.0, -3.0)),
    "shifted 3 px down": lambda x: _warp(x, np.eye(2), (-3.0, 0.0)),
    "rotated 15°": lambda x: _warp(x, _rotation(15)),
    "rotated 25°": lambda x: _warp(x, _rotation(25)),
    "scaled to 80%": lambda x: _warp(x, np.eye(2) / 0.8),
    "thickened (dilation)": _morphology("dilate"),
    "thinned (erosion)": _morphology("erode"),
}


def table(models: dict, images: np.ndarray, labels: np.ndarray) -> dict:
    """{condition: {model name: accuracy}} on uint8 test images (N, 28, 28)."""
    pixels = as_inputs(images).reshape(images.shape)  # float32 in [0, 1]
    out = {}
    for name, change in CONDITIONS.items():
        x = change(pixels).reshape(len(pixels), -1)
        out[name] = {key: _accuracy(model, x, labels) for key, model in models.items()}
    return out


def _accuracy(model, x: np.ndarray, labels: np.ndarray) -> float:
    return scores.accuracy(labels, scores.predicted(model.probabilities, x))


def report(result: dict) -> str:
    """A Markdown table: one row per condition, one column per model."""
    return scores.table("condition", result, "{:.4f}")
