"""An image file -> the 28x28 input the MNIST recipe makes of it, for the trainer's side:
its photo evaluation and folders of one's own images.

The service decodes uploads defensively (service/codec/images.py: every Pillow error a
4xx, every mode handled); a file the trainer was given is trusted, so here Pillow's own
errors go up. The steps that change pixels are the service's: JPEG decoded at reduced
scale, turned as EXIF says, reduced by whole blocks to MAX_SIDE, alpha onto white paper.
"""

import io

import numpy as np
from PIL import Image, ImageOps

from trainer.artifact import recipe

# Large photos are reduced before the float work of the recipe; 20x20 is the target.
MAX_SIDE = 512
# Modes Image.reduce averages correctly (no palette, no alpha to premultiply).
REDUCIBLE = {"L", "RGB", "RGBX", "CMYK", "YCbCr", "I", "F"}


def bounded(im: Image.Image) -> Image.Image:
    """A photo reduced to MAX_SIDE: by whole blocks where the mode allows (a fifth of
    the cost of resampling to exactly MAX_SIDE), else by a box filter."""
    side = max(im.size)
    if side <= MAX_SIDE:
        return im
    if im.mode in REDUCIBLE:
        return im.reduce(-(-side // MAX_SIDE))
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    return im


def colour(im: Image.Image) -> np.ndarray:
    """float32 (H, W, 3) RGB on 0..255, any transparency composited onto white paper."""
    if im.mode in {"LA", "La", "PA", "RGBA", "RGBa"} or "transparency" in im.info:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:]
        return (rgba[..., :3] * alpha + np.float32(255) * (255 - alpha)) / np.float32(255)
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.float32)


def read(blob: bytes) -> np.ndarray:
    """An image file's bytes -> float32 (28, 28) on 0..255, white digit on black.

    Raises recipe.NoDigit where there is no digit, and Pillow's errors for bytes that
    are no image.
    """
    im = Image.open(io.BytesIO(blob))
    if im.format == "JPEG":
        im.draft(None, (MAX_SIDE, MAX_SIDE))  # libjpeg decodes at 1/2, 1/4 or 1/8 scale
    im.load()
    return recipe.mnist(colour(bounded(ImageOps.exif_transpose(im))))
