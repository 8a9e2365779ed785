"""The ink as a fraction of its paper: polarity, the paper's level, shadows cancelled.

The ink's polarity comes from local medians (dark on paper, or light on a board). The
paper's level is estimated locally (a grey closing on a small copy), not from the border
alone, and the ink measured as a fraction of it, so shadows (which multiply the light)
cancel out. Pillow and NumPy only: the service ships no scipy.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

# Levels (of 255) within which a pixel counts as its ground's: noise and JPEG ringing.
NOISE = 8.0
DIM = 0.25  # ground under this fraction of the brightest paper is desk or deep shade
SMALL_SIDE = 64  # the paper's level is estimated on a copy this small (long side)
POLARITY_SIDE = 32  # and the ink's polarity on one this small,
POLARITY_WINDOW = 0.28  # by the median over windows this fraction of its side,
WHOLE_BELOW = 64  # or over the whole image up to this size
# The closing's window as a fraction of the small copy's side: strokes narrower vanish
# from the paper's estimate (the widest MNIST strokes are ~6 px of 28).
CLOSING = 0.25


def darkness(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (H, W) or (H, W, 3) on 0..255 -> (ink, depth), both float32 (H, W):
    `ink` 0..1, how much darker than its paper each pixel is as a fraction of the paper's
    level; `depth`, by how many levels (of 255; negative where lighter)."""
    value = dark_ink(pixels)
    paper = paper_level(value)
    depth = paper - value
    # Relative to the paper, but not to a dark desk's or deep shade's level, where the
    # camera's noise would be magnified into ink.
    dimmest = np.float32(max(DIM * float(paper.max()), 1.0))
    return np.clip(depth / np.maximum(paper, dimmest), 0, 1), depth


def dark_ink(pixels: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 3) -> float32 (H, W): the image with its ink dark on a light ground.

    The darkest channel, so that blue or red ink on white is as dark as black ink. Light
    ink on a dark ground (a blackboard, MNIST's own white on black) becomes 255 minus the
    brightest channel.
    """
    darkest = _across_channels(np.minimum, pixels)
    if not _light_on_dark(darkest):
        return darkest.astype(np.float32)
    return (np.float32(255) - _across_channels(np.maximum, pixels)).astype(np.float32)


def _across_channels(pick, pixels: np.ndarray) -> np.ndarray:
    """(H, W, 3) -> (H, W) by np.minimum or np.maximum; (H, W) as it is.

    Channel by channel: numpy's reduction over a last axis of 3 is ~30x slower."""
    if pixels.ndim == 2:
        return pixels
    return pick(pick(pixels[..., 0], pixels[..., 1]), pixels[..., 2])


def _light_on_dark(value: np.ndarray) -> bool:
    """Whether the pixels of `value` (H, W) that differ from their ground are mostly
    lighter than it.

    The ground is the median around each pixel, in windows much wider than a stroke,
    whatever the ink's polarity; it follows a shadow's gradient (the median of a ramp is
    its centre) and a desk's edge, where one level for the whole image would not. A
    small image (MNIST's own 28x28 field) takes the median of all of it: there a bold
    digit can fill any smaller window.
    """
    if max(value.shape) <= WHOLE_BELOW:
        small, ground = value, np.float32(np.median(value))
    else:
        small = shrink(value, POLARITY_SIDE)
        k = _odd(POLARITY_WINDOW * max(small.shape))
        windows = sliding_window_view(np.pad(small, k // 2, mode="edge"), (k, k))
        windows = windows.reshape(*small.shape, k * k)
        ground = np.partition(windows, k * k // 2, axis=-1)[..., k * k // 2]
    off = small - ground
    lighter = np.clip(off - np.float32(NOISE), 0, None).sum()
    darker = np.clip(-off - np.float32(NOISE), 0, None).sum()
    return bool(lighter > darker)


def paper_level(value: np.ndarray) -> np.ndarray:
    """float32 (H, W) -> (H, W): the paper's level under each pixel, ink closed over.

    A grey closing (max then min filter) on a small copy removes dark strokes narrower
    than its window and keeps wider dark areas (a desk) and gradients (shadows). A last
    3x3 min filter keeps the upsampled level from spilling paper onto a desk's edge.
    Within half a window of the image's edge a shadow falling towards it is overestimated
    (the closing sees no lower paper beyond): the faint marks that makes lie along the
    edge, and lines.frame drops them.
    """
    small = shrink(value, SMALL_SIDE)
    # A small image (MNIST's 28x28) has one ground: a bold digit may fill any window.
    whole = max(value.shape) <= WHOLE_BELOW
    k = _odd(2 * max(small.shape) + 1 if whole else CLOSING * max(small.shape))
    closed = min_filter(max_filter(small, k), k)
    level = min_filter(closed, 3)
    if level.shape == value.shape:
        return level
    # Upsampled in 8 bits, twice as fast as in float; a level is plenty of precision.
    image = Image.fromarray(np.clip(np.rint(level), 0, 255).astype(np.uint8))
    h, w = value.shape
    return np.asarray(image.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)


def shrink(value: np.ndarray, side: int) -> np.ndarray:
    """float32 (H, W) -> (h, w) with a long side of at most `side`, by area averaging."""
    h, w = value.shape
    if max(h, w) <= side:
        return value.astype(np.float32)
    factor = side / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    image = Image.fromarray(np.ascontiguousarray(value, dtype=np.float32))
    return np.asarray(image.resize(size, Image.Resampling.BOX), dtype=np.float32)


def _odd(size: float) -> int:
    """The odd window side nearest below `size`, at least 3."""
    return max(3, int(size) // 2 * 2 + 1)


def max_filter(a: np.ndarray, k: int) -> np.ndarray:
    """(h, w) -> (h, w): the maximum over each k x k window (separable; edges repeated)."""
    rows = sliding_window_view(np.pad(a, k // 2, mode="edge"), k, axis=1).max(axis=-1)
    return sliding_window_view(rows, k, axis=0).max(axis=-1)


def min_filter(a: np.ndarray, k: int) -> np.ndarray:
    """(h, w) -> (h, w): the minimum over each k x k window (edges repeated)."""
    return -max_filter(-a, k)
