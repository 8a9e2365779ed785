"""The number's confidence map: a logistic regression on the log-odds, against data
drawn from a known map, and finite where the outcomes separate."""

import numpy as np
import pytest

from trainer.run import number


def test_the_fit_recovers_a_known_map():
    rng = np.random.default_rng(0)
    x = rng.normal(2, 4, 20000)
    right = rng.random(len(x)) < 1 / (1 + np.exp(-(0.7 * x - 1.0)))
    fitted = number.fit(1 / (1 + np.exp(-x)), right)
    assert fitted["a"] == pytest.approx(0.7, abs=0.05)
    assert fitted["b"] == pytest.approx(-1.0, abs=0.1)


def test_outcomes_that_separate_give_a_finite_steep_map():
    raw = np.array([0.1, 0.2, 0.3, 0.9, 0.99, 0.999])
    fitted = number.fit(raw, np.array([False] * 3 + [True] * 3))
    assert np.isfinite(fitted["a"]) and fitted["a"] > 0.5
