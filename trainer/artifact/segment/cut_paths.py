"""Where to cut a component that may hold several digits: paths from top to bottom
that cross as little ink as they can.

Digits written close together overlap in their columns, so neither a straight cut nor
the dips of the columns' ink parts them: two slanted digits side by side have most ink
where they overlap. A path is found instead, by dynamic programming over the rows, from
every few columns: each row's boundary within one column of the row above's, a cost of
1 for each ink pixel it crosses and STEP for each step aside, within REACH heights of
where it started. The cheapest paths, apart from each other and leaving ink on both
sides, are the cuts to try.
"""

import numpy as np

NARROW = 0.12  # cuts are at least this many heights from the ends and each other
CUTS_PER_HEIGHT = 3  # at most this many cuts per height of a component's width
STRIDE = 0.08  # paths start every this many heights
REACH = 0.3  # a path strays at most this many heights from its start
STEP = 0.1  # the cost of a step aside, against 1 for an ink pixel crossed
AWAY = 0.01  # and of each column away from the start, per row: the straighter wins ties
MAX_CROSSED = 0.2  # a cut crosses at most this many heights of ink
# and one stroke, where two digits touch; a cut through a 0, 6 or 8 (or between the
# halves of a 3) crosses two or three. Only a component too wide for one digit, as two
# digits written across each other are, may be cut through two.
CROSSING_WIDTH = 1.1  # heights
MIN_SIDE = 0.08  # and leaves at least this fraction of the ink on each side


def cuts(own: np.ndarray, height: float) -> np.ndarray:
    """bool (h, w) one component -> int (k, h): for each cut, each row's first column on
    its right side (the boundary falls between column c - 1 and c); the cuts ordered
    left to right and never crossing."""
    h, w = own.shape
    gap = max(2, round(NARROW * height))
    starts = np.arange(gap, w - gap + 1, max(1, round(STRIDE * height)))
    if not len(starts):
        return np.zeros((0, h), dtype=np.int64)
    found, crossed, strokes = paths(own, starts, height)
    left = _ink_left_of(own, found)
    total = own.sum()
    most = 1 if w <= CROSSING_WIDTH * height else 2
    fair = (crossed <= MAX_CROSSED * height) & (strokes <= most) & (
        left >= MIN_SIDE * total) & (
        total - left >= MIN_SIDE * total)
    chosen: list[int] = []
    centres = found.mean(axis=1)
    for k in np.lexsort((np.abs(found - starts[:, None]).sum(axis=1), crossed)):
        if fair[k] and all(abs(centres[k] - centres[c]) >= gap for c in chosen):
            chosen.append(int(k))
        if len(chosen) >= CUTS_PER_HEIGHT * w / height:
            break
    out = found[sorted(chosen, key=lambda k: centres[k])]
    return np.maximum.accumulate(out, axis=0) if len(out) else out


def paths(own: np.ndarray, starts: np.ndarray, height: float) -> tuple[np.ndarray, ...]:
    """bool (h, w), int (k,) start columns -> (int (k, h) each path's boundary column per
    row, float (k,) the ink pixels each crosses, int (k,) the strokes: runs of rows in
    which it crosses ink)."""
    h, w = own.shape
    reach = max(1, round(REACH * height))
    offsets = np.arange(-reach, reach + 1)
    cols = starts[:, None] + offsets[None, :]  # (k, 2 * reach + 1): each path's window
    inside = (cols >= 1) & (cols <= w - 1)
    # A boundary before column c crosses ink where both its sides are ink.
    crossing = (own[:, :-1] & own[:, 1:]).astype(np.float64)  # (h, w - 1): c = 1 .. w - 1
    window = crossing[:, np.clip(cols, 1, w - 1) - 1]  # (h, k, 2 * reach + 1)
    bias = np.where(inside, AWAY * np.abs(offsets)[None, :], np.inf)
    total = window[0] + bias
    back = np.zeros(window.shape, dtype=np.int8)
    step = np.full((len(starts), 1), np.inf)
    for y in range(1, h):
        from_left = np.concatenate([step, total[:, :-1] + STEP], axis=1)
        from_right = np.concatenate([total[:, 1:] + STEP, step], axis=1)
        best = np.minimum(np.minimum(total, from_left), from_right)
        back[y] = np.where(best == total, 0, np.where(best == from_left, -1, 1))
        total = best + window[y] + bias
    at = np.argmin(total, axis=1)
    rows = np.arange(len(starts))
    where = np.empty((len(starts), h), dtype=np.int64)
    for y in range(h - 1, -1, -1):
        where[:, y] = at
        at = at + back[y, rows, at]
    crossed = window[np.arange(h)[None, :], rows[:, None], where]  # (k, h)
    runs = np.diff(crossed, axis=1, prepend=0) > 0
    return np.take_along_axis(cols, where, axis=1), crossed.sum(axis=1), runs.sum(axis=1)


def _ink_left_of(own: np.ndarray, found: np.ndarray) -> np.ndarray:
    """int (k,): the ink pixels left of each path (k, h)."""
    before = np.concatenate([np.zeros((own.shape[0], 1), np.int64),
                             np.cumsum(own, axis=1)], axis=1)  # (h, w + 1)
    return before[np.arange(own.shape[0])[None, :], found].sum(axis=1)
