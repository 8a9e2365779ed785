"""The bodies of trainer.nn.fused's numba kernels, as plain Python over flat float32
arrays. Each does, element by element, exactly the float32 operations of the NumPy
passes it replaces, in the same order, so that compiled without fastmath its results
are equal bit for bit.

Imported only by fused._kernel, after numba has loaded: `prange` is numba's there, and
the optimizers' loops split across the cores. Without numba it is `range`, which keeps
the bodies runnable as Python.
"""

import numpy as np

try:
    from numba import prange
except ImportError:  # pragma: no cover - fused never compiles these without numba
    prange = range


def sgd(p, g, c):
    """p -= lr g; c = float32 [lr]."""
    lr = c[0]
    for i in prange(p.size):
        p[i] = p[i] - g[i] * lr


def momentum(p, g, v, c):
    """v = mu v + g; p -= lr v; c = float32 [mu, lr]."""
    mu, lr = c[0], c[1]
    for i in prange(p.size):
        vi = v[i] * mu + g[i]
        v[i] = vi
        p[i] = p[i] - vi * lr


def nesterov(p, g, v, c):
    """v = mu v + g; p -= lr (mu v + g); c = float32 [mu, lr]."""
    mu, lr = c[0], c[1]
    for i in prange(p.size):
        vi = v[i] * mu + g[i]
        v[i] = vi
        p[i] = p[i] - (vi * mu + g[i]) * lr


def rmsprop(p, g, s, c):
    """s = rho s + (1 - rho) g^2; p -= lr g / (sqrt(s) + eps); c = float32
    [rho, 1 - rho, eps, lr]."""
    rho, keep, eps, lr = c[0], c[1], c[2], c[3]
    for i in prange(p.size):
        gi = g[i]
        si = s[i] * rho + gi * gi * keep
        s[i] = si
        p[i] = p[i] - gi / (np.sqrt(si) + eps) * lr


def adam(p, g, m, v, c):
    """m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= alpha m / (sqrt(v) + eps);
    c = float32 [b1, 1 - b1, b2, 1 - b2, eps, alpha]."""
    b1, keep1, b2, keep2, eps, alpha = c[0], c[1], c[2], c[3], c[4], c[5]
    for i in prange(p.size):
        gi = g[i]
        mi = m[i] * b1 + gi * keep1
        vi = v[i] * b2 + gi * gi * keep2
        m[i] = mi
        v[i] = vi
        p[i] = p[i] - mi / (np.sqrt(vi) + eps) * alpha


def bias_relu(z, b):
    """z = relu(z + b) in place for z (B, n) and b (n,): the float32 sum, then NumPy's
    maximum(v, 0), which keeps NaN and turns -0.0 into +0.0."""
    zero = np.float32(0.0)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            v = z[i, j] + b[j]
            z[i, j] = zero if v <= zero else v  # NaN <= 0 is False: NaN stays


def relu_backward(delta, a_in, db):
    """delta *= [a_in > 0] in place (NumPy multiplies by the mask cast to 1.0 or 0.0), and
    db (n,) = the column sums of the result as np.sum(axis=0) adds them: from +0.0, row
    after row."""
    one, zero = np.float32(1.0), np.float32(0.0)
    db[:] = zero
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            d = delta[i, j] * (one if a_in[i, j] > zero else zero)
            delta[i, j] = d
            db[j] += d
