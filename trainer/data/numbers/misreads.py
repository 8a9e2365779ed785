"""The reader's own mistakes, as non-digits for outlier exposure: half digits, a digit
with a fragment of its neighbour, two digits merged, taken from the wrong candidates
that the real segmenter (trainer/artifact/segment/) makes on numbers written with
training digits. Trained to be no digit, they lose the dynamic programming to the right
cuts (Liu, Sako and Fujisawa, PAMI 2004: training on non-characters is "crucial for
neural classifiers").

A number is two or three digits, most of them touching or overlapping, drawn at SCALE
times MNIST's size on paper and found by the recipe as /read finds a photo's ink. Each
candidate is compared with the digits' own strokes: one that holds most of one digit
and almost nothing of the others is right; one that holds too little of any digit, or
much of two, is a misread; those in between are left out, and so are narrow ones, which
are often a fair 1 (a 4's stem, a 7's).
"""

import numpy as np
from PIL import Image

from trainer.artifact import SIDE, segment
from trainer.artifact.framing import frame
from trainer.artifact.recipe import ink
from trainer.artifact.recipe.marks import NoDigit
from trainer.artifact.segment import groups, pieces

SCALE = 2  # paper pixels per MNIST pixel: digits about 40 px tall, as /read cuts them
MARGIN = 8  # MNIST pixels of paper around the number
GAPS = (-6, 3)  # MNIST pixels between the digits' ink: mostly touching or overlapping
STROKE = 64.0  # an MNIST pixel from this level up is a digit's stroke
WHOLE = 0.85  # a right candidate holds this much of one digit's stroke pixels
STRAY = 0.08  # and at most this much of its own ink from the others
PART = 0.6  # a misread holds less than this of every digit it touches
MERGED = 0.2  # or this much of its ink from a second digit
NARROW = 0.6  # a part narrower than this many of its heights may be a fair 1
TRIES = 6  # numbers written before falling back to a pair of digits


def misreads(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """One wrong candidate of the segmenter's, float32 (28, 28) on 0..255 framed as
    /read frames it; `digits` uint8 (N, 28, 28) are training digits."""
    for _ in range(TRIES):
        strength, found, runs = wrong_candidates(*number(rng, digits)[:2])
        if runs:
            return segment.framed(strength, found, [runs[rng.integers(len(runs))]])[0][0]
    return frame(number(rng, digits)[1], STROKE)  # two or three digits read as one


def number(rng: np.random.Generator, digits: np.ndarray, count: int | None = None,
           gaps: tuple[int, int] = GAPS) -> tuple[np.ndarray, ...]:
    """`count` (else two or three) of `digits` side by side, `gaps` apart (MNIST pixels
    between their ink, negative: overlapping) -> (float32 (k, h, w) each digit's own
    layer on 0..255, float32 (h, w) the number: their pixelwise maximum, int (k,) which
    of `digits` they are), in MNIST pixels."""
    which = rng.integers(len(digits), size=count or int(rng.integers(2, 4)))
    picks = digits[which]
    layers = np.zeros((len(picks), SIDE + 8, (SIDE + max(gaps[1], 0)) * len(picks)),
                      np.float32)
    x = 0
    for layer, digit in zip(layers, picks, strict=True):
        cols = np.flatnonzero(digit.max(axis=0) >= STROKE)
        piece = digit[:, cols[0]:cols[-1] + 1]
        y = int(rng.integers(0, 9))
        layer[y:y + SIDE, x:x + piece.shape[1]] = piece
        x = max(0, x + piece.shape[1] + int(rng.integers(gaps[0], gaps[1] + 1)))
    layers = layers[:, :, :x + SIDE]
    return layers, layers.max(axis=0), which


def wrong_candidates(layers: np.ndarray, row: np.ndarray):
    """float32 (k, h, w) the digits' layers and (h, w) the number -> (float32 (H, W) its
    ink at the working height, its Pieces, the runs [i, j) of pieces that the real
    segmenter makes candidates of and that are no digit of the number)."""
    strength, marks, strokes = on_paper(layers, row)
    found = pieces.pieces(marks)
    runs = [(i, j) for i, j in groups.candidates(found)
            if _misread(found, i, j, strokes)]
    return strength, found, runs


def on_paper(layers: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, ...]:
    """The number as dark ink on paper at SCALE, through the recipe -> (float32 (H, W)
    ink 0..1, bool (H, W) its marks, bool (k, H, W) each digit's strokes among them)."""
    big = [_scaled(np.pad(a, MARGIN)) for a in (row, *layers)]
    try:
        strength, marks = segment.at_working_height(*ink.on_sheet(255.0 - big[0]))
    except NoDigit:
        return np.zeros((1, 1), np.float32), np.zeros((1, 1), bool), np.zeros((0, 1, 1), bool)
    strokes = np.stack([(b >= STROKE) & marks for b in big[1:]]) if marks.shape == big[0].shape \
        else np.zeros((0, *marks.shape), bool)
    return strength, marks, strokes


def _scaled(a: np.ndarray) -> np.ndarray:
    size = (a.shape[1] * SCALE, a.shape[0] * SCALE)
    return np.asarray(Image.fromarray(a).resize(size, Image.Resampling.BILINEAR))


def _misread(found: pieces.Pieces, i: int, j: int, strokes: np.ndarray) -> bool:
    """Whether pieces i..j-1 are clearly no digit of the number: a part, or two merged."""
    box = found.union(i, j)
    if not len(strokes):
        return False
    window = (slice(box[0], box[2]), slice(box[1], box[3]))
    mine = found.mask(i, j, box)
    held = (strokes[:, window[0], window[1]] & mine).sum(axis=(1, 2))  # (k,)
    whole = held / np.maximum(strokes.sum(axis=(1, 2)), 1)
    share = held / max(int(mine.sum()), 1)
    order = np.argsort(-share)
    second = share[order[1]] if len(share) > 1 else 0.0
    if whole[order[0]] >= WHOLE and second <= STRAY:
        return False
    if second >= MERGED:
        return True
    return bool(whole.max() < PART and box[3] - box[1] >= NARROW * (box[2] - box[0]))
