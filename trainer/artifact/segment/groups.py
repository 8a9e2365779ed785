"""Segmentation by recognition: which runs of pieces are the digits.

Every run of up to MAX_PARTS neighbouring pieces (pieces.py) that could be one digit is
a candidate: the parts of a broken digit, or the two halves of a cut that was not
needed. The model reads all candidates in one batch, and the segmentation kept is the
one it reads with the highest joint confidence (the product of the digits'
confidences), found by dynamic programming over the pieces (LeCun et al. 1998,
section VI). A candidate holding two digits, or a fragment of one, is what the model
was trained to call no digit (trainer/data/outliers.py: pairs, fragments), so neither
wins over the right cut.
"""

import numpy as np

from trainer.artifact.segment.pieces import Pieces

MAX_PARTS = 4  # pieces in one digit: a 5's bar, a broken 4 or 0, a cut made too many times
MAX_WIDTH = 1.1  # a candidate of several pieces is at most this many heights wide
MAX_GAP = 0.25  # and has no gap between its pieces wider than this many heights
# A candidate much wider than the hand's digits (Pieces.width) is likely two digits the
# model reads as one (a 6 with a 1 against it, a 9 across a 3): past WIDE_AS times that
# width, each further digit-width costs this much log-confidence.
WIDE_AS = 1.4
WIDE_COST = 3.0
# Two touching digits, cut into pieces, are one candidate for the pair network
# (trainer/artifact/pair.py) when their run is at most this many pieces and heights wide.
PAIR_PARTS = 6
PAIR_WIDTH = 2.4


def candidates(found: Pieces) -> list[tuple[int, int]]:
    """The runs [i, j) of pieces that may be one digit: every piece alone, and the
    runs of up to MAX_PARTS that are narrow enough and have no wide gap inside."""
    out = []
    for i in range(found.count):
        for j in range(i + 1, min(i + MAX_PARTS, found.count) + 1):
            if j - i == 1 or _could_be_one(found, i, j, MAX_WIDTH):
                out.append((i, j))
    return out


def pair_candidates(found: Pieces) -> list[tuple[int, int]]:
    """The runs [i, j) of pieces that may be two touching digits: every piece alone, and
    runs of up to PAIR_PARTS pieces cut from one mark (they touch), at most PAIR_WIDTH
    heights wide."""
    out = []
    for i in range(found.count):
        for j in range(i + 1, min(i + PAIR_PARTS, found.count) + 1):
            if j - i == 1 or (found.mark is not None and np.all(
                    found.mark[i:j] == found.mark[i]) and _could_be_one(found, i, j,
                                                                        PAIR_WIDTH)):
                out.append((i, j))
    return out


def _could_be_one(found: Pieces, i: int, j: int, width: float) -> bool:
    _, left, _, right = found.union(i, j)
    if right - left > width * found.height:
        return False
    spans = found.boxes[i:j, [1, 3]]
    spans = spans[np.argsort(spans[:, 0], kind="stable")]
    reach = np.maximum.accumulate(spans[:, 1])
    return bool(np.all(spans[1:, 0] - reach[:-1] <= MAX_GAP * found.height))


def widths(found: Pieces, unions: np.ndarray) -> np.ndarray:
    """int (C, 4) the candidates' boxes (top, left, bottom, right) -> float (C,): each
    candidate's width in the hand's digit widths."""
    return (unions[:, 3] - unions[:, 1]) / max(found.width, 1.0)


def best(runs: list[tuple[int, int]], confidence: np.ndarray, count: int,
         width: np.ndarray | None = None) -> list[int]:
    """The indices into `runs` of the segmentation of `count` pieces with the highest
    sum of log confidences (float (len(runs),)), less WIDE_COST for each digit-width
    a candidate is wider than WIDE_AS (`width`, float (len(runs),)); every piece in
    exactly one run."""
    score = np.log(np.maximum(confidence.astype(np.float64), 1e-12))
    if width is not None:
        score -= WIDE_COST * np.maximum(0.0, width - WIDE_AS)
    return [k for k, _ in segmentation(runs, score, np.full(len(runs), -np.inf), count)]


def segmentation(runs: list[tuple[int, int]], single: np.ndarray, pair: np.ndarray,
                 count: int) -> list[tuple[int, bool]]:
    """The reading of `count` pieces with the highest total score, every piece in
    exactly one run: each run k read as one digit scores single[k], as two touching
    digits pair[k] (float (len(runs),) each, -inf where it cannot be) -> [(k, read as
    a pair)] left to right."""
    ending: list[list[int]] = [[] for _ in range(count + 1)]
    for k, (_, j) in enumerate(runs):
        ending[j].append(k)
    total = np.full(count + 1, -np.inf)
    total[0] = 0.0
    back = np.full(count + 1, -1)
    as_pair = np.zeros(count + 1, dtype=bool)
    for j in range(1, count + 1):
        for k in ending[j]:
            value = total[runs[k][0]] + max(single[k], pair[k])
            if value > total[j]:
                total[j], back[j], as_pair[j] = value, k, pair[k] > single[k]
    chosen, j = [], count
    while j > 0:
        chosen.append((int(back[j]), bool(as_pair[j])))
        j = runs[back[j]][0]
    return chosen[::-1]
