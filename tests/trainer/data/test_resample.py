"""Resampling (trainer.data.resample): warps checked against written-out shifts and
scipy.ndimage's affine_transform, morphology against its grey_erosion and grey_dilation
(scipy is the trusted reference, in the dev extra).

OpenCV 5 interpolates float32 images exactly; the coordinates it is given are float32,
which puts the samples within 1e-4 of scipy's (measured: 6e-5 at most over 4,096
distorted digits). OpenCV 4 rounds each coordinate to 1/32 of a pixel (INTER_BITS = 5),
so a sample may be off by up to 1/32 of the intensity range (measured with 4.10: 0.025
at most, 8e-4 on average).
"""

import numpy as np
import pytest

from tests.trainer._synth import ink_blobs
from trainer.data import augment, resample

ndimage = pytest.importorskip("scipy.ndimage")
cv2 = pytest.importorskip("cv2")
BOTH = augment.Distortion(kinds=("affine", "elastic"))
RESAMPLING_ATOL = 1e-4 if int(cv2.__version__.split(".")[0]) >= 5 else 1 / 32


def test_a_one_pixel_translation_moves_the_ink_by_one_pixel():
    x = ink_blobs()
    eye = np.broadcast_to(np.eye(2), (len(x), 2, 2))
    out = resample.warp(x, eye, np.tile([0.0, 1.0], (len(x), 1)))  # read one column right
    expected = np.zeros_like(x)
    expected[:, :, :-1] = x[:, :, 1:]
    np.testing.assert_array_equal(out, expected)
    down = resample.warp(x, eye, np.tile([-1.0, 0.0], (len(x), 1)))  # read one row up
    np.testing.assert_array_equal(down[:, 1:], x[:, :-1])


def test_an_affine_warp_matches_scipy_affine_transform():
    """Rotation, scale and shear about the centre, as ndimage.affine_transform does it."""
    x = ink_blobs(4)
    rng = np.random.default_rng(3)
    matrices, shifts = augment._affine(len(x), rng, BOTH)
    out = resample.warp(x, matrices, shifts)
    center = np.full(2, 13.5)
    for i in range(len(x)):
        offset = center + shifts[i] - matrices[i] @ center
        ref = ndimage.affine_transform(x[i].astype(np.float64), matrices[i], offset,
                                       order=1, mode="constant", cval=0.0)
        np.testing.assert_allclose(out[i], ref, atol=RESAMPLING_ATOL)


@pytest.mark.parametrize("kind", ["erode", "dilate"])
def test_morphology_is_scipys_grey_erosion_and_dilation_with_a_cross(kind):
    x = np.random.default_rng(2).random((40, 28, 28), dtype=np.float32)  # ink to the edges
    op = ndimage.grey_erosion if kind == "erode" else ndimage.grey_dilation
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(resample.morphology(x, kind), op(x, footprint=cross[None]))
