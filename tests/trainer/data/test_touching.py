"""The pair network's data: two digits slid until they touch, labelled by both, and
what is no pair."""

import numpy as np

from trainer.artifact import pair
from trainer.data.numbers import touching


def bar(x0, x1, top=4, bottom=24):
    digit = np.zeros((28, 28), np.uint8)
    digit[top:bottom, x0:x1] = 255
    return digit


def test_the_second_digit_comes_to_one_pixel_of_the_first():
    ink = np.zeros((36, 40), bool)
    ink[8:28, 0:6] = True  # the first: a bar whose rightmost column is 5
    new = np.zeros((28, 10), bool)
    new[4:24, 2:6] = True  # the second's strokes start 2 columns into its image
    # Touching: its first stroke column in column 6, right beside 5: so placed at 4.
    assert touching._touching_at(ink, new, 4) == 4


def test_pairs_touch_or_overlap_and_are_labelled_tens_then_units():
    digits = np.stack([bar(10, 16), bar(12, 18)])
    labels = np.array([3, 8])
    rng = np.random.default_rng(0)
    for _ in range(10):
        row = touching.joined([digits[0], digits[1]], rng)
        cols = np.flatnonzero(row.max(axis=0) >= touching.STROKE)
        # Two 6 px bars: 12 columns when just touching, down to 6 when fully overlapped.
        assert 12 - touching.MAX_OVERLAP <= len(cols) <= 12 and np.all(np.diff(cols) == 1)
    x, y = touching.pairs(40, rng, digits, labels)
    assert x.shape == (40, pair.HEIGHT, pair.WIDTH) and set(y.tolist()) <= {33, 38, 83, 88}
    assert len(set(y.tolist())) == 4


def test_non_pairs_come_in_every_kind_framed_wide():
    digits = np.stack([bar(10, 16), bar(8, 20)])
    pool = np.zeros((3, 28, 28), np.float32)
    pool[:, 10:14, 4:24] = 200.0
    out = touching.non_pairs(2 * len(touching.KINDS), np.random.default_rng(1), digits, pool)
    assert out.shape == (10, pair.HEIGHT, pair.WIDTH)
    assert np.all(out.max(axis=(1, 2)) == 255) and np.all(out == np.rint(out))
