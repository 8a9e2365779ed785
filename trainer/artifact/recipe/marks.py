"""The marks on the sheet: every pixel at least a little darker than its paper, less the
rules; labelled; and the ink among them, by a threshold chosen from the image (Otsu's,
over the marks on the sheet, not the desk).
"""

from dataclasses import dataclass

import numpy as np

from trainer.artifact.recipe import components, lines, paper

# Ink must differ from the paper by this many levels (of 255), else the image is blank.
MIN_CONTRAST = 32.0
# Marks are at least this fraction darker than their paper: below lie noise and JPEG
# ringing. Faint marks joined to the ink are part of it (hysteresis).
FLOOR = 0.125
SEND = "send a photo of dark ink on light paper, or light on dark"


class NoDigit(ValueError):
    """No digit in the picture: the service answers it with a 422 (code no_digit)."""

    code = "no_digit"


@dataclass(frozen=True)
class Marks:
    """One image's marks.

    ink, depth: float32 (H, W), as paper.darkness gives them. faint: the components of
    every mark at FLOOR and up, rules cut away. junk: bool (faint.count,), those that are
    desk or the sheet's edge. found: the components of the marks at the threshold.
    """

    ink: np.ndarray
    depth: np.ndarray
    faint: components.Components
    junk: np.ndarray
    found: components.Components


def marked(pixels: np.ndarray) -> Marks:
    """float32 (H, W) or (H, W, 3) on 0..255 -> its Marks.

    Raises NoDigit when nothing stands out from the paper.
    """
    ink, depth = paper.darkness(pixels)
    candidate = lines.without_rules(ink >= FLOOR)
    faint = components.label(candidate)
    junk = lines.frame(faint)
    # The threshold splits ink from paper on the sheet: a desk as dark as the ink or
    # darker would otherwise take the ink's side of it.
    on_sheet = ~np.concatenate([[True], junk])[faint.labels[candidate]]
    threshold = otsu(ink[candidate][on_sheet], FLOOR)
    found = components.label(candidate & (ink >= threshold))
    if not found.count:
        no_digit(float(depth.max(initial=0)))
    return Marks(ink, depth, faint, junk, found)


def with_faint_parts(marks: Marks, kept: np.ndarray) -> np.ndarray:
    """bool (H, W) -> (H, W): the kept ink and the faint marks connected to it, which
    carry the thin and light parts of strokes the threshold cuts off; not through desk or
    the sheet's edge, which faint marks may join the ink to.
    """
    faint = marks.faint
    touched = np.zeros(faint.count + 1, dtype=bool)
    touched[faint.labels[kept]] = True
    touched[1:] &= ~marks.junk
    joined = kept.copy()
    for index in np.flatnonzero(touched):  # a few components: look only inside their boxes
        box = (slice(faint.top[index - 1], faint.bottom[index - 1]),
               slice(faint.left[index - 1], faint.right[index - 1]))
        joined[box] |= faint.labels[box] == index
    return joined


def otsu(values: np.ndarray, low: float) -> float:
    """Otsu's threshold of `values` (N,) on low..1, or `low` when they cannot be split."""
    counts, edges = np.histogram(values, bins=64, range=(low, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(counts)[:-1]
    above = counts.sum() - below
    mass = np.cumsum(counts * centres)[:-1]
    mean_below = mass / np.maximum(below, 1)
    mean_above = (mass[-1] + counts[-1] * centres[-1] - mass) / np.maximum(above, 1)
    between = below * above * (mean_below - mean_above) ** 2
    return float(edges[1 + np.argmax(between)]) if between.max(initial=0) > 0 else low


def no_digit(contrast: float):
    """Raise NoDigit for an image whose ink stands `contrast` levels off its paper."""
    raise NoDigit(f"no digit found: the ink differs from the background by "
                        f"{max(contrast, 0):.0f} of 255 levels (need {MIN_CONTRAST:.0f}); "
                        f"{SEND}")
