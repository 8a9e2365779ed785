"""The non-digits of outlier exposure are distorted as the digits are, each epoch afresh:
a model that saw only crisp non-digits beside resampled digits learnt that smooth means
digit."""

import numpy as np

from trainer.data import augment
from trainer.run.config import Config
from trainer.run.loop import _like_digits


def pool(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.float32)
    x[:, 8:20, 10:18] = rng.uniform(0.5, 1.0, (n, 12, 8))
    return x.reshape(n, 784)


def test_without_distortions_the_pool_is_used_as_it_is():
    crisp = pool()
    assert _like_digits(crisp, Config(), np.random.default_rng(1)) is crisp


def test_with_distortions_each_epoch_draws_a_fresh_distortion_of_the_pool():
    crisp = pool()
    cfg = Config(augment=("affine", "elastic"))
    first = _like_digits(crisp, cfg, np.random.default_rng(1))
    again = _like_digits(crisp, cfg, np.random.default_rng(2))
    assert first.shape == crisp.shape and first.dtype == np.float32
    assert first.min() >= 0 and first.max() <= 1
    assert not np.array_equal(first, crisp) and not np.array_equal(first, again)
    # Exactly what augment.distort makes of the same images with the same generator.
    expected = augment.distort(crisp.reshape(-1, 28, 28), np.random.default_rng(1),
                               cfg.distortion())
    assert np.array_equal(first, expected.reshape(crisp.shape))
