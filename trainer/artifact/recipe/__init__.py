"""The MNIST recipe, for digits photographed or drawn at any size: the service's
?normalize=mnist and /read, and the trainer's own folders of images, use this one home.

LeCun et al. made MNIST by fitting each digit into a 20x20 box (keeping its aspect
ratio, anti-aliased) and pasting it into a 28x28 field so that its centre of mass sits
at the centre (trainer/artifact/framing.py, which the trainer frames its non-digits
with too). A real-world picture needs the same treatment, plus making it look like
MNIST first: white ink on black, everything but the digit removed:

- ink.py: the ink on the sheet, and the one digit in it;
- paper.py: the ink's polarity, and the ink as a fraction of its paper's local level;
- lines.py: ruled and squared lines, a desk and the sheet's edge, which are not ink;
- marks.py: the marks, the ink among them by Otsu's threshold, and NoDigit;
- digit.py: which marks are the digit;
- components.py: connected components in NumPy (the service ships no scipy).
"""

import numpy as np

from trainer.artifact import framing
from trainer.artifact.recipe import ink
from trainer.artifact.recipe.marks import NoDigit

__all__ = ["NoDigit", "crop", "mnist"]

# A pixel belongs to the digit's bounding box from this fraction of full ink upwards;
# it keeps the faintest fringe of the strokes out of the box.
INK_FRACTION = 0.25


def mnist(pixels: np.ndarray) -> np.ndarray:
    """float32 (H, W) or (H, W, 3) on 0..255 -> float32 (28, 28) integer values 0..255.

    `pixels` have any alpha already composited onto white; dark ink on light paper
    and light ink on a dark ground both work. Raises NoDigit ("no digit found") when
    there is no ink to speak of.
    """
    found = crop(*ink.find(np.asarray(pixels, dtype=np.float32))) * np.float32(255)
    # Never NoInk: the strokes' cores are 255, over the threshold.
    return framing.frame(found, INK_FRACTION * 255)


def crop(ink: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """float32 (H, W) ink 0..1 and bool (H, W) the digit's pixels -> float32 (h, w) 0..1
    around them.

    The kept pixels grow by one so that the strokes' soft edges, under the threshold,
    stay; the ink is scaled so that the strokes' cores are 1, as MNIST's are 255.
    """
    rows, cols = np.flatnonzero(kept.any(axis=1)), np.flatnonzero(kept.any(axis=0))
    top, left = max(rows[0] - 1, 0), max(cols[0] - 1, 0)
    bottom, right = rows[-1] + 2, cols[-1] + 2
    grown = _grow(kept[top:bottom, left:right])
    core = np.float32(np.percentile(ink[kept], 90))
    return np.clip(ink[top:bottom, left:right] * grown / core, 0, 1)


def _grow(mask: np.ndarray) -> np.ndarray:
    """bool (h, w) -> (h, w): dilated by one pixel, diagonals included (a 3x3 square)."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    rows = out.copy()
    out[:, 1:] |= rows[:, :-1]
    out[:, :-1] |= rows[:, 1:]
    return out
