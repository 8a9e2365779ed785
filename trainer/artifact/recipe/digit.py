"""Which marks are the digit, and whether they are dark and large enough to be one.

Of the ink's components the digit's are kept: the heaviest one and the sizeable ones near
it; not specks, not the desk or the sheet's edge.
"""

import numpy as np

from trainer.artifact.recipe import components, lines
from trainer.artifact.recipe.marks import MIN_CONTRAST, SEND, NoDigit, no_digit

# A digit's strokes (their 90th percentile) are at least this fraction darker than the
# paper, and it spans this fraction of the image: not a faint rule's remnant or a speck.
MIN_INK = 0.25
MIN_SPAN = 0.04
NEAR = 0.2  # a part of the digit lies within this fraction of its size from the rest
SPECK = 0.02  # parts under this fraction of the main part's area are specks


def on_the_sheet(found: components.Components) -> np.ndarray:
    """bool (count,): the components that are not desk or the sheet's edge; all of them
    when nothing else is there (a digit drawn across the whole canvas)."""
    candidate = ~lines.frame(found)
    if not candidate.any():
        candidate[:] = True
    return candidate


def choose(found: components.Components, ink: np.ndarray) -> np.ndarray:
    """bool (count,): the digit's components, given the ink float32 (H, W).

    The heaviest (by ink) on the sheet, then the sizeable ones near it; those touching
    the image's edge only when it does (a desk's grain there is no part of a digit in the
    middle of the sheet).
    """
    candidate = on_the_sheet(found)
    main = int(np.argmax(np.where(candidate, found.sums(ink), -1)))
    size = max(found.bottom[main] - found.top[main], found.right[main] - found.left[main])
    reach = NEAR * size
    edge = lines.touching_edge(found)
    sizeable = candidate & (found.area >= SPECK * found.area[main]) & (edge <= edge[main])
    keep = np.arange(found.count) == main
    for _ in range(3):  # parts near parts already kept
        top, left = found.top[keep].min() - reach, found.left[keep].min() - reach
        bottom, right = found.bottom[keep].max() + reach, found.right[keep].max() + reach
        near = sizeable & (found.top < bottom) & (found.bottom > top) & (
            found.left < right) & (found.right > left)
        if not (near & ~keep).any():
            break
        keep |= near
    return keep


def check_ink(ink: np.ndarray, depth: np.ndarray, kept: np.ndarray) -> None:
    """NoDigit unless the kept marks, bool (H, W), are dark enough to be ink: not
    the remnant of a faint rule or a smudge. `ink`, `depth`: float32 (H, W)."""
    contrast = float(np.percentile(depth[kept], 90))
    if contrast < MIN_CONTRAST:
        no_digit(contrast)
    core = float(np.percentile(ink[kept], 90))
    if core < MIN_INK:
        raise NoDigit(f"no digit found: the darkest marks are {core:.0%} darker than "
                            f"the paper (need {MIN_INK:.0%}); {SEND}")


def check_digit(ink: np.ndarray, depth: np.ndarray, kept: np.ndarray) -> None:
    """check_ink, and NoDigit unless the kept marks are large enough to be a digit."""
    check_ink(ink, depth, kept)
    rows, cols = np.flatnonzero(kept.any(axis=1)), np.flatnonzero(kept.any(axis=0))
    span = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    if span < MIN_SPAN * max(kept.shape):
        raise NoDigit(f"no digit found: the only marks span {span} of "
                            f"{max(kept.shape)} pixels (need {MIN_SPAN:.0%}); {SEND}")
