"""The trainer's own non-digits: framed like MNIST, repeatable, mixed into batches."""

import numpy as np
import pytest

from tests.trainer._synth import make_images
from trainer.artifact import SIDE
from trainer.artifact.framing import BOX
from trainer.data import outliers
from trainer.nn.loss import OUTLIER

# The others fill a bare 28x28 field a third of the time, as a client may send them.
ALWAYS_FRAMED = ("strokes", "glyphs", "fragments", "pairs", "misreads")


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    prototypes = np.zeros((10, SIDE, SIDE))
    prototypes[:, 6:22, 12:16] = 220.0  # a bar each: fragments and pairs cut from them
    return make_images(50, rng, prototypes)[0]


@pytest.mark.parametrize("family", list(outliers.FAMILIES))
def test_each_family_gives_framed_integer_images(family, digits):
    rng = np.random.default_rng(1)
    for _ in range(20):
        image = outliers._one(outliers.FAMILIES[family], rng, digits)
        assert image.shape == (SIDE, SIDE) and image.dtype == np.float32
        assert image.min() >= 0 and image.max() <= 255 and np.all(image == np.rint(image))
        if family in ALWAYS_FRAMED:
            ink = np.argwhere(image > 0)
            assert (ink.max(axis=0) - ink.min(axis=0) + 1).max() <= BOX


def test_the_pool_cycles_through_the_families_and_repeats_with_its_seed(digits):
    first = outliers.pool(sum(outliers.SHARES.values()), np.random.default_rng(7), digits)
    again = outliers.pool(sum(outliers.SHARES.values()), np.random.default_rng(7), digits)
    np.testing.assert_array_equal(first, again)
    assert len({img.tobytes() for img in first}) == len(first)


def test_mixed_appends_a_share_of_outliers_to_each_batch():
    pool = np.full((10, 784), 0.5, np.float32)
    batches = [(np.zeros((8, 784), np.float32), np.arange(8)), (np.zeros((4, 784), np.float32),
                                                                np.arange(4))]
    got = list(outliers.mixed(iter(batches), pool, 0.25, np.random.default_rng(0)))
    assert [len(x) for x, _ in got] == [10, 5]
    for (x, y), (xb, yb) in zip(got, batches, strict=True):
        np.testing.assert_array_equal(y[:len(yb)], yb)
        assert np.all(y[len(yb):] == OUTLIER) and np.all(x[len(xb):] == 0.5)
