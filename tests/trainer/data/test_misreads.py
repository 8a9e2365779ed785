"""The reader's own mistakes: which of the real segmenter's candidates count as misreads,
against written-out cases, and the images they make."""

import numpy as np
import pytest

from trainer.artifact import SIDE
from trainer.artifact.framing import BOX
from trainer.artifact.segment import pieces
from trainer.data.numbers import misreads


def bars(*spans, height=40, width=120):
    """bool (50, width): a full-height block over each [x0, x1)."""
    mask = np.zeros((height + 10, width), dtype=bool)
    for x0, x1 in spans:
        mask[5:5 + height, x0:x1] = True
    return mask


@pytest.fixture(scope="module")
def three_pieces():
    """Pieces A, B, C left to right; A and B are the halves of the first digit, C the
    second digit."""
    marks = bars((10, 34), (36, 60), (80, 104))
    strokes = np.stack([bars((10, 34), (36, 60)), bars((80, 104))])
    return pieces.pieces(marks), strokes


@pytest.mark.parametrize(("run", "wrong"), [
    ((0, 1), True),   # half of the first digit
    ((1, 2), True),   # the other half
    ((0, 2), False),  # the first digit, whole
    ((2, 3), False),  # the second digit
    ((1, 3), True),   # half of one digit merged with the other
    ((0, 3), True),   # both digits
])
def test_a_candidate_is_a_misread_when_it_is_part_of_a_digit_or_holds_two(three_pieces, run,
                                                                           wrong):
    found, strokes = three_pieces
    assert found.count == 3
    assert misreads._misread(found, *run, strokes) is wrong


def test_a_narrow_part_is_not_a_misread_for_it_may_be_a_fair_one():
    # One digit in three pieces; its stem (a 4's, say) alone is 10 px wide and 40 tall,
    # under NARROW; the other two parts are as wide as they are tall.
    marks = bars((10, 20), (24, 48), (50, 74))
    found = pieces.pieces(marks)
    assert [misreads._misread(found, i, i + 1, marks[None]) for i in range(3)] == [
        False, True, True]


def test_a_digit_with_a_stray_speck_of_its_neighbour_is_neither_right_nor_counted():
    # 4% of the candidate's ink from the second digit: under STRAY, so read as right.
    marks = bars((10, 34))
    first, second = marks.copy(), np.zeros_like(marks)
    first[5:45, 33] = False
    second[5:45, 33] = True
    found = pieces.pieces(marks)
    assert misreads._misread(found, 0, 1, np.stack([first, second])) is False


def test_numbers_written_touching_give_framed_misreads_and_repeat_with_their_seed():
    rng = np.random.default_rng(0)
    digits = np.zeros((4, SIDE, SIDE), np.uint8)
    digits[:, 4:24, 8:20] = 230  # solid blocks: touching, they make one wide component
    digits[:, 10:18, 12:16] = 0  # with a hole, so that a cut through them crosses ink
    got = [misreads.misreads(rng, digits) for _ in range(6)]
    again = [misreads.misreads(np.random.default_rng(0), digits)]
    np.testing.assert_array_equal(got[0], again[0])
    for image in got:
        assert image.shape == (SIDE, SIDE) and image.dtype == np.float32
        assert image.min() >= 0 and image.max() <= 255 and np.all(image == np.rint(image))
        ink = np.argwhere(image > 0)
        assert (ink.max(axis=0) - ink.min(axis=0) + 1).max() <= BOX
