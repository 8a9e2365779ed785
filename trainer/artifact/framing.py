"""MNIST's framing of a digit: fit into a 20x20 box, centre by mass in the 28x28 field.

LeCun et al. made MNIST by fitting each digit into a 20x20 box (keeping its aspect
ratio, anti-aliased) and pasting it into a 28x28 field so that its centre of mass
sits at the centre. The service frames every photo and drawing this way
(?normalize=mnist), and the trainer frames its synthetic non-digits the same way,
so that both look to the network as what a request would bring.
"""

import numpy as np
from PIL import Image

from trainer.artifact import SIDE

BOX = 20  # the side of the box a digit is fitted into, as in MNIST


class NoInk(ValueError):
    """There is nothing at or above the ink threshold to frame."""


def frame(ink: np.ndarray, threshold: float, field: tuple[int, int] = (SIDE, SIDE),
          wide: int = BOX) -> np.ndarray:
    """float32 (H, W) ink on black, 0..255 -> float32 `field` (28, 28) integer values 0..255,
    fitted BOX tall and at most `wide` wide (the pair network's field is 28 x 56).

    The box is the bounding box of the pixels at `threshold` or more; raises NoInk
    when there are none.
    """
    rows = np.flatnonzero((ink >= threshold).any(axis=1))
    cols = np.flatnonzero((ink >= threshold).any(axis=0))
    if not len(rows):
        raise NoInk(f"no pixel at {threshold:g} or more to frame")
    digit = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return np.rint(centre_by_mass(fit_box(digit, wide), field))


def fit_box(digit: np.ndarray, wide: int = BOX) -> np.ndarray:
    """(h, w) -> (h', w') at most 20 tall and `wide` wide, one of them reached, aspect kept,
    Lanczos anti-aliased, peak 255."""
    h, w = digit.shape
    factor = min(BOX / h, wide / w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    image = Image.fromarray(np.ascontiguousarray(digit, dtype=np.float32))  # mode "F"
    small = np.asarray(image.resize(size, Image.Resampling.LANCZOS))
    small = np.clip(small, 0, 255)
    # Thin strokes fade when shrunk; MNIST strokes peak at full intensity.
    return small * np.float32(255 / small.max()) if small.max() > 0 else small


def centre_by_mass(small: np.ndarray, field: tuple[int, int] = (SIDE, SIDE)) -> np.ndarray:
    """(h', w') -> `field` (28, 28): pasted so its centre of mass lands on the field's centre.

    The shift is clamped so the whole box stays inside the field; at most it moves
    the centre of mass a few pixels off, instead of cutting ink off.
    """
    h, w = small.shape
    mass = max(float(small.sum(dtype=np.float64)), 1e-9)
    cy = (small.sum(axis=1) @ (np.arange(h) + 0.5)) / mass
    cx = (small.sum(axis=0) @ (np.arange(w) + 0.5)) / mass
    top = min(max(round(field[0] / 2 - cy), 0), field[0] - h)
    left = min(max(round(field[1] / 2 - cx), 0), field[1] - w)
    out = np.zeros(field, dtype=np.float32)
    out[top:top + h, left:left + w] = small
    return out
