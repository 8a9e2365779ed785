"""A dense ReLU network with a softmax head, written by hand in NumPy.

Parameters are a list of (W, b) pairs, W of shape (n_in, n_out) and b of shape
(n_out,), float32. A batch of inputs has shape (B, 784). For training they are
`Layers`: views of one flat buffer, so the optimizer updates them all in one pass
per operation, and the gradients land in a second buffer of the same layout.
"""

import itertools

import numpy as np

from trainer.artifact.inference import Params
from trainer.nn import fused


class Layers(list):
    """(W, b) pairs that are views of `buffer`, one contiguous array."""

    def __init__(self, pairs, buffer: np.ndarray):
        super().__init__(pairs)
        self.buffer = buffer


def packed(params: Params) -> Layers:
    """A copy of `params` as views of one new flat buffer of their dtype, in layer order."""
    arrays = [a for pair in params for a in pair]
    buffer = np.empty(sum(a.size for a in arrays), dtype=arrays[0].dtype)
    views, start = [], 0
    for a in arrays:
        view = buffer[start:start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
        start += a.size
    return Layers(list(zip(views[0::2], views[1::2], strict=True)), buffer)


def init(sizes: list[int], rng: np.random.Generator) -> Layers:
    """He-uniform weights and zero biases for layer sizes like [784, 512, 10]."""
    params = []
    for n_in, n_out in itertools.pairwise(sizes):
        limit = np.sqrt(6.0 / n_in)
        w = rng.uniform(-limit, limit, size=(n_in, n_out)).astype(np.float32)
        params.append((w, np.zeros(n_out, dtype=np.float32)))
    return packed(params)


def flatten(params: Params) -> list[np.ndarray]:
    """The arrays an optimizer updates: the one buffer of `Layers`, else each array in
    layer order (W0, b0, W1, b1, ...)."""
    if isinstance(params, Layers):
        return [params.buffer]
    return [a for pair in params for a in pair]


def forward(params: Params, x: np.ndarray, dropout: float = 0.0, rng=None):
    """Training forward pass. Returns (logits (B, n_out), cache for backward).

    The cache holds each layer's input activation and the inverted-dropout mask
    applied to it (None when dropout is off). With dropout 0 the logits equal
    `inference.dense_logits(params, x)` bit for bit: same operations in the same order.
    """
    cache = []
    a = x
    last = len(params) - 1
    for i, (w, b) in enumerate(params):
        mask = None
        if dropout > 0.0 and i > 0:
            keep = 1.0 - dropout
            mask = (rng.random(a.shape, dtype=np.float32) < keep).astype(a.dtype) / np.float32(keep)
            a = a * mask
        cache.append((a, mask))
        a = a @ w
        if i < last and fused.fits(a, b):
            fused.bias_relu(a, b)  # one pass instead of two, same bits
        else:
            a += b
            if i < last:
                np.maximum(a, 0, out=a)
    return a, cache


def backward(params: Params, cache, dlogits: np.ndarray, out: Layers | None = None) -> Params:
    """Gradients (dW, db) for every layer, given dL/dlogits of shape (B, n_out).

    With `out` (e.g. `packed(params)`, reused every step) they are written into it.
    """
    grads = out if out is not None else packed(params)
    delta = dlogits
    summed = False  # whether grads[i]'s db is in already (summed with the ReLU mask)
    for i in reversed(range(len(params))):
        a_in, mask = cache[i]
        w, _ = params[i]
        dw, db = grads[i]
        np.matmul(a_in.T, delta, out=dw)
        if not summed:
            np.sum(delta, axis=0, out=db)
        if i == 0:
            break
        delta = delta @ w.T
        if mask is not None:
            delta *= mask
        summed = _relu_backward(delta, a_in, grads[i - 1][1])
    return grads


def _relu_backward(delta: np.ndarray, a_in: np.ndarray, db: np.ndarray) -> bool:
    """delta (B, n) *= ReLU'(z) = [z > 0] in place, as a_in = relu(z) (times the dropout
    mask) is positive exactly there. With the fused kernel, db (n,) of that layer gets the
    column sums in the same pass: returns whether it did."""
    if fused.fits(delta, a_in, db):
        fused.relu_backward(delta, a_in, db)
        return True
    delta *= a_in > 0
    return False
