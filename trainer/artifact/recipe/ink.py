"""Finding the ink in a photo, a scan or a drawing, with Pillow and NumPy only.

- paper.py: the ink's polarity, and the ink as a fraction of its paper's local level;
- lines.py: ruled and squared lines, a desk and the sheet's edge, which are not ink;
- marks.py: the marks, and the ink among them by Otsu's threshold;
- digit.py: which marks are the digit.

on_sheet() gives all the ink on the sheet (a whole written number); find() the one
digit in it. Both go the same way, find() choosing the digit's components before the
faint parts are joined to them.
"""

import numpy as np

from trainer.artifact.recipe import digit
from trainer.artifact.recipe.marks import MIN_CONTRAST, NoDigit, marked, with_faint_parts

__all__ = ["MIN_CONTRAST", "NoDigit", "find", "on_sheet"]


def on_sheet(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (H, W) or (H, W, 3) on 0..255 -> (ink, marks): float32 (H, W) 0..1, how
    much darker (or lighter) than its paper each pixel is, and bool (H, W), all the ink
    on the sheet with its faint parts; no desk, sheet edge or ruled lines, specks kept.

    Raises NoDigit when no ink stands out from the background.
    """
    marks = marked(np.asarray(pixels, dtype=np.float32))
    sheet = with_faint_parts(marks, marks.found.mask(digit.on_the_sheet(marks.found)))
    digit.check_ink(marks.ink, marks.depth, sheet)
    return marks.ink, sheet


def find(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (H, W) or (H, W, 3) on 0..255 -> (ink, kept): float32 (H, W) 0..1 as
    on_sheet gives it, and bool (H, W), the digit's pixels.

    Raises NoDigit when no ink stands out from the background, or
    what does is too faint or too small to be a digit.
    """
    marks = marked(np.asarray(pixels, dtype=np.float32))
    kept = with_faint_parts(marks, marks.found.mask(digit.choose(marks.found, marks.ink)))
    digit.check_digit(marks.ink, marks.depth, kept)
    return marks.ink, kept
