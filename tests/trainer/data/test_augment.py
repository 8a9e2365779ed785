"""Distortions: the random draws checked against scipy.ndimage's own filters and
morphology (the trusted reference, in the dev extra). The resampling itself is
test_resample.py's."""

import dataclasses
import json

import numpy as np
import pytest

from tests.trainer._synth import ink_blobs
from trainer.data import augment, batches
from trainer.run import train

ndimage = pytest.importorskip("scipy.ndimage")
pytest.importorskip("cv2")
CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)[None]  # (1, 3, 3): per image
BOTH = augment.Distortion(kinds=("affine", "elastic"))
ALL = augment.Distortion(kinds=("affine", "elastic", "stroke"))
EVERY = augment.Distortion(kinds=augment.KINDS)
NONE_OF_THEM = dataclasses.replace(BOTH, rotate=0, scale=0, shear=0, shift=0, alpha=0)


def test_zero_size_distortions_return_the_image_unchanged():
    x = ink_blobs()
    np.testing.assert_array_equal(augment.distort(x, np.random.default_rng(0), NONE_OF_THEM), x)


def test_the_smoothing_matrix_is_scipys_bit_for_bit():
    for sigma in (4.0, 2.5, 10.0):
        expected = ndimage.gaussian_filter1d(np.eye(28, dtype=np.float32), sigma, axis=0,
                                             mode="constant")
        assert augment._smoothing_matrix(sigma).tobytes() == expected.tobytes()


def test_the_elastic_field_is_gaussian_filter_of_the_noise_times_alpha():
    noise = np.random.default_rng(1).uniform(-1, 1, (28, 28)).astype(np.float32)
    smooth = augment._smoothing_matrix(4.0)
    np.testing.assert_allclose(smooth @ noise @ smooth.T,
                               ndimage.gaussian_filter(noise, 4.0, mode="constant"), atol=1e-6)
    field = augment._elastic_field(256, np.random.default_rng(0), BOTH)
    per_image_max = np.abs(field).max(axis=(0, 2, 3))
    assert field.shape == (2, 256, 28, 28)
    assert 2.0 < np.median(per_image_max) < 5.0  # alpha 34, sigma 4: a few pixels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_stay_in_0_1_with_the_input_dtype(dtype):
    x = ink_blobs(64, dtype=dtype)
    x[:, 10:12, 10:12] = 1.0
    out = augment.distort(x, np.random.default_rng(0), BOTH)
    assert out.dtype == dtype and out.shape == x.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.array_equal(out, x)


@pytest.mark.parametrize("d", [BOTH, ALL, EVERY])
def test_the_same_seed_gives_the_same_batch(d):
    x = ink_blobs(700)  # more than one slice
    a, b, c = (augment.distort(x, np.random.default_rng(s), d) for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_stroke_thins_a_quarter_thickens_a_quarter_and_gives_a_quarter_a_marker():
    x = np.concatenate([ink_blobs(2000, seed=3), _box_digits(2000, 3)])  # thick and thin
    out = augment.distort(x, np.random.default_rng(0), augment.Distortion(kinds=("stroke",)))
    eroded = ndimage.grey_erosion(x, footprint=CROSS)
    dilated = ndimage.grey_dilation(x, footprint=CROSS)
    marker = ndimage.grey_dilation(dilated, footprint=CROSS)
    thin_enough = dilated.sum(axis=(1, 2)) < augment.MARKER_INK  # a marker dilates again
    kinds = {"same": x, "thinner": eroded, "thicker": dilated, "marker": marker}
    which = {k: np.all(out == v, axis=(1, 2)) for k, v in kinds.items()}
    assert np.all(np.any(list(which.values()), axis=0))  # each image is one of the four
    assert not np.any(which["marker"] & ~thin_enough & ~which["thicker"])
    for k in ("same", "thinner"):
        assert abs(which[k].mean() - 1 / 4) < 0.03, k  # 3 sigma of a binomial share: 0.021
    # Thickened or by a marker: half; twice dilated only where once left little ink.
    assert abs((which["thicker"] | which["marker"]).mean() - 1 / 2) < 0.035
    assert which["marker"][thin_enough].mean() > 0.15


def test_stroke_comes_after_the_warp():
    """Stroke draws last, so with the same seed the warp is the one without it."""
    x = ink_blobs(300)
    warped = augment.distort(x, np.random.default_rng(4), BOTH)
    out = augment.distort(x, np.random.default_rng(4), ALL)
    thick = ndimage.grey_dilation(warped, footprint=CROSS)
    candidates = np.stack([warped, ndimage.grey_erosion(warped, footprint=CROSS), thick,
                           ndimage.grey_dilation(thick, footprint=CROSS)])  # (4, B, 28, 28)
    matches = np.all(candidates == out, axis=(2, 3))  # (4, B)
    assert np.all(matches.any(axis=0))
    assert np.all(matches.sum(axis=1) > 20)  # each of the four happens


def test_distorted_minibatches_cover_the_epoch_in_order_whatever_the_threads():
    rng = np.random.default_rng(0)
    x = rng.random((1000, 784), dtype=np.float32)
    y = np.arange(1000)
    perm = rng.permutation(1000)

    def epoch():
        got = [(xb.copy(), yb) for xb, yb in
               batches.minibatches(x, y, perm, batch_size=64,
                                   rng=np.random.default_rng(7), distortion=BOTH)]
        return np.concatenate([g[0] for g in got]), np.concatenate([g[1] for g in got])

    (xa, ya), (xb, yb) = epoch(), epoch()
    np.testing.assert_array_equal(ya, perm)
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)


