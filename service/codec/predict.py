"""The /predict protocol: a body of any accepted form -> model inputs, and a prediction ->
{"model": {"name", "version"},
 "predictions": [{"label", "is_digit", "confidence", "probabilities"}, ...]}.

The forms are image files (a raw body or multipart parts) and JSON instances.
Without `normalize_mnist` an image must be 28x28 (MNIST's own form, white on black);
with it every image, JSON ones included, goes through the MNIST recipe (normalize.py).
"""

from dataclasses import dataclass

import numpy as np
import orjson

from service.codec import check_batch, images, normalize
from service.codec.instances import instances
from service.errors import UnsupportedMediaType
from trainer.artifact import SIDE
from trainer.artifact.inference import as_inputs

FIELD = "image"  # the multipart field of the images
JSON_TYPE = "application/json"
MULTIPART = "multipart/form-data"
ACCEPTED = (f"{MULTIPART} (field {FIELD!r}), "
            f"image/{'|'.join(name.lower() for name in images.FORMATS)}, {JSON_TYPE}")


@dataclass(frozen=True)
class Options:
    """What the request's query and the app's settings ask of the decoding."""

    normalize_mnist: bool
    return_input: bool
    max_batch: int
    max_pixels: int


@dataclass(frozen=True)
class Inputs:
    """The model's inputs, and the pixels they came from when the answer shows them."""

    x: np.ndarray  # float32 (B, 784) in [0, 1]
    seen: np.ndarray | None  # float32 (B, 28, 28) on 0..255, with return_input


def media_kind(mimetype: str) -> str:
    """'multipart', 'image' or 'json' for a request's Content-Type, else 415."""
    if mimetype == MULTIPART:
        return "multipart"
    if mimetype in images.MEDIA_TYPES:
        return "image"
    if mimetype == JSON_TYPE:
        return "json"
    raise UnsupportedMediaType(f"Content-Type {mimetype or '(none)'!r} is not accepted; "
                               f"send {ACCEPTED}")


def decode(kind: str, payload, options: Options) -> Inputs:
    """payload: the body's bytes ('image', 'json') or the files' bytes ('multipart')."""
    pixels = _pixels(kind, payload, options)
    return Inputs(as_inputs(pixels), pixels if options.return_input else None)


def _pixels(kind: str, payload, options: Options) -> np.ndarray:
    """float32 (B, 28, 28) on 0..255, white digit on black."""
    if kind == "json":
        grays = instances(payload, options.max_batch)
        if not options.normalize_mnist:
            return grays
        return np.stack([normalize.mnist(gray) for gray in grays])
    blobs = [payload] if kind == "image" else payload
    check_batch(len(blobs), options.max_batch)
    out = np.empty((len(blobs), SIDE, SIDE), dtype=np.float32)
    for i, blob in enumerate(blobs):
        out[i] = image_pixels(blob, options.max_pixels, options.normalize_mnist)
    return out


def image_pixels(blob: bytes, max_pixels: int, normalize_mnist: bool) -> np.ndarray:
    """One image file -> float32 (28, 28) on 0..255, white digit on black."""
    if not normalize_mnist:
        im = images.decode_image(blob, max_pixels, exact_side=SIDE)
        return images.to_gray(im, background=0.0)
    im = images.decode_image(blob, max_pixels, exact_side=None)
    # In colour: the recipe reads blue or red ink by its darkest channel.
    return normalize.mnist(images.to_colour(images.upright_and_bounded(im)))


def answer(model, prediction, inputs: Inputs) -> bytes:
    """The JSON answer: each image's digit, whether it is a digit at all, the calibrated
    confidence of the digit and the ten probabilities, in request order; with
    return_input, the 28x28 pixels the model saw."""
    rows = prediction.probabilities.astype(np.float64).tolist()
    confidence = prediction.confidence.astype(np.float64).tolist()
    predictions = [{"label": int(label), "is_digit": bool(digit), "confidence": sure,
                    "probabilities": row}
                   for label, digit, sure, row in zip(prediction.labels, prediction.is_digit,
                                                      confidence, rows, strict=True)]
    if inputs.seen is not None:
        seen = inputs.seen
        seen = seen.astype(np.int64) if np.all(seen == np.rint(seen)) else seen
        for item, image in zip(predictions, seen.tolist(), strict=True):
            item["input"] = image
    return orjson.dumps({"model": {"name": model.name, "version": model.version},
                         "predictions": predictions})
