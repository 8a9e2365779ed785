"""The NumPy labeller against scipy.ndimage.label, the trusted reference (dev extra only)."""

import numpy as np
import pytest

from trainer.artifact.recipe import components

ndimage = pytest.importorskip("scipy.ndimage")
STRUCTURE = {8: np.ones((3, 3), dtype=bool), 4: None}


def assert_same_as_scipy(mask: np.ndarray, connectivity: int) -> components.Components:
    """Identical labels (scipy numbers components in raster order too), areas and boxes."""
    expected, count = ndimage.label(mask, structure=STRUCTURE[connectivity])
    got = components.label(mask, connectivity)
    assert got.count == count
    np.testing.assert_array_equal(got.labels, expected)
    np.testing.assert_array_equal(got.area, np.bincount(expected.ravel(), minlength=count + 1)[1:])
    boxes = [(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in ndimage.find_objects(expected)]
    assert list(zip(got.top, got.left, got.bottom, got.right, strict=True)) == boxes
    return got


@pytest.mark.parametrize("connectivity", [8, 4])
def test_random_masks_match_scipy(connectivity):
    rng = np.random.default_rng(19)
    for _ in range(150):
        h, w = (int(v) for v in rng.integers(1, 70, size=2))
        mask = rng.random((h, w)) < rng.uniform(0.02, 0.95)
        assert_same_as_scipy(mask, connectivity)


@pytest.mark.parametrize("connectivity", [8, 4])
def test_blobby_masks_match_scipy(connectivity):
    # Smoothed noise: large irregular blobs with holes, the shapes ink takes.
    rng = np.random.default_rng(3)
    for _ in range(20):
        field = ndimage.gaussian_filter(rng.random((120, 90)), 3)
        assert_same_as_scipy(field > np.quantile(field, rng.uniform(0.3, 0.8)), connectivity)


def structures() -> dict[str, np.ndarray]:
    ys, xs = np.mgrid[0:101, 0:101] - 50
    comb = np.zeros((40, 41), dtype=bool)
    comb[:, ::2] = True
    comb[-1] = True  # teeth that only join on the last row: unions found late
    return {
        "spiral": ((np.hypot(ys, xs) + 8 * np.arctan2(ys, xs)) % 16) < 5,
        "rings": (np.hypot(ys, xs).astype(int) % 6) < 2,
        "checkerboard": (ys + xs) % 2 == 0,
        "comb": comb,
        "diagonal": np.eye(30, dtype=bool) | np.eye(30, k=3, dtype=bool),
        "empty": np.zeros((5, 7), dtype=bool),
        "full": np.ones((6, 4), dtype=bool),
        "one row": np.array([[1, 1, 0, 1, 0, 0, 1]], dtype=bool),
        "one column": np.array([[1], [0], [1], [1]], dtype=bool),
    }


@pytest.mark.parametrize("name", list(structures()))
@pytest.mark.parametrize("connectivity", [8, 4])
def test_structured_masks_match_scipy(name, connectivity):
    assert_same_as_scipy(structures()[name], connectivity)


def test_diagonal_neighbours_touch_only_with_8_connectivity():
    board = structures()["checkerboard"]
    assert components.label(board, 8).count == 1
    assert components.label(board, 4).count == board.sum()


def test_run_lengths_and_runs():
    mask = np.array([[0, 1, 1, 1, 0, 1], [1, 1, 0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(components.run_lengths(mask),
                                  [[0, 3, 3, 3, 0, 1], [2, 2, 0, 0, 0, 0]])
    runs = components.runs(mask)
    assert (runs.row.tolist(), runs.start.tolist(), runs.end.tolist()) == (
        [0, 0, 1], [1, 5, 0], [4, 6, 2])


def test_sums_and_mask_select_components():
    mask = np.array([[1, 0, 1], [1, 0, 0]], dtype=bool)
    found = components.label(mask)
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(found.sums(values), [0 + 3, 2])
    np.testing.assert_array_equal(found.mask([False, True]), [[0, 0, 1], [0, 0, 0]])


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match="2-D mask"):
        components.label(np.zeros((2, 2, 2), dtype=bool))
    with pytest.raises(ValueError, match="connectivity must be 4 or 8"):
        components.label(np.zeros((2, 2), dtype=bool), connectivity=6)
