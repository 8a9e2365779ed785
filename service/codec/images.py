"""One image file's bytes -> float32 pixels on 0..255 (grayscale, or colour for the MNIST
recipe), or a 4xx ServiceError.

Decoding is defensive: sizes are checked before pixels are decoded, and whatever
Pillow raises on hostile bytes becomes a 4xx that says what to send instead.
"""

import io
import re
import struct

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from service.errors import BadRequest, Unprocessable
from trainer.artifact.recipe import picture

# The accepted formats, each with the Content-Types that announce it: the one list.
FORMATS = {
    "PNG": ("image/png", "image/apng"),
    "JPEG": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "GIF": ("image/gif",),
    "BMP": ("image/bmp", "image/x-bmp", "image/x-ms-bmp"),
    "WebP": ("image/webp",),
    "TIFF": ("image/tiff", "image/x-tiff"),
}
MEDIA_TYPES = frozenset(t for types in FORMATS.values() for t in types)
NAMES = ", ".join(list(FORMATS)[:-1]) + " or " + list(FORMATS)[-1]
_PILLOW_NAMES = tuple(name.upper() for name in FORMATS)
# What Pillow's decoders raise on hostile or truncated bytes (its own fuzzing finds the
# index, key, type and arithmetic errors in plugins): all mean "cannot decode this".
# Caught around Pillow's calls only, never around this project's own code.
PILLOW_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error,
                 EOFError, IndexError, KeyError, TypeError, ZeroDivisionError, OverflowError)
SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N"}
WITH_ALPHA = {"LA", "La", "PA", "RGBA", "RGBa"}
# Large photos are reduced before the float work of the MNIST recipe (its home's rule).
NORMALIZE_MAX_SIDE = picture.MAX_SIDE
_REPR = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def decode_image(data: bytes, max_pixels: int, *, exact_side: int | None) -> Image.Image:
    """Open `data` lazily, check its size, then decode its first frame.

    With `exact_side` anything but exact_side x exact_side is refused before decoding;
    otherwise the limit is `max_pixels` (width x height), also checked before decoding.
    """
    if not data:
        raise BadRequest("empty image; send the image file's bytes", code="no_image")
    im = _pillow(lambda: Image.open(io.BytesIO(data), formats=_PILLOW_NAMES),
                 f"the {len(data)} bytes sent")
    width, height = im.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise Unprocessable(f"image is {width}x{height}; the limit is {max_pixels} pixels",
                            code="image_too_large")
    if exact_side and (width, height) != (exact_side, exact_side):
        raise Unprocessable(f"image is {width}x{height}, expected {exact_side}x{exact_side} "
                            "(MNIST); resize it or add ?normalize=mnist for other sizes",
                            code="wrong_size")
    if not exact_side and im.format == "JPEG":
        # libjpeg can decode at 1/2, 1/4 or 1/8 scale: a phone photo costs a fraction.
        _pillow(lambda: im.draft(None, (NORMALIZE_MAX_SIDE, NORMALIZE_MAX_SIDE)), "the JPEG")
    # First frame only: animated GIF/WebP and multi-page TIFF stay at frame 0.
    _pillow(im.load, f"the {im.format} image, truncated or corrupt")
    return im


def _pillow(call, what: str):
    """call(), with what Pillow raises on bad bytes as a 4xx naming `what`."""
    try:
        return call()
    except Image.DecompressionBombError as e:
        raise Unprocessable(f"image too large ({e})", code="image_too_large") from e
    except UnidentifiedImageError as e:
        raise BadRequest(f"not an image file: {what} are no {NAMES}",
                         code="undecodable_image") from e
    except PILLOW_ERRORS as e:
        raise BadRequest(f"cannot decode {what} ({_why(e)}); send {NAMES}",
                         code="undecodable_image") from e


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
    if mode in SIXTEEN_BIT:
        return np.rint(np.asarray(im, dtype=np.float32) / np.float32(257))
    if mode in ("I", "F"):
        return _ranged(np.asarray(im), mode)
    if mode in WITH_ALPHA or (mode == "P" and "transparency" in im.info):
        rgba = _convert(im, "RGBA")
        gray = np.asarray(_convert(rgba, "L"), dtype=np.float32)
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32)
        # Exact at alpha 0 and 255, so opaque images keep their 8-bit values.
        return (gray * alpha + np.float32(background) * (255 - alpha)) / np.float32(255)
    if mode not in ("L", "1", "P", "RGB", "RGBX", "CMYK"):
        im = _convert(im, "RGB")
    return np.asarray(_convert(im, "L") if im.mode != "L" else im, dtype=np.float32)


def to_colour(im: Image.Image) -> np.ndarray:
    """Any Pillow mode -> float32 (H, W, 3) RGB, or (H, W) for grayscale modes, on 0..255.

    For the MNIST recipe, which reads coloured ink by its darkest channel: alpha is
    composited onto white (transparent paper), 16- and 32-bit modes go as to_gray does.
    """
    mode = im.mode
    if mode in SIXTEEN_BIT or mode in ("I", "F", "L", "1", "LA", "La"):
        return to_gray(im, background=255.0)
    if mode in WITH_ALPHA or (mode == "P" and "transparency" in im.info):
        rgba = np.asarray(_convert(im, "RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:]
        # Exact at alpha 0 and 255, so opaque images keep their 8-bit values.
        return (rgba[..., :3] * alpha + np.float32(255) * (255 - alpha)) / np.float32(255)
    return np.asarray(im if mode == "RGB" else _convert(im, "RGB"), dtype=np.float32)


def _convert(im: Image.Image, mode: str) -> Image.Image:
    try:
        return im.convert(mode)
    except PILLOW_ERRORS as e:
        raise Unprocessable(f"cannot convert {im.mode} image to {mode} ({_why(e)}); "
                            "send 8-bit grayscale or RGB", code="unsupported_mode") from e


def _ranged(arr: np.ndarray, mode: str) -> np.ndarray:
    values = arr.astype(np.float64)
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 255:
        raise Unprocessable(f"{mode} (32-bit) image has values outside 0..255; send an 8-bit "
                            "or 16-bit image, or 32-bit values on the 0..255 scale",
                            code="out_of_range")
    return values.astype(np.float32)


def upright_and_bounded(im: Image.Image) -> Image.Image:
    """A photo turned as its EXIF says and reduced to NORMALIZE_MAX_SIDE, for the recipe."""
    im = _pillow(lambda: ImageOps.exif_transpose(im), "the image")
    return _pillow(lambda: picture.bounded(im), "the image")
