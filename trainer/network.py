"""A dense ReLU network with a softmax head, written by hand in NumPy.

Parameters are a list of (W, b) pairs, W of shape (n_in, n_out) and b of shape
(n_out,), float32. A batch of inputs has shape (B, 784).
"""

import itertools

import numpy as np

from trainer.inference import relu

Params = list[tuple[np.ndarray, np.ndarray]]


def init(sizes: list[int], rng: np.random.Generator) -> Params:
    """He-uniform weights and zero biases for layer sizes like [784, 512, 10]."""
    params = []
    for n_in, n_out in itertools.pairwise(sizes):
        limit = np.sqrt(6.0 / n_in)
        w = rng.uniform(-limit, limit, size=(n_in, n_out)).astype(np.float32)
        params.append((w, np.zeros(n_out, dtype=np.float32)))
    return params


def flatten(params: Params) -> list[np.ndarray]:
    """[W0, b0, W1, b1, ...]: the order the optimizers and their state use."""
    return [a for pair in params for a in pair]


def forward(params: Params, x: np.ndarray, dropout: float = 0.0, rng=None):
    """Training forward pass. Returns (logits (B, n_out), cache for backward).

    The cache holds each layer's input activation and the inverted-dropout mask
    applied to it (None when dropout is off). With dropout 0 the logits equal
    `inference.dense_logits(params, x)` bit for bit: same operations in the same order.
    """
    cache = []
    a = x
    for i, (w, b) in enumerate(params):
        mask = None
        if dropout > 0.0 and i > 0:
            keep = 1.0 - dropout
            mask = (rng.random(a.shape, dtype=np.float32) < keep).astype(a.dtype) / np.float32(keep)
            a = a * mask
        cache.append((a, mask))
        z = a @ w + b
        a = relu(z) if i < len(params) - 1 else z
    return a, cache


def backward(params: Params, cache, dlogits: np.ndarray) -> Params:
    """Gradients (dW, db) for every layer, given dL/dlogits of shape (B, n_out)."""
    grads = [None] * len(params)
    delta = dlogits
    for i in reversed(range(len(params))):
        a_in, mask = cache[i]
        w, _ = params[i]
        grads[i] = (a_in.T @ delta, delta.sum(axis=0))
        if i == 0:
            break
        delta = delta @ w.T
        if mask is not None:
            delta = delta * mask
        delta = delta * (a_in > 0)  # ReLU'(z) = [z > 0], and a_in = relu(z) (times mask)
    return grads
