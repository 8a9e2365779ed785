"""/read's segmentation: pieces cut where digits may touch, and the best segmentation by
dynamic programming, against written-out cases and an exhaustive search."""

import itertools

import numpy as np
import pytest

from trainer.artifact.segment import cut_paths, groups, pieces


def blocks(*spans, height=40, width=200, top=5):
    """bool (50, width): a full-height bar over each [x0, x1)."""
    mask = np.zeros((top + height + 5, width), dtype=bool)
    for x0, x1 in spans:
        mask[top:top + height, x0:x1] = True
    return mask


def test_separate_marks_are_pieces_left_to_right_and_specks_are_left_out():
    mask = blocks((120, 140), (10, 30), (60, 90))
    mask[2, 150] = True  # a speck, far under NOISE of the height
    found = pieces.pieces(mask)
    assert found.height == 40
    assert found.boxes.tolist() == [[5, 10, 45, 30], [5, 60, 45, 90], [5, 120, 45, 140]]
    assert found.owner[5, 10] == 0 and found.owner[5, 60] == 1 and found.owner[5, 120] == 2
    assert found.owner[2, 150] == -1 and (found.owner >= 0).sum() == mask.sum() - 1


def test_a_component_too_wide_for_one_digit_is_cut_at_its_thinnest_column():
    mask = blocks((10, 40), (45, 75))
    mask[20:24, 40:45] = True  # a thin bridge: one component 65 px wide, 40 tall
    found = pieces.pieces(mask)
    assert found.count == 2
    left, right = found.boxes
    assert left[1] == 10 and right[3] == 75
    assert 40 <= left[3] == right[1] <= 45  # the cut falls in the bridge
    assert (found.owner[5:45, 10:40] == 0).all() and (found.owner[5:45, 45:75] == 1).all()


def slanted(x_at_top, width, rows, slope):
    """bool (rows, 120): a bar `width` wide leaning right by `slope` px per row upwards."""
    mask = np.zeros((rows, 120), dtype=bool)
    for y in range(rows):
        x = round(x_at_top + slope * (rows - 1 - y))
        mask[y, x:x + width] = True
    return mask


def test_a_cut_follows_the_white_between_digits_that_overlap_in_their_columns():
    # Two bars leaning alike, 8 px apart, each spanning 30 columns: their columns overlap
    # by 16, so no straight cut parts them, and the columns' ink is highest where they
    # overlap. A bridge 2 px thick joins them in the middle.
    a, b = slanted(10, 6, 40, 0.6), slanted(24, 6, 40, 0.6)
    bridge = np.zeros_like(a)
    bridge[20:22, 20:42] = True
    found = pieces.pieces(a | b | bridge)
    # Cut too often, maybe, but never so that a piece holds both bars (off the bridge):
    # each bar is a run of neighbouring pieces, which the segmentation can put together.
    off = ~bridge
    in_a, in_b = set(found.owner[a & off].tolist()), set(found.owner[b & off].tolist())
    assert found.count >= 2 and not in_a & in_b
    assert sorted(in_a) == list(range(min(in_a), max(in_a) + 1))
    assert sorted(in_b) == list(range(min(in_b), max(in_b) + 1))


def test_no_cut_through_a_solid_stroke_nor_beside_it():
    # A solid bar: every path crosses 40 px of ink (over MAX_CROSSED) or leaves no ink
    # on one side.
    assert cut_paths.cuts(blocks((10, 60))[5:45, 10:60], 40.0).shape == (0, 40)


def test_pieces_mask_and_union_cover_exactly_the_groups_pixels():
    mask = blocks((10, 40), (45, 75))
    mask[20:24, 40:45] = True
    found = pieces.pieces(mask)
    box = found.union(0, 2)
    assert box == (5, 10, 45, 75)
    assert np.array_equal(found.mask(0, 2, box), mask[5:45, 10:75])
    left = found.mask(0, 1, box)
    cut = found.boxes[0, 3] - 10
    assert left[:, :cut].sum() == mask[5:45, 10:10 + cut].sum() and not left[:, cut:].any()


def row_of(*spans, height=40):
    """Pieces of full-height bars over each [x0, x1)."""
    return pieces.pieces(blocks(*spans, height=height))


def test_candidates_join_only_neighbours_that_may_be_one_digit():
    # 40 px tall: a run is at most 44 px wide with gaps of at most 10 px inside.
    found = row_of((0, 10), (12, 30), (50, 60), (90, 140))
    assert groups.candidates(found) == [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4)]


def exhaustive(runs, confidence, count):
    """Every way to cover pieces 0..count-1 by consecutive runs; the best product."""
    best, chosen = -1.0, None
    for r in range(1, count + 1):
        for picks in itertools.combinations(range(len(runs)), r):
            spans = sorted(runs[k] for k in picks)
            if spans[0][0] == 0 and spans[-1][1] == count and all(
                    a[1] == b[0] for a, b in itertools.pairwise(spans)):
                value = float(np.prod(confidence[list(picks)]))
                if value > best:
                    best, chosen = value, sorted(picks, key=lambda k: runs[k])
    return chosen


@pytest.mark.parametrize("seed", range(20))
def test_best_segmentation_is_the_exhaustive_searchs(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 7))
    runs = [(i, j) for i in range(count) for j in range(i + 1, min(i + 3, count) + 1)
            if j - i == 1 or rng.random() < 0.7]
    confidence = rng.uniform(0.05, 1.0, len(runs)).astype(np.float32)
    assert groups.best(runs, confidence, count) == exhaustive(runs, confidence, count)


def test_best_joins_a_broken_digit_and_keeps_a_real_pair_apart():
    runs = [(0, 1), (0, 2), (1, 2), (2, 3), (2, 4), (3, 4)]
    # pieces 0+1: one digit read at 0.95, apart two fragments at 0.3 and 0.4;
    # pieces 2, 3: two digits at 0.9 each, together a pair the model calls no digit (0.1).
    confidence = np.array([0.3, 0.95, 0.4, 0.9, 0.1, 0.9])
    assert groups.best(runs, confidence, 4) == [1, 3, 5]
