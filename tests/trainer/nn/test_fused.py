"""The numba kernels (trainer.nn.fused) against the NumPy passes they replace: equal bit for
bit, and the NumPy passes where numba is missing."""

import numpy as np
import pytest

from trainer.artifact import inference
from trainer.nn import fused, kernels, network, optim

numba = pytest.importorskip("numba")


def _gradients(rng, n, steps):
    """Gradients of very different sizes, with zeros, as training sees them."""
    grads = []
    for _ in range(steps):
        g = rng.standard_normal(n).astype(np.float32)
        g *= (10.0 ** rng.uniform(-9, 2, n)).astype(np.float32)
        g[rng.random(n) < 0.05] = 0.0
        grads.append(g)
    return grads


def _train(name, p0, grads, *, use_numba):
    p = p0.copy()
    opt = optim.make(name, [p])
    assert opt._fused is not None  # numba is there and p is a C-contiguous float32 array
    if not use_numba:
        opt._fused = None
    for t, g in enumerate(grads):
        opt.step([p], [g], 1e-3 if t < 3 else 3.7e-4)  # a schedule changes lr mid-run
    return p, opt.state_arrays()


@pytest.mark.parametrize("name", optim.NAMES)
def test_the_fused_update_equals_the_numpy_passes_bit_for_bit(name):
    rng = np.random.default_rng(4)
    p0 = rng.standard_normal(40_013).astype(np.float32)  # not a multiple of any vector width
    grads = _gradients(rng, len(p0), 8)
    p_fused, state_fused = _train(name, p0, grads, use_numba=True)
    p_numpy, state_numpy = _train(name, p0, grads, use_numba=False)
    assert not np.array_equal(p_fused, p0)
    assert p_fused.tobytes() == p_numpy.tobytes()  # bits, signed zeros included
    assert state_fused.keys() == state_numpy.keys()
    for key, value in state_fused.items():
        assert value.tobytes() == state_numpy[key].tobytes(), key


def test_without_numba_the_optimizers_and_the_network_use_numpy(monkeypatch):
    monkeypatch.setattr(fused, "_numba", lambda: None)
    p = np.ones(5, np.float32)
    opt = optim.make("rmsprop", [p])
    assert opt._fused is None
    opt.step([p], [np.ones(5, np.float32)], 1e-3)
    assert np.all(p < 1)
    assert not fused.fits(p)


def test_other_dtypes_and_layouts_keep_the_numpy_passes():
    assert optim.make("adam", [np.zeros(4)])._fused is None  # float64
    assert optim.make("adam", [np.zeros((4, 3), np.float32).T])._fused is None
    assert optim.make("adam", [np.zeros((4, 3), np.float32)])._fused is not None


def _forward_backward(params, x, labels, dropout):
    z, cache = network.forward(params, x, dropout, np.random.default_rng(5))
    dz = np.exp(z - z.max(axis=1, keepdims=True))
    dz /= dz.sum(axis=1, keepdims=True)
    dz[np.arange(len(x)), labels] -= 1
    return z, network.backward(params, cache, dz).buffer


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_the_network_kernels_equal_numpy_bit_for_bit(monkeypatch, dropout):
    rng = np.random.default_rng(6)
    params = network.init([784, 96, 33, 10], rng)
    for _, b in params:
        b[...] = rng.normal(0, 0.2, b.shape)
    x = rng.random((50, 784), dtype=np.float32)
    x[:, :100] = 0.0
    labels = rng.integers(0, 10, 50)
    z_fused, g_fused = _forward_backward(params, x, labels, dropout)
    monkeypatch.setattr(fused, "fits", lambda *arrays: False)
    z_numpy, g_numpy = _forward_backward(params, x, labels, dropout)
    assert z_fused.tobytes() == z_numpy.tobytes()
    assert g_fused.tobytes() == g_numpy.tobytes()
    if dropout == 0.0:
        assert z_fused.tobytes() == inference.dense_logits(params, x).tobytes()


def test_bias_relu_keeps_numpys_nan_and_zero_signs():
    z = np.array([[np.nan, -0.0, 0.0, -1.0, 2.0, np.inf, -np.inf, 1e-45]], np.float32)
    b = np.zeros(z.shape[1], np.float32)
    expected = np.maximum(z + b, 0)
    fused.bias_relu(z, b)
    assert z.tobytes() == expected.tobytes()


def test_relu_backward_multiplies_by_the_mask_as_numpy_does():
    delta = np.array([[np.inf, -2.0, np.nan, -0.0], [1.0, -3.0, 4.0, -0.0]], np.float32)
    a_in = np.array([[0.0, 0.0, 1.0, 2.0], [1.0, 0.0, 0.0, 3.0]], np.float32)
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, in both
        expected = delta * (a_in > 0)
    db = np.empty(4, np.float32)
    fused.relu_backward(delta, a_in, db)
    assert delta.tobytes() == expected.tobytes()
    assert db.tobytes() == expected.sum(axis=0).tobytes()


def test_a_kernel_compiles_without_a_writable_cache(monkeypatch):
    """Where numba finds no writable cache directory (neither __pycache__ beside the module
    nor ~/.cache/numba), cache=True raises; the kernel is then compiled in memory."""
    from numba.core import caching

    def read_only(self):
        raise PermissionError(13, "Read-only file system", self.get_cache_path())

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", read_only)
    with pytest.raises(RuntimeError, match="no locator available"):
        numba.njit(cache=True)(kernels.sgd)
    kernel = fused._jit(kernels.sgd, parallel=False)
    p = np.ones(3, np.float32)
    kernel(p, np.ones(3, np.float32), np.array([0.5], np.float32))
    np.testing.assert_array_equal(p, 0.5)
