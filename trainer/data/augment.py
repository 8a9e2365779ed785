"""Random affine, elastic and stroke-width distortions of digits (Simard, Steinkraus and
Platt, 2003).

Every image gets its own rotation, scale, shear and shift, and its own smooth
displacement field: uniform noise in [-1, 1] smoothed by a Gaussian of width
`sigma` and scaled by `alpha`. Both become one map of source coordinates, which
trainer.data.resample samples with OpenCV (bilinear, zero ink outside the image).
"stroke" then gives a quarter of the digits a thinner pen (grey erosion), a quarter a
thicker one (grey dilation) and a quarter a marker (two dilations), with a 3x3 cross;
"blur" and "lowres" blur a quarter and shrink a quarter and scale them back up (degrade.py).
"""

import dataclasses
import functools
import math

import numpy as np

from trainer.artifact import SIDE
from trainer.data import degrade
from trainer.data.resample import morphology, warp

KINDS = ("affine", "elastic", "stroke", "blur", "lowres")
_SLICE = 512  # images warped at a time: their fields and coordinates stay in cache
# The elastic fields' products are cut into blocks this many noise images wide (28 x 28
# x 224 multiply-adds each), for the reason resample._ROWS gives.
_BLOCK = 8
_TRUNCATE = 4.0  # the Gaussian's radius in sigmas, as scipy.ndimage.gaussian_filter's
# A digit once dilated with less ink than this (of 784; MNIST's mean is about 100 before)
# is dilated again for a marker.
MARKER_INK = 200.0


@dataclasses.dataclass(frozen=True)
class Distortion:
    """Which distortions to draw and their ranges; each range is symmetric about none."""

    kinds: tuple[str, ...] = ()
    rotate: float = 15.0  # degrees, uniform in [-rotate, rotate]
    scale: float = 0.15  # uniform in [1 - scale, 1 + scale]
    shear: float = 0.3  # uniform in [-shear, shear]: x moves by shear * y
    shift: float = 2.0  # pixels, uniform in [-shift, shift] on each axis
    alpha: float = 34.0  # elastic: pixels of displacement per unit of smoothed noise
    sigma: float = 4.0  # elastic: width of the Gaussian, pixels

    def __post_init__(self):
        unknown = sorted(set(self.kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown distortion {', '.join(unknown)}; choose from "
                             f"{', '.join(KINDS)}")


def distort(images: np.ndarray, rng: np.random.Generator, d: Distortion) -> np.ndarray:
    """Images (B, 28, 28) float in [0, 1] -> a fresh random distortion of each, same dtype.

    Slices of _SLICE images are warped one after the other, so their fields and
    coordinates (a few MB) stay in cache.
    """
    n = len(images)
    matrices, shifts = _affine(n, rng, d)
    out = np.empty_like(images)
    for lo in range(0, n, _SLICE):
        part = slice(lo, min(lo + _SLICE, n))
        if not {"affine", "elastic"} & set(d.kinds):
            out[part] = images[part]  # no warp asked for: it would be the identity
            continue
        field = _elastic_field(part.stop - lo, rng, d) if "elastic" in d.kinds else None
        out[part] = warp(images[part], matrices[part], shifts[part], field)
    if "stroke" in d.kinds:
        out = _pens(out, rng)
    for kind in ("blur", "lowres"):
        if kind in d.kinds:
            out = getattr(degrade, kind)(out, rng)
    return out


def _pens(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A quarter of the images thinned, a quarter thickened, a quarter by a marker: dilated
    twice where once left less than MARKER_INK of ink, else once (a thick digit dilated
    twice is a blob, which the non-digits' blobs teach is none)."""
    change = rng.integers(0, 4, len(images))  # 0 thin, 1 thicken, 2 marker, 3 leave
    out = images.copy()
    for kind, which in (("erode", change == 0), ("dilate", (change == 1) | (change == 2))):
        out[which] = morphology(out[which], kind)
    marker = (change == 2) & (out.sum(axis=(1, 2)) < MARKER_INK)
    out[marker] = morphology(out[marker], "dilate")
    return out


def _affine(n: int, rng: np.random.Generator, d: Distortion):
    """(B, 2, 2) maps from output to source offsets about the centre, and (B, 2) shifts."""
    if "affine" not in d.kinds:
        return np.broadcast_to(np.eye(2), (n, 2, 2)), np.zeros((n, 2))
    theta = np.deg2rad(rng.uniform(-d.rotate, d.rotate, n))
    zoom = rng.uniform(1.0 - d.scale, 1.0 + d.scale, n)
    shear = rng.uniform(-d.shear, d.shear, n)
    shifts = rng.uniform(-d.shift, d.shift, (n, 2))
    cos, sin = np.cos(theta) / zoom, np.sin(theta) / zoom
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shearing = np.zeros((n, 2, 2))
    shearing[:, 0, 0] = shearing[:, 1, 1] = 1.0
    shearing[:, 1, 0] = shear
    return rotation @ shearing, shifts


def _elastic_field(n: int, rng: np.random.Generator, d: Distortion) -> np.ndarray:
    """(2, B, 28, 28) displacements: alpha * gaussian_filter(uniform noise, sigma).

    The filter is linear and separable, so it is applied as its 28x28 matrix G in two
    products per block of _BLOCK noise images, laid out (row, image, col) so that both
    are plain products: G @ block down the rows, then (.) @ G^T along them.
    """
    smooth = _smoothing_matrix(d.sigma)
    blocks = -(-2 * n // _BLOCK)
    noise = rng.random((blocks, SIDE, _BLOCK * SIDE), dtype=np.float32)
    noise *= 2.0
    noise -= 1.0
    down = np.matmul(smooth, noise).reshape(blocks, SIDE * _BLOCK, SIDE)
    both = np.matmul(down, smooth.T * np.float32(d.alpha))  # (blocks, (row, image), col)
    images = both.reshape(blocks, SIDE, _BLOCK, SIDE).transpose(0, 2, 1, 3)
    return images.reshape(-1, SIDE, SIDE)[:2 * n].reshape(2, n, SIDE, SIDE)


@functools.cache
def _smoothing_matrix(sigma: float) -> np.ndarray:
    """G (28, 28) float32 with G @ v == gaussian_filter1d(v, sigma, mode="constant").

    The weights are scipy.ndimage's, computed the same way in float64: G is bit for bit
    the matrix gaussian_filter1d makes of the identity. Read-only: shared by every call.
    """
    radius = int(_TRUNCATE * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * x ** 2)
    weights = weights / weights.sum()
    offsets = np.arange(SIDE)[None, :] - np.arange(SIDE)[:, None]  # column minus row
    inside = np.abs(offsets) <= radius
    smooth = np.where(inside, weights[np.clip(offsets + radius, 0, 2 * radius)], 0.0)
    smooth = smooth.astype(np.float32)
    smooth.flags.writeable = False
    return smooth


def chunk_size(batch_size: int, target: int = 4096) -> int:
    """Images per distorted chunk: a whole number of batches, about `target`."""
    return batch_size * max(1, math.ceil(target / batch_size))
