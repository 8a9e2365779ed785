"""The /read protocol: one image of a written number -> its digits, left to right.

{"model": {"name", "version"}, "text": "2026", "confidence": 0.97,
 "digits": [{"label", "is_digit", "confidence", "box": [x0, y0, x1, y1],
             "probabilities"}, ...]}

The ink is found as for /predict?normalize=mnist (trainer/artifact/recipe/), cut into
pieces, and every run of pieces that may be a digit goes through the same MNIST recipe
and the same forward pass as /predict, in one batch; the wide ones through the pair
network too; dynamic programming keeps the reading the networks make best
(trainer/artifact/segment/, which the trainer's own numbers are read with too). `text`
has a "?" where a mark is read as no digit (a dash, a letter, a digit the model cannot
read), and `confidence` is the calibrated probability that `text` is the number.
"""

from dataclasses import dataclass

import numpy as np
import orjson
from PIL import Image

from service.codec import images, normalize
from service.errors import Unprocessable
from trainer.artifact import segment
from trainer.artifact.inference import Prediction
from trainer.artifact.segment import groups, pieces, reading

TRANSPOSED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class Page:
    """The candidates of one image (trainer/artifact/segment/reading.py), and their boxes
    in the uploaded image's pixels."""

    found: reading.Candidates
    boxes: np.ndarray  # int64 (C, 4): x0, y0, x1, y1 in the uploaded image's pixels

    @property
    def x(self) -> np.ndarray:
        return self.found.x


def from_file(blob: bytes, max_pixels: int, max_digits: int) -> Page:
    """One image file -> its candidates, boxed in the uploaded image's pixels."""
    im = images.decode_image(blob, max_pixels, exact_side=None)
    small = images.upright_and_bounded(im)
    return decode(images.to_colour(small), _upright_size(im), max_digits)


def decode(pixels: np.ndarray, size: tuple[int, int], max_digits: int) -> Page:
    """float32 (H, W) or (H, W, 3) on 0..255 -> its candidates, boxed in an image of
    `size` (width, height); 422 when it holds no ink, or past max_digits (MAX_DIGITS)."""
    strength, marks = segment.at_working_height(*normalize.on_sheet(pixels))
    found = pieces.pieces(marks)
    if not found.count:
        raise Unprocessable("no digit found: the only marks are specks; send a photo of a "
                            "number written dark on light paper", code="no_digit")
    if found.count > groups.MAX_PARTS * max_digits:
        _too_many(found.count // groups.MAX_PARTS, max_digits)
    found = reading.candidates(strength, found)
    # (top, left, bottom, right) in the working pixels -> (x0, y0, x1, y1) in the upload's.
    scale = np.array([size[0] / marks.shape[1], size[1] / marks.shape[0]] * 2)
    boxes = np.rint(found.unions[:, [1, 0, 3, 2]] * scale).astype(np.int64)
    return Page(found, boxes)


def _upright_size(im: Image.Image) -> tuple[int, int]:
    """The image's (width, height) as displayed: EXIF may turn it by a quarter."""
    orientation = im.getexif().get(0x0112)
    return im.size[::-1] if orientation in TRANSPOSED else im.size


def _too_many(count: int, max_digits: int):
    raise Unprocessable(f"about {count} or more marks that may be digits in one image; the "
                        f"limit is {max_digits} (MAX_DIGITS); send one number per image",
                        code="too_many_digits")


def picked(prediction, read: reading.Reading):
    """The prediction of the chosen candidates alone, for the metrics."""
    chosen = [p.k for p in read.positions]
    return Prediction(prediction.probabilities[chosen], [prediction.labels[k] for k in chosen],
                      prediction.confidence[chosen], prediction.is_digit[chosen])


def choose(model, page: Page, prediction, max_digits: int) -> reading.Reading:
    """The reading the networks make best, left to right; 422 past max_digits."""
    read = reading.read(model, page.found, prediction)
    if len(read.positions) > max_digits:
        _too_many(len(read.positions), max_digits)
    return read


def answer(model, page: Page, read: reading.Reading, return_input: bool) -> bytes:
    """The JSON answer: the number's text and confidence, and each position's reading."""
    digits = []
    for p in read.positions:
        item = {"label": p.label, "is_digit": p.is_digit, "confidence": p.confidence,
                "box": _box(page.boxes[p.k], p.half),
                "probabilities": p.probabilities.tolist()}
        if return_input:
            item["input"] = page.found.seen[p.k].astype(np.int64).tolist()
        digits.append(item)
    return orjson.dumps({"model": {"name": model.name, "version": model.version},
                         "text": read.text, "confidence": read.confidence, "digits": digits})


def _box(box: np.ndarray, half: int | None) -> list[int]:
    """A candidate's box, or the left or right half of it for a digit of a pair."""
    x0, y0, x1, y1 = (int(v) for v in box)
    if half is None:
        return [x0, y0, x1, y1]
    middle = (x0 + x1) // 2
    return [x0, y0, middle, y1] if half == 0 else [middle, y0, x1, y1]
