"""Reading with pairs: the dynamic programming against an exhaustive search, a wide
candidate read as a pair against its cuts, and the number's calibrated confidence."""

import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from trainer.artifact.segment import groups, reading


def exhaustive(runs, single, both, count):
    """Every cover of pieces 0..count-1 by consecutive runs, each run read alone or as
    a pair: the best total, and its reading."""
    best, chosen = -np.inf, None
    for r in range(1, count + 1):
        for picks in itertools.combinations(range(len(runs)), r):
            spans = sorted(runs[k] for k in picks)
            if not (spans[0][0] == 0 and spans[-1][1] == count and all(
                    a[1] == b[0] for a, b in itertools.pairwise(spans))):
                continue
            value = sum(max(single[k], both[k]) for k in picks)
            if value > best:
                best = value
                chosen = [(k, bool(both[k] > single[k]))
                          for k in sorted(picks, key=lambda k: runs[k])]
    return chosen


@pytest.mark.parametrize("seed", range(20))
def test_the_reading_with_pairs_is_the_exhaustive_searchs(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 7))
    runs = [(i, j) for i in range(count) for j in range(i + 1, min(i + 3, count) + 1)
            if j - i == 1 or rng.random() < 0.7]
    single = np.log(rng.uniform(0.05, 1.0, len(runs)))
    both = np.where(rng.random(len(runs)) < 0.5, np.log(rng.uniform(0.05, 1.0, len(runs))),
                    -np.inf)
    assert groups.segmentation(runs, single, both, count) == exhaustive(runs, single, both,
                                                                        count)


def test_a_wide_candidate_read_as_a_pair_beats_cutting_it_badly():
    # pieces 0, 1 cut through two touching digits: apart, fragments (0.3, 0.4); together
    # one digit at 0.5 (it is not one), or the pair "47" at 0.9.
    runs = [(0, 1), (1, 2), (0, 2)]
    single = np.log([0.3, 0.4, 0.5])
    both = np.array([-np.inf, -np.inf, np.log(0.9)])
    assert groups.segmentation(runs, single, both, 2) == [(2, True)]
    # Cut right (0.95 each), the cut wins: 0.9025 > 0.9.
    single = np.log([0.95, 0.95, 0.5])
    assert groups.segmentation(runs, single, both, 2) == [(0, False), (1, False)]


def test_the_number_confidence_is_the_logistic_map_of_its_log_odds():
    model = SimpleNamespace(manifest={"pair": {"number_confidence": {"a": 0.5, "b": -1.0}}})
    # raw 0.9: log-odds ln 9 = 2.1972; 0.5 * 2.1972 - 1 = 0.0986; sigmoid = 0.52463.
    assert reading.calibrated(model, 0.9) == pytest.approx(0.52463, abs=1e-5)
    assert reading.calibrated(SimpleNamespace(manifest={}), 0.9) == 0.9
