"""Sparse categorical cross-entropy with the softmax gradient fused (softmax itself is
trainer/artifact/inference.py's: inference needs it, training only its log)."""

import numpy as np


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
