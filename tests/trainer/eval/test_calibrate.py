"""The verdict's pieces against trusted references: scipy's minimiser for the temperature,
a written-out expected calibration error, and the refusal share it was chosen for."""

import numpy as np
import pytest

from trainer.eval import calibrate
from trainer.nn import network


def _logits(seed: int, n: int = 4000, scale: float = 3.0):
    """Overconfident logits: the right class is on top 80% of the time."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    z = rng.normal(0, 1, (n, 10))
    right = rng.random(n) < 0.8
    z[np.arange(n), np.where(right, y, (y + 1) % 10)] += 2.5
    return (z * scale).astype(np.float32), y


def test_temperature_is_scipys_minimiser_of_the_nll():
    optimize = pytest.importorskip("scipy.optimize")
    z, y = _logits(0)

    def nll(t):
        s = z.astype(np.float64) / t
        top = s.max(axis=1)
        return np.mean(top + np.log(np.exp(s - top[:, None]).sum(axis=1)) - s[np.arange(len(y)), y])

    reference = optimize.minimize_scalar(nll, bounds=(0.05, 20), method="bounded").x
    t = calibrate.temperature(z, y)
    assert t == pytest.approx(reference, rel=0.01)
    assert t > 1  # the logits were made overconfident


def test_calibration_error_written_out():
    confidence = np.array([0.05, 0.15, 0.95, 0.95, 0.99, 0.5])
    correct = np.array([False, True, True, False, True, True])
    result = calibrate.calibration(confidence, correct, bins=10)
    # Bins: [0, .1): 0.05 wrong; [.1, .2): 0.15 right; [.5, .6): 0.5 right; [.9, 1]: three.
    expected = (abs(0.05 - 0) + abs(0.15 - 1) + abs(0.5 - 1)
                + 3 * abs((0.95 + 0.95 + 0.99) / 3 - 2 / 3)) / 6
    assert result["ece"] == pytest.approx(expected, rel=1e-12)
    assert [b["count"] for b in result["bins"]] == [1, 1, 1, 3]


def test_the_verdict_refuses_the_share_it_was_chosen_for():
    rng = np.random.default_rng(1)
    params = network.init([784, 32, 10], rng)
    x = rng.random((2000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 2000)
    outliers = rng.random((500, 784), dtype=np.float32) * 0.2
    verdict = calibrate.verdict(params, (x, y), outliers, refuse=0.05)
    assert verdict["rule"] in ("top_probability", "negative_energy")
    assert verdict["validation"]["digits_refused"] == pytest.approx(0.05, abs=0.002)
    assert 0 <= verdict["validation"]["nondigits_accepted"] <= 1 and verdict["temperature"] > 0
