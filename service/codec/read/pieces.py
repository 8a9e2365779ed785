"""A written number's ink -> pieces, left to right: no piece holds parts of two digits.

Each connected component of the ink is a piece (with the components that lie within
its columns: the parts of a broken 0 or 8), unless it is too wide for one digit: then
digits touch or overlap inside it, and it is cut along the top-to-bottom paths that
cross the least ink (cut_paths.py; LeCun et al. 1998, section VI: cut too often, and
let recognition choose which cuts were real, groups.py). Marks far smaller than the
number's height are noise, left out.
"""

from dataclasses import dataclass

import numpy as np

from service.codec.read import cut_paths
from trainer.artifact.recipe import components

NOISE = 0.12  # a mark under this fraction of the number's height on both sides is noise
WIDE = 0.6  # a component wider than this many heights may hold several digits
INSIDE = 0.8  # a mark with this much of its width within a larger one's is part of it


@dataclass(frozen=True)
class Pieces:
    """`owner` int32 (H, W): the piece each ink pixel belongs to, -1 elsewhere; `boxes`
    int64 (P, 4): each piece's top, left, bottom, right (exclusive), pieces sorted by
    the centre of their columns; `height`: the number's height in pixels; `width`: the
    median width of its marks before any cut, a digit's width in this hand."""

    owner: np.ndarray
    boxes: np.ndarray
    height: float
    width: float

    @property
    def count(self) -> int:
        return len(self.boxes)

    def union(self, i: int, j: int) -> tuple[int, int, int, int]:
        """The bounding box of pieces i..j-1."""
        part = self.boxes[i:j]
        return (int(part[:, 0].min()), int(part[:, 1].min()),
                int(part[:, 2].max()), int(part[:, 3].max()))

    def mask(self, i: int, j: int, box: tuple) -> np.ndarray:
        """bool (bottom - top, right - left): the pixels of pieces i..j-1 in `box`."""
        top, left, bottom, right = box
        owned = self.owner[top:bottom, left:right]
        return (owned >= i) & (owned < j)


def pieces(marks: np.ndarray) -> Pieces:
    """bool (H, W) ink on the sheet -> its pieces."""
    found = components.label(marks)
    heights = found.bottom - found.top
    height = float(heights.max(initial=0))
    kept = np.flatnonzero(np.maximum(heights, found.right - found.left) >= NOISE * height)
    owner = np.full(marks.shape, -1, dtype=np.int32)
    count, widths = 0, []
    for group in _marks(found, kept):
        top, left = found.top[group].min(), found.left[group].min()
        bottom, right = found.bottom[group].max(), found.right[group].max()
        box = (slice(top, bottom), slice(left, right))
        own = np.isin(found.labels[box], group + 1)
        parts = _split(own, height)
        owner[box][own] = count + parts[own]
        count += int(parts.max()) + 1
        widths.append(right - left)
    return _sorted(owner, count, height, float(np.median(widths)) if widths else 0.0)


def _marks(found: components.Components, kept: np.ndarray) -> list[np.ndarray]:
    """The kept components (int (n,) indices) grouped into marks: one lying within the
    columns of a larger one (INSIDE of its width) is part of it, as the pieces of a 0
    or an 8 that a thin stroke left apart are; digits side by side do not nest so."""
    order = kept[np.argsort(-found.area[kept], kind="stable")]
    groups: list[list[int]] = []
    spans: list[tuple[int, int]] = []
    for i in order:
        left, right = int(found.left[i]), int(found.right[i])
        for g, (l0, r0) in enumerate(spans):
            if min(right, r0) - max(left, l0) >= INSIDE * (right - left):
                groups[g].append(int(i))
                spans[g] = (min(l0, left), max(r0, right))
                break
        else:
            groups.append([int(i)])
            spans.append((left, right))
    return [np.array(g) for g in groups]


def _split(own: np.ndarray, height: float) -> np.ndarray:
    """bool (h, w) one component -> int (h, w): which of its parts each pixel is in."""
    if own.shape[1] <= WIDE * height:
        return np.zeros(own.shape, dtype=np.int32)
    paths = cut_paths.cuts(own, height)  # int (k, h): each row's first column right of it
    cols = np.arange(own.shape[1])
    return (cols[None, None, :] >= paths[:, :, None]).sum(axis=0).astype(np.int32)


def _sorted(owner: np.ndarray, count: int, height: float, width: float) -> Pieces:
    """Pieces renumbered left to right by the centre of their columns; a part a cut left
    empty is dropped."""
    rows, cols = np.nonzero(owner >= 0)
    ids = owner[rows, cols]
    top = np.full(count, owner.shape[0]), np.full(count, owner.shape[1])
    top, left = top
    np.minimum.at(top, ids, rows)
    np.minimum.at(left, ids, cols)
    bottom, right = np.zeros(count, np.int64), np.zeros(count, np.int64)
    np.maximum.at(bottom, ids, rows + 1)
    np.maximum.at(right, ids, cols + 1)
    present = np.flatnonzero(bottom > 0)
    order = present[np.argsort(left[present] + right[present], kind="stable")]
    rank = np.full(count + 1, -1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    boxes = np.stack([top[order], left[order], bottom[order], right[order]], axis=1)
    # rank[-1] is -1: pixels of no piece stay -1.
    return Pieces(rank[owner], boxes.astype(np.int64), height, width)
