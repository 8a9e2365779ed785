"""Resampling digits in batches with OpenCV: `warp` (bilinear, an affine map plus a
displacement field per image) and `morphology` (grey erosion and dilation with a 3x3
cross). trainer.data.augment draws the random distortions; trainer.eval.robustness
applies fixed ones.

OpenCV (opencv-python-headless, the `train` extra) is imported on first use: only
distortions and the robustness table need it, and the service never does.
"""

import functools

import numpy as np

from trainer.artifact import SIDE

_PAD = 1  # a zero border around each tile: samples outside an image read 0
# Rows per matrix product in warp. The products run in the background threads, and
# OpenBLAS runs one under 2^18 multiply-adds (64 x 3 x 784 is 150,528) on the calling
# thread; one that spreads over its pool while the training thread uses it too waits
# on it, ten to a hundred times slower on a busy 2-core machine.
_ROWS = 64
# Images per cv2.remap call, stacked in one column: the column's coordinates, up to
# 64 * 30, keep float32's rounding error in the samples under 1e-4.
_COLUMN = 64
CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=np.uint8)  # morphology's element


def warp(images: np.ndarray, matrices: np.ndarray, shifts: np.ndarray,
         field: np.ndarray | None = None) -> np.ndarray:
    """Resample each image: output pixel p reads the input at A p + t + field[p].

    images (B, 28, 28) float in [0, 1]; matrices (B, 2, 2) act on (row, col) offsets
    from the image centre; shifts (B, 2) in pixels; field (2, B, 28, 28) or None.
    Bilinear, with zero ink outside the image; same dtype out.

    The source coordinates come from one product [A | t] @ [p; 1] for the whole batch;
    the field is added, each coordinate clipped into the image's zero-bordered tile, and
    moved to where _resample's canvas has that tile.
    """
    n, tile = len(images), SIDE + 2 * _PAD
    affine = np.empty((2, n, 3), dtype=np.float32)  # [A | t] per image, for row and col
    affine[:, :, :2] = np.asarray(matrices).transpose(1, 0, 2)
    affine[:, :, 2] = np.asarray(shifts).T + ((SIDE - 1) / 2.0 + _PAD)
    src = _blocked_product(affine, _basis())  # (2, B, 784), in the tile's coordinates
    if field is not None:
        src.reshape(2, n, SIDE, SIDE)[...] += field
    np.clip(src, 0.0, tile - 1.0, out=src)
    src[0] += ((np.arange(n, dtype=np.float32) % _COLUMN) * tile)[:, None]  # tile's top row
    return _resample(images, src)


def _blocked_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (2, B, 3) @ b (3, 784) -> (2, B, 784) float32, in products of _ROWS rows."""
    rows = a.reshape(-1, a.shape[2])
    out = np.empty((len(rows), b.shape[1]), dtype=np.float32)
    for lo in range(0, len(rows), _ROWS):
        np.matmul(rows[lo:lo + _ROWS], b, out=out[lo:lo + _ROWS])
    return out.reshape(2, -1, b.shape[1])


@functools.cache
def _basis() -> np.ndarray:
    """(3, 784) float32: each pixel's (row, col) offset from the image centre, and 1."""
    grid = np.mgrid[0:SIDE, 0:SIDE].reshape(2, -1) - (SIDE - 1) / 2.0
    basis = np.concatenate([grid, np.ones((1, SIDE * SIDE))]).astype(np.float32)
    basis.flags.writeable = False  # shared by every call
    return basis


def morphology(images: np.ndarray, kind: str) -> np.ndarray:
    """Grey erosion ("erode": each pixel the min over the 3x3 cross about it) or dilation
    ("dilate": the max) of every image (B, 28, 28) float; pixels outside an image are
    ignored (as scipy.ndimage.grey_erosion's default reflecting border does).

    The images are stacked into one tall image with a separator row between them that
    neither operation can pick (+inf for the min, -inf for the max), so one OpenCV call
    covers them all; OpenCV ignores the outer border by default.
    """
    n, side = len(images), images.shape[1]
    if n == 0:
        return images.copy()
    tall = np.full((n, side + 1, images.shape[2]), np.inf if kind == "erode" else -np.inf,
                   dtype=images.dtype)
    tall[:, :side] = images
    cv2 = cv2_module()
    op = cv2.erode if kind == "erode" else cv2.dilate
    out = op(tall.reshape(n * (side + 1), -1), CROSS)
    return out.reshape(tall.shape)[:, :side].copy()


def _resample(images: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Bilinear samples of images (B, 28, 28) at src (2, B, 784), in canvas coordinates.

    The canvas holds each image in a tile with a zero border, _COLUMN tiles to a column,
    and one cv2.remap call resamples a column; a coordinate clipped into its own tile
    (warp does it) reads the border's zeros outside the image.
    """
    cv2 = cv2_module()
    n, tile = len(images), SIDE + 2 * _PAD
    canvas = np.zeros((n, tile, tile), dtype=images.dtype)
    canvas[:, _PAD:_PAD + SIDE, _PAD:_PAD + SIDE] = images
    out = np.empty((n, SIDE, SIDE), dtype=images.dtype)
    for lo in range(0, n, _COLUMN):
        k = min(_COLUMN, n - lo)
        cv2.remap(canvas[lo:lo + k].reshape(k * tile, tile),
                  src[1, lo:lo + k].reshape(k * SIDE, SIDE),
                  src[0, lo:lo + k].reshape(k * SIDE, SIDE), cv2.INTER_LINEAR,
                  dst=out[lo:lo + k].reshape(k * SIDE, SIDE), borderMode=cv2.BORDER_CONSTANT,
                  borderValue=0)
    return np.clip(out, 0.0, 1.0, out=out)


@functools.cache
def cv2_module():
    """OpenCV, imported on first use: only distortions need it.

    One thread per call: the distortions run in background threads while the matrix
    products use the cores, and OpenCV's own pool would only compete with both.
    """
    try:
        import cv2
    except ImportError as e:
        raise ImportError("distortions need OpenCV: pip install opencv-python-headless, "
                          "or pip install -e '.[train]'") from e
    cv2.setNumThreads(1)
    return cv2


def available() -> bool:
    """Whether OpenCV imports: the commands check it before any work, to fail in one line."""
    try:
        cv2_module()
    except ImportError:
        return False
    return True
