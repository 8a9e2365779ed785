"""Softmax and sparse categorical cross-entropy with the softmax gradient fused."""

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (B, K) logits; shifting by the row max keeps exp finite."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss over the batch and dL/dz (B, K) = (softmax(z) - onehot) / B.

    Computed through log-softmax so that any finite logits, however large, give
    a finite loss and gradient.
    """
    batch = z.shape[0]
    logp = log_softmax(z)
    rows = np.arange(batch)
    loss = -logp[rows, labels].mean()
    dz = np.exp(logp)
    dz[rows, labels] -= 1
    dz /= batch
    return float(loss), dz
