"""Segmentation of a written number, NumPy and Pillow only: the service's /read and the
trainer's own numbers (trainer/data/numbers/misreads.py) cut the same way.

- pieces.py: the ink's components, cut where they may hold several digits;
- cut_paths.py: the cheapest cuts between touching digits;
- groups.py: segmentation by recognition: the candidates, and the best by dynamic
  programming;
- reading.py: the networks' readings of the candidates, the best of them, and the
  number's confidence.

at_working_height() brings a number's ink to the height it is read at, and framed()
puts each candidate run of pieces through the MNIST recipe, as the model sees it.
"""

import numpy as np
from PIL import Image

from trainer.artifact import SIDE
from trainer.artifact.framing import frame
from trainer.artifact.recipe import INK_FRACTION, crop
from trainer.artifact.segment.pieces import Pieces

WORKING_HEIGHT = 48  # pixels: a number is read at this height, its digits framed to 20
COVERED = 0.25  # a reduced pixel is ink when this much of it was


def at_working_height(strength: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, ...]:
    """float32 (H, W) ink 0..1 and bool (H, W) its marks -> both reduced so that the
    number is about WORKING_HEIGHT pixels tall (unchanged when it is within 1.5 times
    that): the digits become 20x20 in the end, and cutting and framing cost as the
    square of the height."""
    rows = np.flatnonzero(marks.any(axis=1))
    factor = (rows[-1] - rows[0] + 1) / WORKING_HEIGHT if len(rows) else 1.0
    if factor < 1.5:
        return strength, marks
    size = (max(1, round(marks.shape[1] / factor)), max(1, round(marks.shape[0] / factor)))
    small = [np.asarray(Image.fromarray(a.astype(np.float32)).resize(size, Image.Resampling.BOX))
             for a in (strength, marks)]
    # A thin stroke covers part of each reduced pixel: COVERED keeps it whole.
    return small[0], small[1] >= COVERED


def framed(strength: np.ndarray, found: Pieces, runs: list[tuple[int, int]],
           framer=frame) -> tuple[np.ndarray, np.ndarray]:
    """The candidate runs [i, j) of `found`'s pieces through the MNIST recipe ->
    (float32 (C, 28, 28) on 0..255, or the shape `framer` gives (pair.frame's 28x56);
    int64 (C, 4) each run's box: top, left, bottom, right in `strength`'s pixels)."""
    unions = np.array([found.union(i, j) for i, j in runs], dtype=np.int64).reshape(-1, 4)
    seen = [_framed(strength, found, run, unions[k], framer) for k, run in enumerate(runs)]
    if not seen:
        return np.zeros((0, SIDE, SIDE if framer is frame else 2 * SIDE), np.float32), unions
    return np.stack(seen).astype(np.float32, copy=False), unions


def _framed(strength: np.ndarray, found: Pieces, run: tuple[int, int], box: np.ndarray,
            framer) -> np.ndarray:
    """Pieces run = [i, j), whose union is `box` (top, left, bottom, right), through the
    MNIST recipe -> framer's (28, 28) or (28, 56) on 0..255."""
    top, left, bottom, right = (int(v) for v in box)
    # One pixel more on each side: recipe.crop keeps the strokes' soft edges.
    h, w = strength.shape
    outer = (max(top - 1, 0), max(left - 1, 0), min(bottom + 1, h), min(right + 1, w))
    kept = found.mask(*run, outer)
    window = strength[outer[0]:outer[2], outer[1]:outer[3]]
    return framer(crop(window, kept) * np.float32(255), INK_FRACTION * 255)
