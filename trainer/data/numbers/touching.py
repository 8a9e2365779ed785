"""Training data for the pair network (trainer/artifact/pair.py): two MNIST training
digits touching or overlapping, labelled 0..99 (the first digit's label times ten plus
the second's), and what is no pair, labelled NOT_A_PAIR: one digit alone, a digit with a
fragment of its neighbour, part of a digit, three digits, and the outlier families.

A pair is made as issue 27 says: the second digit slides left until its strokes touch
the first's, then on by 0 to MAX_OVERLAP pixels, with vertical jitter, and the two are
joined by their pixelwise maximum.
"""

import numpy as np

from trainer.artifact import pair
from trainer.artifact.framing import NoInk
from trainer.data import outliers

STROKE = 64.0  # an MNIST pixel from this level up is stroke, for touching and the box
MAX_OVERLAP = 6  # pixels the second digit goes on past touching
JITTER = 4  # pixels up or down the second digit may sit
# Of the non-pairs, in turn: a digit alone, a digit with part of its neighbour, part of
# a digit, three digits, and (the rest) the trainer's other non-digits.
KINDS = ("single", "with_fragment", "part", "triple", "outlier")


def pairs(n: int, rng: np.random.Generator, digits: np.ndarray,
          labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """n touching pairs of `digits` uint8 (N, 28, 28) with `labels` (N,) -> (float32
    (n, 28, 56) framed on 0..255, int (n,) 0..99)."""
    picks = rng.integers(len(digits), size=(n, 2))
    x = np.stack([pair.frame(joined([digits[a], digits[b]], rng), STROKE) for a, b in picks])
    return x, (labels[picks[:, 0]].astype(np.intp) * 10 + labels[picks[:, 1]])


def joined(parts: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Images (28, w_i) side by side, each slid against the last until they touch and
    on by 0..MAX_OVERLAP px, with vertical jitter -> float32 (h, w) their maximum."""
    crops = [_columns(np.asarray(p, np.float32)) for p in parts]
    height = crops[0].shape[0] + 2 * JITTER
    row = np.zeros((height, sum(c.shape[1] for c in crops) + 4), np.float32)
    _paste(row, crops[0], JITTER, 0)
    for crop in crops[1:]:
        y = JITTER + int(rng.integers(-JITTER, JITTER + 1))
        x = _touching_at(row >= STROKE, crop >= STROKE, y)
        x = max(0, x - int(rng.integers(0, MAX_OVERLAP + 1)))
        _paste(row, crop, y, x)
    return row[:, :np.flatnonzero(row.max(axis=0) > 0)[-1] + 1]


def _columns(digit: np.ndarray) -> np.ndarray:
    cols = np.flatnonzero(digit.max(axis=0) >= STROKE)
    return digit[:, cols[0]:cols[-1] + 1] if len(cols) else digit


def _paste(row: np.ndarray, crop: np.ndarray, y: int, x: int) -> None:
    window = row[y:y + crop.shape[0], x:x + crop.shape[1]]
    np.maximum(window, crop[:, :window.shape[1]], out=window)


def _touching_at(ink: np.ndarray, new: np.ndarray, y: int) -> int:
    """The column at which `new` (h, w) placed at row y first touches `ink` (H, W),
    coming from the right: its strokes then one pixel from the ink, diagonals too."""
    right = np.full(ink.shape[0], -10**6)
    has = ink.any(axis=1)
    right[has] = ink.shape[1] - 1 - np.argmax(ink[has, ::-1], axis=1)
    left = np.full(ink.shape[0], 10**6)
    rows = np.flatnonzero(new.any(axis=1))
    left[y + rows] = np.argmax(new[rows], axis=1)
    # Within a row or the next one up or down: a diagonal neighbour touches too.
    near = np.maximum(right, np.maximum(np.roll(right, 1), np.roll(right, -1)))
    return max(0, int((near + 1 - left).max()))


def non_pairs(n: int, rng: np.random.Generator, digits: np.ndarray,
              pool: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 56): what no pair is, KINDS in turn; `pool` float32 (M, 28, 28)
    the trainer's non-digits (trainer/data/outliers.py)."""
    out = np.empty((n, pair.HEIGHT, pair.WIDTH), np.float32)
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        for _ in range(9):
            try:
                out[i] = pair.frame(_non_pair(kind, rng, digits, pool), STROKE)
                break
            except NoInk:
                continue
        else:
            out[i] = pair.frame(digits[rng.integers(len(digits))].astype(np.float32), STROKE)
    return out


def _non_pair(kind: str, rng: np.random.Generator, digits: np.ndarray,
              pool: np.ndarray) -> np.ndarray:
    pick = [digits[k].astype(np.float32) for k in rng.integers(len(digits), size=3)]
    if kind == "single":
        return pick[0]
    if kind == "triple":
        return joined(pick, rng)
    if kind == "outlier":
        return pool[rng.integers(len(pool))]
    second = _columns(pick[1])
    share = rng.uniform(0.15, 0.4)
    if kind == "with_fragment":  # the first or the last part of the neighbour
        cut = max(1, round(share * second.shape[1]))
        piece = second[:, :cut] if rng.random() < 0.5 else second[:, -cut:]
        parts = [pick[0], piece] if rng.random() < 0.5 else [piece, pick[0]]
        return joined(parts, rng)
    # part: one digit with another's fragment, cut across its middle: no whole digit.
    row = joined([pick[0], pick[1]], rng)
    width = row.shape[1]
    left = int(rng.integers(width // 4, width // 2))
    return row[:, left:left + int(rng.uniform(0.35, 0.6) * width)]


def outlier_pool(n: int, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 28): the trainer's non-digits, for the 'outlier' kind."""
    return outliers.pool(n, rng, digits)
