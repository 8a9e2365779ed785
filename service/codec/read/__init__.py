"""The /read protocol: one image of a written number -> its digits, left to right.

{"model": {"name", "version"}, "text": "2026",
 "digits": [{"label", "is_digit", "confidence", "box": [x0, y0, x1, y1],
             "probabilities"}, ...]}

The ink is found as for /predict?normalize=mnist (trainer/artifact/recipe/), cut into pieces
(pieces.py), and every run of pieces that may be a digit goes through the same MNIST
recipe and the same forward pass as /predict, in one batch; groups.py keeps the
segmentation the model reads best. `text` holds the digits that are digits; marks
that are not (a dash, a letter) are answered too, with is_digit false.
"""

from dataclasses import dataclass

import numpy as np
import orjson
from PIL import Image

from service.codec import images, normalize
from service.codec.read import groups, pieces
from service.errors import Unprocessable
from trainer.artifact import SIDE
from trainer.artifact.framing import frame
from trainer.artifact.inference import Prediction, as_inputs
from trainer.artifact.recipe import INK_FRACTION, crop

TRANSPOSED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
WORKING_HEIGHT = 48  # pixels: a number is read at this height, its digits framed to 20
COVERED = 0.25  # a reduced pixel is ink when this much of it was


@dataclass(frozen=True)
class Page:
    """The candidates of one image, for one forward pass, and what the answer needs."""

    x: np.ndarray  # float32 (C, 784): each candidate as the model sees it
    seen: np.ndarray  # float32 (C, 28, 28) on 0..255
    runs: list[tuple[int, int]]  # (C,): each candidate's pieces [i, j)
    widths: np.ndarray  # float (C,): each candidate's width in the hand's digit widths
    boxes: np.ndarray  # int64 (C, 4): x0, y0, x1, y1 in the uploaded image's pixels
    count: int  # pieces


def from_file(blob: bytes, max_pixels: int, max_digits: int) -> Page:
    """One image file -> its candidates, boxed in the uploaded image's pixels."""
    im = images.decode_image(blob, max_pixels, exact_side=None)
    small = images.upright_and_bounded(im)
    return decode(images.to_colour(small), _upright_size(im), max_digits)


def decode(pixels: np.ndarray, size: tuple[int, int], max_digits: int) -> Page:
    """float32 (H, W) or (H, W, 3) on 0..255 -> its candidates, boxed in an image of
    `size` (width, height); 422 when it holds no ink, or past max_digits (MAX_DIGITS)."""
    strength, marks = _at_working_height(*normalize.on_sheet(pixels))
    found = pieces.pieces(marks)
    if not found.count:
        raise Unprocessable("no digit found: the only marks are specks; send a photo of a "
                            "number written dark on light paper", code="no_digit")
    if found.count > groups.MAX_PARTS * max_digits:
        _too_many(found.count // groups.MAX_PARTS, max_digits)
    runs = groups.candidates(found)
    unions = np.array([found.union(i, j) for i, j in runs], dtype=np.int64).reshape(-1, 4)
    seen = np.empty((len(runs), SIDE, SIDE), dtype=np.float32)
    for k, (i, j) in enumerate(runs):
        seen[k] = _framed(strength, found, i, j, unions[k])
    # (top, left, bottom, right) in the working pixels -> (x0, y0, x1, y1) in the upload's.
    scale = np.array([size[0] / marks.shape[1], size[1] / marks.shape[0]] * 2)
    boxes = np.rint(unions[:, [1, 0, 3, 2]] * scale).astype(np.int64)
    return Page(as_inputs(seen), seen, runs, groups.widths(found, unions), boxes, found.count)


def _at_working_height(strength: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, ...]:
    """The ink (H, W) and its marks reduced so that the number is about WORKING_HEIGHT
    pixels tall: the digits become 20x20 in the end, and cutting and framing cost as
    the square of the height."""
    rows = np.flatnonzero(marks.any(axis=1))
    factor = (rows[-1] - rows[0] + 1) / WORKING_HEIGHT if len(rows) else 1.0
    if factor < 1.5:
        return strength, marks
    size = (max(1, round(marks.shape[1] / factor)), max(1, round(marks.shape[0] / factor)))
    small = [np.asarray(Image.fromarray(a.astype(np.float32)).resize(size, Image.Resampling.BOX))
             for a in (strength, marks)]
    # A thin stroke covers part of each reduced pixel: COVERED keeps it whole.
    return small[0], small[1] >= COVERED


def _framed(strength: np.ndarray, found: pieces.Pieces, i: int, j: int,
            box: np.ndarray) -> np.ndarray:
    """Pieces i..j-1, whose union is `box` (top, left, bottom, right), through the MNIST
    recipe -> (28, 28) on 0..255."""
    top, left, bottom, right = (int(v) for v in box)
    # One pixel more on each side: recipe.crop keeps the strokes' soft edges.
    h, w = strength.shape
    outer = (max(top - 1, 0), max(left - 1, 0), min(bottom + 1, h), min(right + 1, w))
    kept = found.mask(i, j, outer)
    window = strength[outer[0]:outer[2], outer[1]:outer[3]]
    return frame(crop(window, kept) * np.float32(255), INK_FRACTION * 255)


def _upright_size(im: Image.Image) -> tuple[int, int]:
    """The image's (width, height) as displayed: EXIF may turn it by a quarter."""
    orientation = im.getexif().get(0x0112)
    return im.size[::-1] if orientation in TRANSPOSED else im.size


def _too_many(count: int, max_digits: int):
    raise Unprocessable(f"about {count} or more marks that may be digits in one image; the "
                        f"limit is {max_digits} (MAX_DIGITS); send one number per image",
                        code="too_many_digits")


def picked(prediction, chosen: list[int]):
    """The prediction of the chosen candidates alone, for the metrics."""
    return Prediction(prediction.probabilities[chosen], [prediction.labels[k] for k in chosen],
                      prediction.confidence[chosen], prediction.is_digit[chosen])


def choose(page: Page, prediction, max_digits: int) -> list[int]:
    """The candidates the model reads best together, left to right; 422 past max_digits."""
    chosen = groups.best(page.runs, prediction.confidence, page.count, page.widths)
    if len(chosen) > max_digits:
        _too_many(len(chosen), max_digits)
    return chosen


def answer(model, page: Page, prediction, chosen: list[int], return_input: bool) -> bytes:
    """The JSON answer: the number's text and each chosen candidate's reading."""
    digits = []
    for k in chosen:
        item = {"label": int(prediction.labels[k]), "is_digit": bool(prediction.is_digit[k]),
                "confidence": float(prediction.confidence[k]),
                "box": page.boxes[k].tolist(),
                "probabilities": prediction.probabilities[k].astype(np.float64).tolist()}
        if return_input:
            item["input"] = page.seen[k].astype(np.int64).tolist()
        digits.append(item)
    text = "".join(str(d["label"]) for d in digits if d["is_digit"])
    return orjson.dumps({"model": {"name": model.name, "version": model.version},
                         "text": text, "digits": digits})
