"""Turn a /predict request body into raw grayscale pixels, or a 4xx ServiceError.

Every accepted input ends up as float32 pixel values on the 0..255 scale, one
(H, W) array per input, in request order. `scale` then makes the model's input
with the trainer's own function for its uint8 IDX images. Decoding is defensive:
sizes are checked before pixels are decoded, and nothing a client sends can
escape as anything but a ServiceError.
"""

import io
import json
import math
import struct

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from service import normalize
from service.errors import BadRequest, Unprocessable, UnsupportedMediaType
from trainer.artifact import as_inputs

SIDE = 28
PIXELS = SIDE * SIDE
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
IMAGE_TYPES = {
    "image/png", "image/apng", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif",
    "image/bmp", "image/x-bmp", "image/x-ms-bmp", "image/webp", "image/tiff", "image/x-tiff",
}
JSON_TYPES = {"application/json"}
MULTIPART = "multipart/form-data"
ACCEPTED = "multipart/form-data (field 'image'), image/png|jpeg|gif|bmp|webp|tiff, application/json"
# What Pillow's plugins raise on hostile or truncated bytes; all mean "cannot decode this".
DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error,
                 EOFError, IndexError, KeyError, TypeError, ZeroDivisionError, OverflowError)
JSON_KINDS = {bool: "true/false", str: "string", type(None): "null", list: "array",
              dict: "object"}
SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N"}
WITH_ALPHA = {"LA", "La", "PA", "RGBA", "RGBa"}
# Large photos are reduced before the float work of the MNIST recipe; 20x20 is the target.
NORMALIZE_MAX_SIDE = 1024


def scale(pixels: np.ndarray) -> np.ndarray:
    """(B, 28, 28) or (B, 784) pixel values 0..255 (uint8 or float) -> float32 (B, 784) in [0, 1].

    The trainer's own function, not a copy: `x * float32(1/255)` and `x / 255` differ
    in the last bit for half of the 256 levels, so only sharing it keeps parity exact.
    """
    return as_inputs(np.asarray(pixels).reshape(len(pixels), PIXELS))


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


def _why(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"[:200]


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


def image_pixels(data: bytes, max_pixels: int, normalize_mnist: bool) -> np.ndarray:
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


def parse_json(data: bytes, max_batch: int) -> list[np.ndarray]:
    """{"instances": [784 numbers | 28x28 nested numbers, ...]} -> float32 (28, 28) arrays."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequest(f"malformed JSON ({_why(e)})", code="malformed_json") from e
    if not isinstance(body, dict) or "instances" not in body:
        raise BadRequest('expected a JSON object {"instances": [...]}', code="malformed_json")
    instances = body["instances"]
    if not isinstance(instances, list):
        raise BadRequest('"instances" must be a list of images', code="malformed_json")
    if not instances:
        raise BadRequest('"instances" is empty; send at least one image', code="no_image")
    check_batch(len(instances), max_batch)
    return [_instance(i, inst) for i, inst in enumerate(instances)]


def _instance(i: int, inst) -> np.ndarray:
    where = f"instances[{i}]"
    if not isinstance(inst, list):
        raise Unprocessable(f"{where}: expected a list of {PIXELS} numbers or {SIDE} rows of "
                            f"{SIDE}", code="wrong_shape")
    if len(inst) == SIDE and all(isinstance(row, list) for row in inst):
        if any(len(row) != SIDE for row in inst):
            raise Unprocessable(f"{where}: every one of the {SIDE} rows needs {SIDE} numbers",
                                code="wrong_shape")
        flat = [v for row in inst for v in row]
    elif len(inst) == PIXELS:
        flat = inst
    else:
        raise Unprocessable(f"{where}: {len(inst)} values; expected {PIXELS} numbers or "
                            f"{SIDE} rows of {SIDE}", code="wrong_shape")
    return _pixel_values(where, flat).astype(np.float32).reshape(SIDE, SIDE)


def _pixel_values(where: str, flat: list) -> np.ndarray:
    """float64 (784,) of JSON numbers in 0..255, or the 422 naming the first bad value."""
    # One vectorised check serves the usual, valid instance; the loop below only runs to
    # name the culprit (a Python loop over 784 values costs ~0.1 ms per image).
    if set(map(type, flat)) <= {int, float}:
        try:
            values = np.asarray(flat, dtype=np.float64)
        except OverflowError:  # an int beyond float64's range; the loop reports it
            values = None
        if values is not None and np.all((values >= 0) & (values <= 255)):  # NaN fails
            return values
    for v in flat:
        # bool is an int subclass; a JSON true is not a pixel.
        if type(v) not in (int, float):
            raise Unprocessable(f"{where}: a JSON {JSON_KINDS.get(type(v), 'value')} is not a "
                                "number", code="not_a_number")
        if not 0 <= v <= 255:  # also false for NaN and Infinity, which Python's json accepts
            finite = type(v) is int or math.isfinite(v)
            what = "is outside 0..255" if finite else "is not a finite number"
            raise Unprocessable(f"{where}: {repr(v)[:40]} {what}", code="out_of_range")
    return np.asarray(flat, dtype=np.float64)


def check_batch(count: int, max_batch: int) -> None:
    if count > max_batch:
        raise Unprocessable(f"{count} images in one request; the limit is {max_batch} "
                            "(MAX_BATCH); split the batch", code="batch_too_large")


def media_kind(mimetype: str) -> str:
    """'multipart', 'image' or 'json' for a request's Content-Type, else 415."""
    if mimetype == MULTIPART:
        return "multipart"
    if mimetype in IMAGE_TYPES:
        return "image"
    if mimetype in JSON_TYPES:
        return "json"
    raise UnsupportedMediaType(f"Content-Type {mimetype or '(none)'!r} is not accepted; "
                               f"send {ACCEPTED}")
