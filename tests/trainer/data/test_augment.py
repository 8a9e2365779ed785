"""Distortions: checked against scipy.ndimage's own transforms and written-out shifts."""

import dataclasses
import json

import numpy as np
import pytest

from trainer.data import augment, batches
from trainer.run import train

ndimage = pytest.importorskip("scipy.ndimage")
BOTH = augment.Distortion(kinds=("affine", "elastic"))
NONE_OF_THEM = dataclasses.replace(BOTH, rotate=0, scale=0, shear=0, shift=0, alpha=0)


def _images(n=16, seed=0, dtype=np.float32):
    """(n, 28, 28) blobs of ink in [0, 1] away from the border."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), dtype=dtype)
    x[:, 6:22, 8:20] = rng.random((n, 16, 12))
    return x


def test_zero_size_distortions_return_the_image_unchanged():
    x = _images()
    np.testing.assert_array_equal(augment.distort(x, np.random.default_rng(0), NONE_OF_THEM), x)


def test_a_one_pixel_translation_moves_the_ink_by_one_pixel():
    x = _images()
    eye = np.broadcast_to(np.eye(2), (len(x), 2, 2))
    out = augment.warp(x, eye, np.tile([0.0, 1.0], (len(x), 1)))  # read one column right
    expected = np.zeros_like(x)
    expected[:, :, :-1] = x[:, :, 1:]
    np.testing.assert_array_equal(out, expected)
    down = augment.warp(x, eye, np.tile([-1.0, 0.0], (len(x), 1)))  # read one row up
    np.testing.assert_array_equal(down[:, 1:], x[:, :-1])


def test_an_affine_warp_matches_scipy_affine_transform():
    """Rotation, scale and shear about the centre, as ndimage.affine_transform does it."""
    x = _images(4)
    rng = np.random.default_rng(3)
    matrices, shifts = augment._affine(len(x), rng, BOTH)
    out = augment.warp(x, matrices, shifts)
    center = np.full(2, 13.5)
    for i in range(len(x)):
        offset = center + shifts[i] - matrices[i] @ center
        ref = ndimage.affine_transform(x[i].astype(np.float64), matrices[i], offset,
                                       order=1, mode="constant", cval=0.0)
        np.testing.assert_allclose(out[i], ref, atol=1e-5)


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
    x = _images(64, dtype=dtype)
    x[:, 10:12, 10:12] = 1.0
    out = augment.distort(x, np.random.default_rng(0), BOTH)
    assert out.dtype == dtype and out.shape == x.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.array_equal(out, x)


def test_the_same_seed_gives_the_same_batch():
    x = _images(32)
    a, b, c = (augment.distort(x, np.random.default_rng(s), BOTH) for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


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
