"""Random affine and elastic distortions of digits (Simard, Steinkraus and Platt, 2003).

Every image gets its own rotation, scale, shear and shift, and its own smooth
displacement field: uniform noise in [-1, 1] smoothed by a Gaussian of width
`sigma` and scaled by `alpha`. Both become one map of source coordinates, and one
scipy.ndimage.map_coordinates call resamples a whole chunk (bilinear, zero ink
outside the image).
"""

import dataclasses
import math

import numpy as np

from trainer.artifact import SIDE

KINDS = ("affine", "elastic")
_PAD = 1  # a zero border around each tile: samples outside an image read 0


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
    """Images (B, 28, 28) float in [0, 1] -> a fresh random distortion of each, same dtype."""
    n = len(images)
    matrices, shifts = _affine(n, rng, d)
    field = _elastic_field(n, rng, d) if "elastic" in d.kinds else None
    return warp(images, matrices, shifts, field)


def warp(images: np.ndarray, matrices: np.ndarray, shifts: np.ndarray,
         field: np.ndarray | None = None) -> np.ndarray:
    """Resample each image: output pixel p reads the input at A p + t + field[p].

    images (B, 28, 28) float in [0, 1]; matrices (B, 2, 2) act on (row, col) offsets
    from the image centre; shifts (B, 2) in pixels; field (2, B, 28, 28) or None.
    Bilinear, with zero ink outside the image; same dtype out.
    """
    n = len(images)
    center = (SIDE - 1) / 2.0
    grid = np.mgrid[0:SIDE, 0:SIDE].reshape(2, -1) - center  # (2, 784): (row, col)
    src = np.einsum("bij,jp->ibp", matrices, grid)  # (2, B, 784)
    src += (np.asarray(shifts).T + center)[:, :, None]
    if field is not None:
        src += field.reshape(2, n, -1)
    return _resample(images, src.reshape(2, n, SIDE, SIDE))


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

    The filter is linear and separable, so it is applied as its 28x28 matrix (built
    by gaussian_filter1d itself) in two matrix products over the whole chunk.
    """
    smooth = _smoothing_matrix(d.sigma)
    noise = rng.random((2 * n * SIDE, SIDE), dtype=np.float32)
    noise *= 2.0
    noise -= 1.0
    cols = (noise @ smooth.T).reshape(2 * n, SIDE, SIDE)
    both = cols.transpose(0, 2, 1).reshape(-1, SIDE) @ smooth.T
    both *= np.float32(d.alpha)
    return both.reshape(2, n, SIDE, SIDE).transpose(0, 1, 3, 2)


def _smoothing_matrix(sigma: float) -> np.ndarray:
    """G (28, 28) with G @ v == gaussian_filter1d(v, sigma, mode="constant")."""
    ndimage = _ndimage()
    return ndimage.gaussian_filter1d(np.eye(SIDE, dtype=np.float32), sigma, axis=0,
                                     mode="constant")


def _resample(images: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Bilinear samples of each image at src (2, B, 28, 28), zero outside the image.

    The images are laid out as one tall column of zero-bordered tiles, so a single
    2-D map_coordinates call covers the chunk; clipping each coordinate to its own
    tile makes a sample outside the image read the border's zeros.
    """
    n, tile = len(images), SIDE + 2 * _PAD
    canvas = np.zeros((n, tile, tile), dtype=images.dtype)
    canvas[:, _PAD:_PAD + SIDE, _PAD:_PAD + SIDE] = images
    coords = np.clip(src + _PAD, 0.0, tile - 1.0)
    coords[0] += (np.arange(n) * tile)[:, None, None]
    out = np.empty((n, SIDE, SIDE), dtype=images.dtype)
    _ndimage().map_coordinates(canvas.reshape(n * tile, tile), coords, output=out, order=1,
                            prefilter=False)
    return np.clip(out, 0.0, 1.0, out=out)


def _ndimage():
    """scipy.ndimage, imported on first use: only distortions need scipy."""
    try:
        from scipy import ndimage
    except ImportError as e:
        raise ImportError("distortions need scipy: pip install -e '.[train]'") from e
    return ndimage


def chunk_size(batch_size: int, target: int = 4096) -> int:
    """Images per distorted chunk: a whole number of batches, about `target`."""
    return batch_size * max(1, math.ceil(target / batch_size))
