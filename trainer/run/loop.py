"""The inner loop: one epoch of shuffled minibatches, and the stop flag around it.

Hot-path choices: inputs are float32 throughout; each epoch shuffles by an
index permutation gathered into one preallocated batch buffer (no copy of the
training set); the optimizer updates the weights in place.
"""

import math
import signal
import sys
import threading

import numpy as np

from trainer.data import augment, outliers
from trainer.data import users as user_data
from trainer.data.batches import minibatches
from trainer.nn import network
from trainer.nn.loss import OUTLIER, cross_entropy
from trainer.nn.schedule import lr_at


class TrainError(Exception):
    """Training cannot produce a usable model (e.g. the loss diverged)."""


class StopFlag:
    """Context manager: SIGINT/SIGTERM set `requested` instead of killing the run."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.requested = False
        self._old = {}

    def _handle(self, signum, frame):
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


def _like_digits(pool: np.ndarray, cfg, rng: np.random.Generator) -> np.ndarray:
    """The non-digits (M, 784) distorted afresh as the digits are: left crisp while every
    digit is resampled, they taught the network that smooth means digit (a model so
    trained accepted half of Fashion-MNIST, and half of its own non-digits distorted)."""
    distortion = cfg.distortion()
    if not distortion.kinds:
        return pool
    side = int(np.sqrt(pool.shape[1]))
    out = augment.distort(pool.reshape(-1, side, side), rng, distortion)
    return out.reshape(pool.shape)


def run_epoch(cfg, params, opt, xy, rng, *, epoch: int, stop: StopFlag, outlier_pool=None,
              users=None):
    """One pass over xy = (x (N, 784) float32, y (N,) int); returns (mean loss, accuracy
    on the digits). With `outlier_pool` (M, 784), each batch gets cfg.outliers times its
    size of non-digits from it (trainer/data/outliers.py); with `users` (users.Examples),
    cfg.user_share of each batch is theirs, distorted as the digits are.

    Stops after the current batch once `stop.requested` is set.
    """
    x, y = xy
    steps = math.ceil(len(x) / cfg.batch_size)
    grads = network.packed(params)  # written in place by every step's backward pass
    perm = rng.permutation(len(x))
    total_loss, correct, seen = 0.0, 0, 0
    bar = _progress(steps, f"epoch {epoch}/{cfg.epochs}")
    batches = minibatches(x, y, perm, batch_size=cfg.batch_size, rng=rng,
                          distortion=cfg.distortion())
    if outlier_pool is not None and cfg.outliers:
        batches = outliers.mixed(batches, _like_digits(outlier_pool, cfg, rng), cfg.outliers, rng)
    if users is not None:
        mine = user_data.Examples(_like_digits(users.x, cfg, rng), users.y)
        batches = user_data.mixed(batches, mine, cfg.user_share, rng)
    for step, (xb, yb) in enumerate(batches):
        loss, z = _step(cfg, (params, grads), opt, (xb, yb), rng=rng,
                        where=(epoch, step, steps))
        digits = np.count_nonzero(yb != OUTLIER)
        total_loss += loss * digits
        correct += int(np.count_nonzero(z.argmax(axis=1) == yb))
        seen += digits
        if bar is not None:
            bar.update(1)
        if stop.requested:
            batches.close()
            break
    if bar is not None:
        bar.close()
    return total_loss / max(seen, 1), correct / max(seen, 1)


def _step(cfg, params_grads, opt, batch, *, rng, where):
    """Forward, loss, backward and update on one batch; returns (loss, logits)."""
    epoch, step, steps = where
    params, grads = params_grads
    xb, yb = batch
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked just below
        z, cache = network.forward(params, xb, cfg.dropout, rng)
        loss, dz = cross_entropy(z, yb, cfg.outlier_weight)
    if not math.isfinite(loss):
        raise TrainError(f"loss became {loss} in epoch {epoch}, batch {step + 1}; "
                         "lower --lr or add --weight-decay; nothing was exported")
    network.backward(params, cache, dz, out=grads)
    if cfg.weight_decay:
        wd = np.float32(cfg.weight_decay)
        for (w, _), (grad_w, _) in zip(params, grads, strict=True):
            np.add(grad_w, wd * w, out=grad_w)  # L2 on weights only, not biases
    opt.step(network.flatten(params), network.flatten(grads), lr_at(cfg, epoch, step, steps))
    return loss, z


def _progress(steps: int, desc: str):
    """A tqdm bar on an interactive stderr; None otherwise (plain per-epoch lines)."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=steps, desc=desc, file=sys.stderr, leave=False, unit="batch")
