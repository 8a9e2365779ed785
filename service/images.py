"""One image file's bytes -> float32 (28, 28) pixels on 0..255, or a 4xx ServiceError.

Decoding is defensive: sizes are checked before pixels are decoded, and nothing a
client sends can escape as anything but a ServiceError.
"""

import io
import re
import struct

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from service import normalize
from service.errors import BadRequest, Unprocessable

SIDE = 28
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
# What Pillow's plugins raise on hostile or truncated bytes; all mean "cannot decode this".
DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error,
                 EOFError, IndexError, KeyError, TypeError, ZeroDivisionError, OverflowError)
SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N"}
WITH_ALPHA = {"LA", "La", "PA", "RGBA", "RGBa"}
# Large photos are reduced before the float work of the MNIST recipe; 20x20 is the target.
NORMALIZE_MAX_SIDE = 1024


def decode_image(data: bytes, max_pixels: int, *, exact_size: bool) -> Image.Image:
    """Open `data` lazily, check its size, then decode its first frame.

    With `exact_size` anything but 28x28 is refused before decoding; otherwise
    the limit is `max_pixels` (width x height), also checked before decoding.
    """
    if not data:
        raise BadRequest("empty image; send the image file's bytes", code="no_image")
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as e:
        raise Unprocessable(f"image too large ({e})", code="image_too_large") from e
    except UnidentifiedImageError as e:
        raise BadRequest(f"not an image file: the {len(data)} bytes sent are no PNG, JPEG, "
                         "GIF, BMP, WebP or TIFF", code="undecodable_image") from e
    except DECODE_ERRORS as e:
        raise BadRequest(f"cannot decode the image ({_why(e)}); send PNG, JPEG, GIF, BMP, "
                         "WebP or TIFF", code="undecodable_image") from e
    width, height = im.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise Unprocessable(f"image is {width}x{height}; the limit is {max_pixels} pixels",
                            code="image_too_large")
    if exact_size and (width, height) != (SIDE, SIDE):
        raise Unprocessable(f"image is {width}x{height}, expected {SIDE}x{SIDE} (MNIST); "
                            "resize it or add ?normalize=mnist for other sizes",
                            code="wrong_size")
    try:
        if not exact_size and im.format == "JPEG":
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale: a phone photo costs a fraction.
            im.draft(None, (NORMALIZE_MAX_SIDE, NORMALIZE_MAX_SIDE))
        im.load()  # first frame only: animated GIF/WebP and multi-page TIFF stay at frame 0
    except Image.DecompressionBombError as e:
        raise Unprocessable(f"image too large ({e})", code="image_too_large") from e
    except DECODE_ERRORS as e:
        raise BadRequest(f"cannot decode the {im.format} image, truncated or corrupt "
                         f"({_why(e)})", code="undecodable_image") from e
    return im


_REPR = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def _why(e: Exception) -> str:
    """The library's reason, without the reprs of internal objects some messages carry."""
    return _REPR.sub("the upload", f"{type(e).__name__}: {e}")[:200]


def to_gray(im: Image.Image, background: float) -> np.ndarray:
    """Any Pillow mode -> float32 (H, W) on the 0..255 scale.

    Alpha is composited onto `background` (0 black for MNIST-style input, 255 white
    for photos of ink on paper). 16-bit images are rescaled to 8 bits; 32-bit
    integer and float images are taken as 0..255 values and refused outside it.
    """
    mode = im.mode
    try:
        if mode in SIXTEEN_BIT:
            return np.rint(np.asarray(im, dtype=np.float32) / np.float32(257))
        if mode in ("I", "F"):
            return _ranged(np.asarray(im), mode)
        if mode in WITH_ALPHA or (mode == "P" and "transparency" in im.info):
            rgba = im.convert("RGBA")
            gray = np.asarray(rgba.convert("L"), dtype=np.float32)
            alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32)
            # Exact at alpha 0 and 255, so opaque images keep their 8-bit values.
            return (gray * alpha + np.float32(background) * (255 - alpha)) / np.float32(255)
        if mode != "L":
            im = im.convert("L") if mode in ("1", "P", "RGB", "RGBX", "CMYK") else \
                im.convert("RGB").convert("L")
        return np.asarray(im, dtype=np.float32)
    except DECODE_ERRORS as e:
        raise Unprocessable(f"cannot convert {mode} image to grayscale ({_why(e)}); "
                            "send 8-bit grayscale or RGB", code="unsupported_mode") from e


def _ranged(arr: np.ndarray, mode: str) -> np.ndarray:
    values = arr.astype(np.float64)
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 255:
        raise Unprocessable(f"{mode} (32-bit) image has values outside 0..255; send an 8-bit "
                            "or 16-bit image, or 32-bit values on the 0..255 scale",
                            code="out_of_range")
    return values.astype(np.float32)


def pixels(data: bytes, max_pixels: int, normalize_mnist: bool) -> np.ndarray:
    """One image file's bytes -> float32 (28, 28) pixels 0..255, white digit on black."""
    im = decode_image(data, max_pixels, exact_size=not normalize_mnist)
    if not normalize_mnist:
        return to_gray(im, background=0.0)
    try:
        im = ImageOps.exif_transpose(im)
        if max(im.size) > NORMALIZE_MAX_SIDE:
            im.thumbnail((NORMALIZE_MAX_SIDE, NORMALIZE_MAX_SIDE), Image.Resampling.BOX)
    except DECODE_ERRORS as e:
        raise BadRequest(f"cannot decode the image ({_why(e)})", code="undecodable_image") from e
    return normalize.mnist(to_gray(im, background=255.0))