def test_unknown_distortions_are_refused():
    with pytest.raises(ValueError, match="unknown distortion warp"):
        augment.Distortion(kinds=("warp",))


@pytest.mark.slow
def test_a_short_run_with_distortions_still_learns(tmp_path, mnist_dir):
    cfg = train.Config(hidden=(128,), optimizer="adam", lr=2e-3, epochs=3, seed=1,
                       train_limit=6000, augment=("affine", "elastic"), rotate=10.0,
                       elastic_alpha=20.0)
    manifest = train.train(cfg, tmp_path / "m", mnist_dir, log=lambda msg: None)
    rows = [json.loads(line) for line in (tmp_path / "m" / "metrics.jsonl").open()]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert manifest["metrics"]["test_accuracy"] >= 0.9  # chance is 0.1
    recorded = manifest["training"]
    assert recorded["augment"] == ["affine", "elastic"]
    assert (recorded["rotate"], recorded["elastic_alpha"], recorded["elastic_sigma"]) == (
        10.0, 20.0, 4.0)


def _box_digits(n: int, seed: int) -> np.ndarray:
    """(n, 28, 28) float32 in [0, 1]: a bar of full ink in a 20x20 box, like a digit."""
    x = np.zeros((n, 28, 28), np.float32)
    rng = np.random.default_rng(seed)
    for i, col in enumerate(rng.integers(6, 20, n)):
        x[i, 4:24, col:col + 3] = 1.0
    return x


def test_blur_softens_a_quarter_and_keeps_the_rest():
    x = _box_digits(3000, 1)
    out = augment.distort(x, np.random.default_rng(2), augment.Distortion(kinds=("blur",)))
    same = np.all(out == x, axis=(1, 2))
    assert abs(same.mean() - 3 / 4) < 0.03
    # A blurred bar spreads ink beyond it, never above full, and keeps its middle column.
    spread = (out[~same] > 0).sum(axis=(1, 2)) > (x[~same] > 0).sum(axis=(1, 2))
    assert spread.all() and out.max() <= 1.0 + 1e-6


def test_lowres_is_the_digit_shrunk_and_scaled_back():
    """Against a written-out reference: a shrunk-and-grown bar is as wide as before
    within two pixels, blurrier (more grey levels), at full ink."""
    x = _box_digits(600, 4)
    out = augment.distort(x, np.random.default_rng(3), augment.Distortion(kinds=("lowres",)))
    changed = ~np.all(out == x, axis=(1, 2))
    assert abs(changed.mean() - 1 / 4) < 0.06
    for before, after in zip(x[changed], out[changed], strict=True):
        assert np.isclose(after.max(), 1.0)
        grey = np.count_nonzero((after > 0.05) & (after < 0.95))
        assert grey > 10
        cols = np.flatnonzero(after.max(axis=0) > 0.5)
        want = np.flatnonzero(before.max(axis=0) > 0.5)
        assert abs(cols.mean() - want.mean()) < 2.0
