"""Each optimizer's in-place update against the update rule worked out by hand.

The reference keeps scalars in Python floats (float64); the optimizers run in
float32, so the tolerance is 1e-6 relative.
"""

import math

import numpy as np
import pytest

from trainer.nn import optim

P0 = [0.5, -1.5, 2.0]
GRADS = [[0.1, -0.2, 0.3], [0.4, 0.0, -0.6], [-0.05, 0.25, 0.1]]
LR = 0.01


def _run(opt_factory, lr=LR):
    p = np.array(P0, dtype=np.float32)
    opt = opt_factory([p])
    for g in GRADS:
        opt.step([p], [np.array(g, dtype=np.float32)], lr)
    return p, opt


def _hand(update):
    """Apply `update(i, p, g, state) -> p` coordinate-wise over the gradient sequence."""
    out = []
    for i, p0 in enumerate(P0):
        p, state = p0, {}
        for t, g in enumerate(GRADS, start=1):
            p = update(p, g[i], state, t)
        out.append(p)
    return out


def _sgd(p, g, s, t):
    return p - LR * g


def _momentum(p, g, s, t, nesterov=False):
    s["v"] = 0.9 * s.get("v", 0.0) + g
    return p - LR * (g + 0.9 * s["v"] if nesterov else s["v"])


def _rmsprop(p, g, s, t):
    s["s"] = 0.9 * s.get("s", 0.0) + 0.1 * g * g
    return p - LR * g / (math.sqrt(s["s"]) + 1e-7)


def _adam(p, g, s, t):
    s["m"] = 0.9 * s.get("m", 0.0) + 0.1 * g
    s["v"] = 0.999 * s.get("v", 0.0) + 0.001 * g * g
    alpha = LR * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
    return p - alpha * s["m"] / (math.sqrt(s["v"]) + 1e-7)


@pytest.mark.parametrize(("name", "rule"), [
    ("sgd", _sgd), ("momentum", _momentum),
    ("nesterov", lambda p, g, s, t: _momentum(p, g, s, t, nesterov=True)),
    ("rmsprop", _rmsprop), ("adam", _adam)])
def test_update_matches_hand_computation(name, rule):
    p, _ = _run(lambda params: optim.make(name, params))
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, _hand(rule), rtol=1e-6, atol=1e-7)


def test_first_rmsprop_and_adam_steps_have_closed_forms():
    # RMSprop from zero state: lr g / sqrt(0.1 g^2) = lr sign(g) / sqrt(0.1); Adam: lr sign(g),
    # up to eps = 1e-7 against sqrt(v) ~ 1e-2, hence rtol 1e-4.
    g = np.array([0.3, -2.0], dtype=np.float32)
    for opt_cls, step in ((optim.RMSprop, LR / math.sqrt(0.1)), (optim.Adam, LR)):
        p = np.zeros(2, dtype=np.float32)
        opt_cls([p]).step([p], [g], LR)
        np.testing.assert_allclose(p, -step * np.sign(g), rtol=1e-4)


@pytest.mark.parametrize("name", optim.NAMES)
def test_state_round_trip_continues_identically(name):
    p_ref, _ = _run(lambda params: optim.make(name, params))
    p = np.array(P0, dtype=np.float32)
    first = optim.make(name, [p])
    first.step([p], [np.array(GRADS[0], dtype=np.float32)], LR)
    second = optim.make(name, [p])
    second.load_state_arrays({k: v.copy() for k, v in first.state_arrays().items()})
    for g in GRADS[1:]:
        second.step([p], [np.array(g, dtype=np.float32)], LR)
    np.testing.assert_array_equal(p, p_ref)


def test_updates_are_in_place():
    p = np.ones(3, dtype=np.float32)
    before = p.__array_interface__["data"][0]
    optim.make("adam", [p]).step([p], [np.ones(3, dtype=np.float32)], LR)
    assert p.__array_interface__["data"][0] == before and p[0] < 1


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="--optimizer 'adagrad' is unknown"):
        optim.make("adagrad", [np.zeros(1, np.float32)])
