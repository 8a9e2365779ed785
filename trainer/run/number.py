"""The number's confidence, calibrated (issue 27 item 4): numbers of 3 to 6 training
digits written side by side, some touching (trainer/data/numbers/misreads.py draws them and the
recipe finds their ink), read as /read reads them (trainer/artifact/segment/reading.py).
A logistic map of the log-odds of the product of their positions' confidences to
whether the whole text came out right is kept in the artifact (pair.number_confidence).
Never the test digits: the bench measures on those.
"""

import numpy as np

from trainer.artifact.segment import pieces, reading
from trainer.data.numbers import misreads

NUMBERS = 1200  # numbers read to fit the map
SEED = 27  # of the numbers drawn
GAPS = (-5, 12)  # MNIST pixels between digits, as the bench writes them
COUNTS = (3, 6)  # digits in a number
RIDGE = 1.0  # L2 on the map's two numbers: it exists even where the data are separable


def readings(model, digits: np.ndarray, labels: np.ndarray, n: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n numbers of `digits` (uint8 (N, 28, 28), `labels` (N,)) read by `model` ->
    (float (n,) the product of each reading's confidences, bool (n,) whether its text
    was the number)."""
    raw, right = np.zeros(n), np.zeros(n, dtype=bool)
    for i in range(n):
        count = int(rng.integers(COUNTS[0], COUNTS[1] + 1))
        layers, row, which = misreads.number(rng, digits, count, GAPS)
        strength, marks, _ = misreads.on_paper(layers, row)
        found = pieces.pieces(marks)
        if not found.count:
            continue
        found = reading.candidates(strength, found)
        read = reading.read(model, found, model.predict(found.x))
        raw[i] = read.raw
        right[i] = read.text == "".join(str(int(v)) for v in labels[which])
    return raw, right


def fit(raw: np.ndarray, right: np.ndarray) -> dict:
    """float (n,) raw confidences and bool (n,) outcomes -> {"a", "b"}: the logistic
    regression of right on the log-odds of raw (L2 RIDGE), by Newton's method with
    the step halved until the loss falls."""
    design = np.stack([_log_odds(raw), np.ones(len(raw))], axis=1)
    w = np.zeros(2)
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(design @ w, -50, 50)))
        grad = design.T @ (p - right) + RIDGE * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + RIDGE * np.eye(2)
        step = np.linalg.solve(hess, grad)
        while _loss(design, right, w - step) > _loss(design, right, w) and np.abs(
                step).max() > 1e-12:
            step = step / 2
        w = w - step
        if np.abs(step).max() < 1e-9:
            break
    return {"a": float(w[0]), "b": float(w[1])}


def _loss(design: np.ndarray, right: np.ndarray, w: np.ndarray) -> float:
    z = design @ w
    return float(np.sum(np.logaddexp(0, z) - right * z) + RIDGE / 2 * w @ w)


def _log_odds(raw: np.ndarray) -> np.ndarray:
    clipped = np.clip(raw, 1e-9, 1 - 1e-9)
    return np.log(clipped / (1 - clipped))
