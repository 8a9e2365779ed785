"""Connected components of a binary mask, in NumPy only (the service ships no scipy).

Each row is run-length encoded; runs in neighbouring rows that touch are joined by a
vectorised union-find (hooking onto the smaller index, then pointer jumping). Labels
come out in raster order of each component's first pixel, as scipy.ndimage.label numbers
them, so the two agree label for label.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Runs:
    """The horizontal runs of a mask (R,): row, start column, end column (exclusive)."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @property
    def length(self) -> np.ndarray:
        return self.end - self.start


@dataclass(frozen=True)
class Components:
    """Labelled components: `labels` int32 (H, W), 0 off the mask, 1..count on it.

    Per component, indexed by label - 1 (each int64 (count,)): area in pixels and
    bounding box top, left, bottom, right (bottom and right exclusive).
    """

    labels: np.ndarray
    area: np.ndarray
    top: np.ndarray
    left: np.ndarray
    bottom: np.ndarray
    right: np.ndarray

    @property
    def count(self) -> int:
        return len(self.area)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """float64 (count,): `values` (H, W) summed over each component (its ink mass)."""
        on = self.labels > 0  # only the components' pixels: ink is a small part of an image
        return np.bincount(self.labels[on] - 1, weights=values[on], minlength=self.count)

    def mask(self, keep: np.ndarray) -> np.ndarray:
        """bool (H, W): the pixels of the components where `keep` (bool (count,)) holds."""
        return np.concatenate([[False], np.asarray(keep, dtype=bool)])[self.labels]


def runs(mask: np.ndarray) -> Runs:
    """bool (H, W) -> its horizontal runs, sorted by row, then column."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1).ravel()  # (H, W + 1): +1 where a run starts, -1 after
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return Runs(starts // (w + 1), starts % (w + 1), ends % (w + 1))


def run_lengths(mask: np.ndarray) -> np.ndarray:
    """bool (H, W) -> int32 (H, W): the length of the horizontal run each pixel is in (0 off)."""
    found = runs(mask)
    out = np.zeros(mask.shape, dtype=np.int32)
    out[_pixel_rows(found), _pixel_cols(found)] = np.repeat(found.length, found.length)
    return out


def label(mask: np.ndarray, connectivity: int = 8) -> Components:
    """bool (H, W) -> its components; `connectivity` 8 (diagonals touch) or 4."""
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, not {connectivity!r}")
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"expected a 2-D mask, got shape {mask.shape}")
    found = runs(mask)
    a, b = _touching(found, mask.shape[1], diagonal=connectivity == 8)
    roots = _union(len(found.row), a, b)
    first = roots == np.arange(len(roots))
    run_label = np.cumsum(first)[roots].astype(np.int32)  # 1..count, raster order
    labels = np.zeros(mask.shape, dtype=np.int32)
    labels[_pixel_rows(found), _pixel_cols(found)] = np.repeat(run_label, found.length)
    return Components(labels, *_stats(found, run_label, int(first.sum())))


def _pixel_rows(found: Runs) -> np.ndarray:
    return np.repeat(found.row, found.length)


def _pixel_cols(found: Runs) -> np.ndarray:
    """Each run's columns start..end-1, all runs concatenated."""
    lengths = found.length
    offsets = np.repeat(found.start - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(int(lengths.sum()))


def _touching(found: Runs, width: int, diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (a, b) (P,) of runs in rows r and r + 1 that touch.

    Runs never overlap, so the ones in row r that touch a run of row r + 1 are a
    contiguous slice of the sorted runs, found by binary search on a row-major key.
    """
    stride = width + 2
    above = (found.row - 1) * stride
    start_key = found.row * stride + found.start
    end_key = found.row * stride + found.end
    # Diagonal neighbours touch when the runs' ends meet; 4-connected ones must overlap.
    side = "left" if diagonal else "right"
    lo = np.searchsorted(end_key, above + found.start, side=side)
    hi = np.searchsorted(start_key, above + found.end, side="right" if diagonal else "left")
    count = np.maximum(hi - lo, 0)
    b = np.repeat(np.arange(len(lo)), count)
    a = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count,
                                                                      count)
    return a, b


def _union(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """int64 (n,): each run's root, the smallest run index in its component."""
    parent = np.arange(n)
    while True:
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            return parent
        # Hook the larger root onto the smaller: indices only fall, so no cycles form.
        np.minimum.at(parent, np.maximum(ra, rb)[differ], np.minimum(ra, rb)[differ])
        while True:  # pointer jumping until every run points at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def _stats(found: Runs, run_label: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    """(area, top, left, bottom, right), each int64 (count,)."""
    index = run_label - 1
    area = np.bincount(index, weights=found.length, minlength=count).astype(np.int64)
    top = np.full(count, np.iinfo(np.int64).max)
    left = top.copy()
    bottom = np.zeros(count, dtype=np.int64)
    right = bottom.copy()
    np.minimum.at(top, index, found.row)
    np.minimum.at(left, index, found.start)
    np.maximum.at(bottom, index, found.row + 1)
    np.maximum.at(right, index, found.end)
    return area, top, left, bottom, right
