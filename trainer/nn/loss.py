"""Sparse categorical cross-entropy with the softmax gradient fused (softmax itself is
trainer/artifact/inference.py's: inference needs it, training only its log).

Rows labelled OUTLIER are non-digits (outlier exposure, Hendrycks, Mazeika and
Dietterich, 2019): their target is the uniform distribution over the classes.
"""

import numpy as np

OUTLIER = -1  # the label of a non-digit


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(z: np.ndarray, labels: np.ndarray,
                  outlier_weight: float = 0.5) -> tuple[float, np.ndarray]:
    """Mean loss and dL/dz (B, K) for logits z (B, K) and labels (B,) int.

    Digit rows: the mean cross-entropy, dL/dz = (softmax(z) - onehot) / B_digits.
    OUTLIER rows, if any, add outlier_weight times their mean cross-entropy to the
    uniform distribution, dL/dz = outlier_weight (softmax(z) - 1/K) / B_outliers.
    Computed through log-softmax so that any finite logits, however large, give
    a finite loss and gradient.
    """
    outliers = labels == OUTLIER
    if not outliers.any():
        return _digits_only(z, labels)
    logp = log_softmax(z)
    dz = np.exp(logp)
    digits = np.flatnonzero(~outliers)
    loss = -logp[digits, labels[digits]].mean() if len(digits) else 0.0
    dz[digits, labels[digits]] -= 1
    dz[digits] /= max(len(digits), 1)
    weight = z.dtype.type(outlier_weight)
    loss += weight * -logp[outliers].mean()
    dz[outliers] -= z.dtype.type(1 / z.shape[1])
    dz[outliers] *= weight / z.dtype.type(np.count_nonzero(outliers))
    return float(loss), dz


def _digits_only(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    batch = z.shape[0]
    logp = log_softmax(z)
    rows = np.arange(batch)
    loss = -logp[rows, labels].mean()
    dz = np.exp(logp)
    dz[rows, labels] -= 1
    dz /= batch
    return float(loss), dz
