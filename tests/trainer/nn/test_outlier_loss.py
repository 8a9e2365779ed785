"""The outlier-exposure loss against central finite differences and PyTorch."""

import numpy as np
import pytest

from trainer.nn.loss import OUTLIER, cross_entropy

EPS = 1e-6


def _batch(seed: int, n_digits: int, n_outliers: int):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (n_digits + n_outliers, 10))
    labels = np.concatenate([rng.integers(0, 10, n_digits), np.full(n_outliers, OUTLIER)])
    return z, rng.permutation(labels)


@pytest.mark.parametrize(("n_digits", "n_outliers"), [(6, 0), (6, 3), (0, 4), (1, 1)])
def test_gradient_matches_finite_differences(n_digits, n_outliers):
    z, labels = _batch(0, n_digits, n_outliers)
    _, dz = cross_entropy(z, labels, outlier_weight=0.7)
    numeric = np.zeros_like(z)
    for index in np.ndindex(*z.shape):
        saved = z[index]
        z[index] = saved + EPS
        up = cross_entropy(z, labels, outlier_weight=0.7)[0]
        z[index] = saved - EPS
        down = cross_entropy(z, labels, outlier_weight=0.7)[0]
        z[index] = saved
        numeric[index] = (up - down) / (2 * EPS)
    np.testing.assert_allclose(dz, numeric, rtol=1e-6, atol=1e-9)


def test_loss_and_gradient_match_pytorch():
    torch = pytest.importorskip("torch", reason="pip install torch==2.13.0")
    z, labels = _batch(1, 12, 5)
    loss, dz = cross_entropy(z.astype(np.float32), labels, outlier_weight=0.5)
    tz = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    digits, outliers = labels != OUTLIER, labels == OUTLIER
    uniform = torch.full((int(outliers.sum()), 10), 0.1, dtype=torch.float64)
    expected = (torch.nn.functional.cross_entropy(tz[digits], torch.tensor(labels[digits]))
                + 0.5 * torch.nn.functional.cross_entropy(tz[outliers], uniform))
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-5)
    np.testing.assert_allclose(dz, tz.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_without_outliers_it_is_the_plain_cross_entropy():
    z, labels = _batch(2, 9, 0)
    loss, dz = cross_entropy(z, labels)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(9), labels]).mean(), rel=1e-12)
    p[np.arange(9), labels] -= 1
    np.testing.assert_allclose(dz, p / 9, rtol=1e-12)
