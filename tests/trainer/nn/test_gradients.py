"""Backprop checked against central finite differences in float64 (tolerance 1e-6 relative)."""

import numpy as np
import pytest

from trainer.artifact import inference
from trainer.nn import network
from trainer.nn.loss import cross_entropy

EPS = 1e-6


def _params64(sizes, seed):
    rng = np.random.default_rng(seed)
    return [(w.astype(np.float64), rng.normal(0, 0.1, b.shape))
            for w, b in network.init(sizes, rng)]


def _loss(params, x, labels, dropout):
    # A fresh generator with the same seed gives the same dropout mask on every call.
    z, _ = network.forward(params, x, dropout, np.random.default_rng(123))
    return cross_entropy(z, labels)[0]


def _numeric(params, batch, dropout, array, index):
    x, labels = batch
    saved = array[index]
    array[index] = saved + EPS
    up = _loss(params, x, labels, dropout)
    array[index] = saved - EPS
    down = _loss(params, x, labels, dropout)
    array[index] = saved
    return (up - down) / (2 * EPS)


@pytest.mark.parametrize(("sizes", "dropout"), [
    ([784, 10], 0.0), ([784, 16, 10], 0.0), ([784, 16, 12, 10], 0.0),
    ([784, 16, 12, 10], 0.5)])
def test_backward_matches_finite_differences(sizes, dropout):
    rng = np.random.default_rng(1)
    params = _params64(sizes, 2)
    x = rng.random((6, 784))
    labels = rng.integers(0, 10, 6)
    z, cache = network.forward(params, x, dropout, np.random.default_rng(123))
    grads = network.backward(params, cache, cross_entropy(z, labels)[1])
    for (w, b), (dw, db) in zip(params, grads, strict=True):
        for array, grad in ((w, dw), (b, db)):
            flat_indices = rng.choice(array.size, size=min(12, array.size), replace=False)
            for flat in flat_indices:
                index = np.unravel_index(flat, array.shape)
                numeric = _numeric(params, (x, labels), dropout, array, index)
                assert grad[index] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_dropout_mask_is_applied_and_rescaled():
    params = _params64([784, 32, 10], 3)
    x = np.random.default_rng(4).random((5, 784))
    _, cache = network.forward(params, x, 0.5, np.random.default_rng(0))
    mask = cache[1][1]
    assert set(np.unique(mask)) == {0.0, 2.0}


def test_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    z = rng.normal(0, 3, (4, 10))
    labels = rng.integers(0, 10, 4)
    _, dz = cross_entropy(z, labels)
    for index in np.ndindex(z.shape):
        saved = z[index]
        z[index] = saved + EPS
        up = cross_entropy(z, labels)[0]
        z[index] = saved - EPS
        down = cross_entropy(z, labels)[0]
        z[index] = saved
        assert dz[index] == pytest.approx((up - down) / (2 * EPS), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("hidden", [(64,), (64, 32)])
def test_forward_without_dropout_equals_logits_bit_for_bit(hidden):
    params = network.init([784, *hidden, 10], np.random.default_rng(6))
    x = np.random.default_rng(7).random((33, 784), dtype=np.float32)
    z, _ = network.forward(params, x)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z, inference.dense_logits(params, x))
