"""Digits as they really come: blurred (a phone's focus, a scanner's), and at low
resolution (a thumbnail, a fax, a webcam: the digit shrunk to 8-16 pixels and scaled
back up). Part of augment.distort's kinds "blur" and "lowres", drawn afresh each epoch
for digits and non-digits alike, so that neither smooth nor blocky tells them apart.

Each takes images (B, 28, 28) float32 in [0, 1] and returns new ones; OpenCV resamples.
"""

import numpy as np

from trainer.artifact import SIDE
from trainer.data.resample import cv2_module

SHARE = 1 / 4  # of the images each kind changes; the rest pass as they are
SIGMA = (0.5, 1.6)  # blur: a Gaussian's width, pixels
LOW = (8, 16)  # lowres: the 20-pixel box of a digit shrunk to this many pixels
LEVELS = 17  # lowres: some scans keep this many grey levels (the UCI digits: 0..16)


def _peak(image: np.ndarray) -> np.ndarray:
    """Scaled so that its brightest pixel is 1: the MNIST recipe inks a photo's strokes'
    cores at full strength, so half the time the ink is restored."""
    top = image.max()
    return image / top if top > 0 else image


def blur(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A quarter of the images blurred by a Gaussian of sigma in SIGMA; half of those,
    and any left under half their ink, brought back to full ink."""
    cv2, out = cv2_module(), images.copy()
    for i in np.flatnonzero(rng.random(len(images)) < SHARE):
        sigma = rng.uniform(*SIGMA)
        soft = cv2.GaussianBlur(images[i], (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
        # Kept soft only while it stays half as bright: a thin stroke blurred to a
        # shadow is no digit anyone sends.
        out[i] = soft if rng.random() < 0.5 and soft.max() >= 0.5 else _peak(soft)
    return out


def lowres(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A quarter of the images shrunk (area-averaged) so that a digit's 20-pixel box is
    LOW pixels, some quantised to LEVELS grey levels, and scaled back up (bilinear or
    bicubic), brought back to full ink."""
    cv2, out = cv2_module(), images.copy()
    for i in np.flatnonzero(rng.random(len(images)) < SHARE):
        side = max(2, round(SIDE * rng.uniform(*LOW) / 20))
        small = cv2.resize(images[i], (side, side), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            small = np.round(_peak(small) * (LEVELS - 1)) / (LEVELS - 1)
        how = cv2.INTER_LINEAR if rng.random() < 0.5 else cv2.INTER_CUBIC
        big = cv2.resize(small.astype(np.float32), (SIDE, SIDE), interpolation=how)
        out[i] = _peak(np.clip(big, 0, 1))
    return out
