"""The MNIST recipe, for digits photographed or drawn at any size (?normalize=mnist).

LeCun et al. made MNIST by fitting each digit into a 20x20 box (keeping its
aspect ratio, anti-aliased) and pasting it into a 28x28 field so that its centre
of mass sits at the centre. A real-world picture needs the same treatment, plus
making it look like MNIST first: white ink on black, background removed.
"""

import numpy as np
from PIL import Image

from service.errors import Unprocessable
from trainer.artifact import SIDE

BOX = 20
# Ink must differ from the paper by this many levels (of 255), else the image is blank.
MIN_CONTRAST = 32.0
# A pixel belongs to the digit's bounding box from this fraction of the peak ink upwards;
# it keeps faint JPEG ringing and paper texture out of the box.
INK_FRACTION = 0.25


def mnist(gray: np.ndarray) -> np.ndarray:
    """float32 (H, W) 0..255 -> float32 (28, 28) integer values 0..255, MNIST style.

    `gray` has any alpha already composited onto white. Raises Unprocessable
    ("no digit found") when there is no ink to speak of.
    """
    ink = ink_on_black(gray)
    rows = np.flatnonzero((ink >= INK_FRACTION * 255).any(axis=1))
    cols = np.flatnonzero((ink >= INK_FRACTION * 255).any(axis=0))
    digit = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return np.rint(centre_by_mass(fit_box(digit)))


def ink_on_black(gray: np.ndarray) -> np.ndarray:
    """(H, W) -> (H, W) float32: light backgrounds inverted, paper at 0, darkest ink at 255.

    The paper's level is the median of the border pixels, which a digit rarely
    covers; a light border means dark ink on light paper, so the image is inverted.
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    if paper > 127.5:
        gray = np.float32(255) - gray
        paper = 255.0 - paper
    peak = float(gray.max())
    if peak - paper < MIN_CONTRAST:
        raise Unprocessable(f"no digit found: the ink differs from the background by "
                            f"{max(peak - paper, 0):.0f} of 255 levels (need {MIN_CONTRAST:.0f})",
                            code="no_digit")
    stretched = (gray - np.float32(paper)) * np.float32(255 / (peak - paper))
    return np.clip(stretched, 0, 255).astype(np.float32)


def fit_box(digit: np.ndarray) -> np.ndarray:
    """(h, w) -> (h', w') with max(h', w') == 20, aspect kept, Lanczos anti-aliased, peak 255."""
    h, w = digit.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    image = Image.fromarray(np.ascontiguousarray(digit, dtype=np.float32))  # mode "F"
    small = np.asarray(image.resize(size, Image.Resampling.LANCZOS))
    small = np.clip(small, 0, 255)
    # Thin strokes fade when shrunk; MNIST strokes peak at full intensity.
    return small * np.float32(255 / small.max()) if small.max() > 0 else small


def centre_by_mass(small: np.ndarray) -> np.ndarray:
    """(h', w') -> (28, 28): pasted so its centre of mass lands on the field's centre.

    The shift is clamped so the whole box stays inside the field; at most it moves
    the centre of mass a few pixels off, instead of cutting ink off.
    """
    h, w = small.shape
    mass = small.sum(dtype=np.float64)
    cy = (small.sum(axis=1) @ (np.arange(h) + 0.5)) / mass
    cx = (small.sum(axis=0) @ (np.arange(w) + 0.5)) / mass
    top = min(max(round(SIDE / 2 - cy), 0), SIDE - h)
    left = min(max(round(SIDE / 2 - cx), 0), SIDE - w)
    field = np.zeros((SIDE, SIDE), dtype=np.float32)
    field[top:top + h, left:left + w] = small
    return field
