"""What is straight and long is not ink: ruled and squared lines, a desk, a sheet's edge.

Rules are cut away pixel by pixel, before the marks are labelled (they cross the digit);
a desk or a sheet's edge goes as whole components, those that touch the image's edge and
span much of it, or lie along much of one edge.
"""

import numpy as np

from trainer.artifact.recipe import components

LINE_LENGTH = 0.4  # a run over this fraction of the image's width (height) is a rule
# if it is this many times thinner: a stroke of a digit spanning as much is much thicker
# (in a 28x28 MNIST field a 1 can be 20 px long and 2 px thin: no rule there).
RULE_ASPECT = 30
# Desk or sheet edge: what touches the image's edge and spans this fraction of the image,
# or lies along this fraction of one of its edges.
FRAME_SPAN = 0.6
FRAME_CONTACT = 0.2


def without_rules(mask: np.ndarray) -> np.ndarray:
    """bool (H, W) -> (H, W): the mask less the pixels of long thin horizontal or vertical
    lines (ruled and squared paper, a sheet's straight edge).

    A rule's pixel lies in a long run (counted on a copy thickened by 2 px across the
    line, so that a slightly tilted rule stays one run) and in a short run across it;
    where a rule crosses a stroke the run across is the stroke's, so the digit stays whole.
    """
    h, w = mask.shape
    thin = int(LINE_LENGTH * max(h, w) / RULE_ASPECT)
    if thin < 1:
        return mask
    rules = _rule_pixels(mask, LINE_LENGTH * w, thin)
    columns = _rule_pixels(mask.T, LINE_LENGTH * h, thin).T
    return mask & ~rules & ~columns


def _rule_pixels(mask: np.ndarray, length: float, thin: int) -> np.ndarray:
    """bool (H, W): the pixels of `mask` in horizontal lines `length` long, `thin` thick."""
    thick = mask.copy()  # thickened by 2 px up and down
    for shift in (1, 2):
        thick[shift:] |= mask[:-shift]
        thick[:-shift] |= mask[shift:]
    long = components.run_lengths(thick) >= length
    if not long.any():  # most photos: no need to measure the runs across
        return long
    across = components.run_lengths(mask.T).T
    return long & mask & (across <= thin)


def touching_edge(found: components.Components) -> np.ndarray:
    """bool (count,): the components with a pixel on the image's edge."""
    h, w = found.labels.shape
    return (found.top == 0) | (found.left == 0) | (found.bottom == h) | (found.right == w)


def frame(found: components.Components) -> np.ndarray:
    """bool (count,): the components that are desk or the sheet's edge, not ink on it:
    touching the image's edge and spanning much of it, or lying along much of an edge."""
    labels = found.labels
    h, w = labels.shape
    spans = ((found.bottom - found.top) >= FRAME_SPAN * h) | (
        (found.right - found.left) >= FRAME_SPAN * w)
    contact = np.zeros(found.count + 1)
    for edge, length in ((labels[0], w), (labels[-1], w), (labels[:, 0], h), (labels[:, -1], h)):
        contact = np.maximum(contact, np.bincount(edge, minlength=found.count + 1) / length)
    return (touching_edge(found) & spans) | (contact[1:] >= FRAME_CONTACT)
