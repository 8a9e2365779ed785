"""The inference forward pass against a written-out float64 network."""

import numpy as np
import pytest

from tests.helpers import reference
from trainer.artifact import inference
from trainer.nn import network


def digit_like(n: int, seed: int) -> np.ndarray:
    """(n, 784) float32 in [0, 1], about 80% zeros like a MNIST digit."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    x[rng.random((n, 784)) < 0.8] = 0
    return x


@pytest.mark.parametrize("rows", [0, 1, 3, 5, inference.SPARSE_ROWS, inference.SPARSE_ROWS + 1])
@pytest.mark.parametrize("kind", ["digit-like", "dense", "blank"])
def test_logits_match_the_written_out_network(rows, kind):
    params = network.init([784, 256, 128, 10], np.random.default_rng(0))
    x = {"digit-like": digit_like(rows, 1),
         "dense": np.random.default_rng(2).random((rows, 784), dtype=np.float32),
         "blank": np.zeros((rows, 784), np.float32)}[kind]
    z = inference.logits(params, x)
    assert z.dtype == np.float32 and z.shape == (rows, 10)
    np.testing.assert_allclose(z, reference.logits(params, x), rtol=1e-5, atol=1e-5)
