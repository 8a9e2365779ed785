"""Minibatches of one epoch, in the order of a permutation.

Without distortions a batch is gathered into one reused buffer. With them, a
background thread distorts the next chunks of the epoch while the current batch
trains. Each chunk draws from its own generator, seeded from the run's generator
before the epoch starts, so the batches do not depend on thread timing.
"""

import concurrent.futures
from collections.abc import Iterator

import numpy as np

from trainer.artifact import SIDE
from trainer.data import augment

_AHEAD = 2  # chunks being distorted while one is consumed
_THREADS = 2  # NumPy and OpenCV release the GIL while they work: chunks distort in parallel


def minibatches(x: np.ndarray, y: np.ndarray, perm: np.ndarray, *, batch_size: int,
                rng: np.random.Generator, distortion: augment.Distortion
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (xb (b, 784) float32, yb (b,)) over x (N, 784), y (N,) in perm's order.

    xb may be a buffer reused by the next batch: use it before asking for another.
    """
    if distortion.kinds:
        size = augment.chunk_size(batch_size)
        seeds = rng.integers(0, 2**63, size=-(-len(perm) // size))
        yield from _distorted((x, y), perm, batch_size, seeds, distortion)
        return
    buf = np.empty((min(batch_size, len(x)), x.shape[1]), dtype=x.dtype)
    for start in range(0, len(perm), batch_size):
        idx = perm[start:start + batch_size]
        xb = buf[:len(idx)]
        np.take(x, idx, axis=0, out=xb)
        yield xb, y[idx]


def _distorted(xy, perm, batch_size, seeds, distortion):
    """Batches of distorted chunks; chunk k draws from default_rng(seeds[k])."""
    x, y = xy
    size = augment.chunk_size(batch_size)
    starts = range(0, len(perm), size)

    def prepare(start, seed):
        idx = perm[start:start + size]
        images = x[idx].reshape(len(idx), SIDE, SIDE)
        out = augment.distort(images, np.random.default_rng(seed), distortion)
        return out.reshape(len(idx), -1), y[idx]

    with concurrent.futures.ThreadPoolExecutor(_THREADS, thread_name_prefix="distort") as pool:
        pending = [pool.submit(prepare, s, k) for s, k in zip(starts[:_AHEAD], seeds, strict=False)]
        for i in range(len(starts)):
            if i + _AHEAD < len(starts):
                pending.append(pool.submit(prepare, starts[i + _AHEAD], seeds[i + _AHEAD]))
            xc, yc = pending.pop(0).result()
            for b in range(0, len(xc), batch_size):
                yield xc[b:b + batch_size], yc[b:b + batch_size]
