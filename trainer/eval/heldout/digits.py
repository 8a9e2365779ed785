"""Real digits that are not MNIST's, to measure how many the verdict refuses and how
many are read right, each through the service's MNIST recipe (trainer/artifact/recipe/):

- low-resolution scans: the UCI handwritten digits (scikit-learn's `load_digits`, 1,797
  scans of 43 writers reduced to 8x8 with 17 grey levels), written dark on white and
  scaled up to 64x64, as a thumbnail, a fax or a webcam gives a digit;
- digits typed in the handwriting-style fonts of trainer/eval/heldout/drawn.py (the
  split's fonts), dark on white.

The "dev" and "final" splits take different halves of the scans, and other fonts.
"""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from trainer.artifact import recipe
from trainer.artifact.recipe import picture
from trainer.eval.heldout.drawn import FONT_ROOT, FONTS

SCAN_SIDE = 64


def _png(gray: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _through_recipe(blobs: list[bytes], labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(float32 (N, 28, 28) on 0..255, int (N,) labels, -1 where the recipe found no digit)."""
    pixels = np.zeros((len(blobs), 28, 28), np.float32)
    kept = labels.astype(np.int64).copy()
    for i, blob in enumerate(blobs):
        try:
            pixels[i] = picture.read(blob)
        except recipe.NoDigit:
            kept[i] = -1
    return pixels, kept


def scans(split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The UCI scans of `split`'s half, or None without scikit-learn."""
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError:
        return None
    data = load_digits()
    half = len(data.images) // 2
    part = slice(0, half) if split == "dev" else slice(half, None)
    blobs = [_png(np.asarray(Image.fromarray((255 - image * 255 / 16).astype(np.float32))
                             .resize((SCAN_SIDE, SCAN_SIDE), Image.Resampling.BILINEAR)))
             for image in data.images[part]]
    return _through_recipe(blobs, data.target[part])


def typed(split: str, n: int, seed: int = 505) -> tuple[np.ndarray, np.ndarray] | None:
    """n digits typed in `split`'s handwriting fonts, or None where none is installed."""
    fonts = [ImageFont.truetype(str(FONT_ROOT / f), 96) for f in FONTS[split]
             if (FONT_ROOT / f).exists()]
    if not fonts:
        return None
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    blobs = []
    for label in labels:
        image = Image.new("L", (160, 160), 255)
        ImageDraw.Draw(image).text((80, 80), str(label), fill=0,
                                   font=fonts[rng.integers(len(fonts))], anchor="mm")
        blobs.append(_png(np.asarray(image.rotate(rng.uniform(-8, 8), fillcolor=255))))
    return _through_recipe(blobs, labels)


def kinds(n: int, split: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{kind: (pixels (N, 28, 28) on 0..255, labels (N,), -1 where no digit was found)}."""
    out = {}
    for name, made in (("low-resolution scans (UCI 8x8)", scans(split)),
                       ("digits typed in handwriting fonts", typed(split, n))):
        if made is not None:
            out[name] = made
    return out
