"""Whole numbers to read: MNIST digits written side by side, or digits in handwriting-style
fonts, as photos of dark ink on light paper. The /read tests and
bench/read_vs_tesseract.py share this generator.

A number is 3 to 6 digits with some vertical jitter and gaps from overlapping to wide
(`written`), or, built another way, resized digits half of them slid until they touch
(`another_way`);
`Number.touching` says whether any two of its digits' strokes meet, which is when
reading a number needs more than cutting it into connected pieces.
"""

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SCALE = 4  # photo pixels per MNIST pixel: digits about 80 px tall
MARGIN = 14  # MNIST pixels of paper around the number
INK = 64  # an MNIST pixel from this level up is stroke, for `touching`
FONT_ROOT = Path("/usr/share/fonts")
# Handwriting-style fonts whose digits are strokes (femkeklaver's are outlines: left out).
FONTS = ("truetype/humor-sans/Humor-Sans.ttf", "opentype/comic-neue/ComicNeue-Regular.otf",
         "truetype/fifthhorseman/dkg.ttf", "truetype/kristi/Kristi.ttf",
         "truetype/klee/KleeOne-Regular.ttf", "opentype/bwht/BecauseWeLearn-Regular.otf",
         "truetype/breip/Breip.ttf")


@dataclass(frozen=True)
class Number:
    photo: bytes  # JPEG
    text: str
    touching: bool


def written(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
            gaps: tuple[int, int] = (-5, 12)) -> Number:
    """MNIST digits (k, 28, 28) uint8 with their labels, written left to right with gaps
    drawn from `gaps` (MNIST pixels between the digits' ink; negative: overlapping)."""
    row = np.zeros((28 + 8, 44 * len(images)), np.float32)
    strokes, x = [], 0
    for digit in images:
        cols = np.flatnonzero(digit.max(axis=0) > 0)
        piece = digit[:, cols[0]:cols[-1] + 1].astype(np.float32)
        window = (slice(y := int(rng.integers(0, 9)), y + 28), slice(x, x + piece.shape[1]))
        row[window] = np.maximum(row[window], piece)
        strokes.append(np.zeros(row.shape, bool))
        strokes[-1][window] = piece >= INK
        x = max(0, x + piece.shape[1] + int(rng.integers(gaps[0], gaps[1] + 1)))
    row = row[:, :np.flatnonzero(row.max(axis=0) > 0)[-1] + 1]
    touching = any((_grown(a) & b).any() for a, b in itertools.pairwise(strokes))
    text = "".join(str(int(v)) for v in labels)
    return Number(_photo(255.0 - row, rng), text, touching)


def _grown(mask: np.ndarray) -> np.ndarray:
    """`mask` and its 8 neighbours: strokes a pixel apart, or diagonal, touch too."""
    out = mask.copy()
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    rows = out.copy()
    out[1:] |= rows[:-1]
    out[:-1] |= rows[1:]
    return out


def typed(text: str, rng: np.random.Generator) -> Number:
    """`text` in one of the handwriting-style fonts of Debian's font packages."""
    fonts = [FONT_ROOT / f for f in FONTS if (FONT_ROOT / f).exists()]
    if not fonts:
        raise FileNotFoundError("no handwriting font: apt-get install fonts-humor-sans "
                                "fonts-comic-neue (see .ci/run)")
    font = ImageFont.truetype(str(fonts[rng.integers(len(fonts))]), 28 * SCALE)
    canvas = Image.new("L", (len(text) * 28 * SCALE, 50 * SCALE), 255)
    ImageDraw.Draw(canvas).text((8 * SCALE, 8 * SCALE), text, fill=0, font=font)
    pixels = np.asarray(canvas, np.float32)
    rows = np.flatnonzero(pixels.min(axis=1) < 128)
    cols = np.flatnonzero(pixels.min(axis=0) < 128)
    pixels = np.ascontiguousarray(pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    small = Image.fromarray(pixels).resize((max(1, pixels.shape[1] // SCALE),
                                            max(1, pixels.shape[0] // SCALE)))
    # Bicubic rings past 0 and 255: clipped, not wrapped round by uint8 later.
    return Number(_photo(np.clip(np.asarray(small, np.float32), 0, 255), rng), text,
                  touching=False)


def _photo(ink_on_paper: np.ndarray, rng: np.random.Generator, scale: int = SCALE) -> bytes:
    """(h, w) 0..255, dark on light, in MNIST pixels -> a JPEG photo of it on paper, at
    `scale` photo pixels per MNIST pixel."""
    page = np.pad(ink_on_paper, MARGIN, constant_values=255.0)
    image = Image.fromarray(page.astype(np.uint8)).resize(
        (page.shape[1] * scale, page.shape[0] * scale), Image.Resampling.BICUBIC)
    paper, ink = rng.uniform(200, 245), rng.uniform(10, 70)
    pixels = ink + np.asarray(image, np.float32) / 255.0 * (paper - ink)
    pixels += rng.normal(0, rng.uniform(1, 4), pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.2))))
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def another_way(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Number:
    """MNIST digits (k, 28, 28) written another way than `written`'s: each resized by
    0.85-1.15 and jittered by 3 px up or down, and each next one, half the time, slid
    left until its strokes touch the last's and on by 0-3 px (trainer/data/numbers/touching.py's
    way), else 1-8 px apart; the photo at 3x rather than 4x."""
    from trainer.data.numbers.touching import _touching_at

    row = np.zeros((40, 48 * len(images)), np.float32)
    strokes, x = [], 0
    for digit in images:
        size = max(8, round(28 * rng.uniform(0.85, 1.15)))
        grown = np.asarray(Image.fromarray(digit.astype(np.float32)).resize(
            (size, size), Image.Resampling.BILINEAR))
        cols = np.flatnonzero(grown.max(axis=0) >= INK)
        piece = grown[:, cols[0]:cols[-1] + 1]
        y = min(max(0, (40 - size) // 2 + int(rng.integers(-3, 4))), 40 - size)
        new = np.zeros((40, piece.shape[1]), bool)
        new[y:y + size] = piece >= INK
        if strokes and rng.random() < 0.5:
            x = max(0, _touching_at(row >= INK, new, 0) - int(rng.integers(0, 4)))
        window = (slice(y, y + size), slice(x, x + piece.shape[1]))
        row[window] = np.maximum(row[window], piece)
        strokes.append(np.zeros(row.shape, bool))
        strokes[-1][window] = piece >= INK
        x += piece.shape[1] + int(rng.integers(1, 9))
    row = row[:, :np.flatnonzero(row.max(axis=0) > 0)[-1] + 1]
    touching = any((_grown(a) & b).any() for a, b in itertools.pairwise(strokes))
    return Number(_photo(255.0 - row, rng, scale=3), "".join(str(int(v)) for v in labels),
                  touching)


def numbers(images: np.ndarray, labels: np.ndarray, n: int, seed: int,
            maker=written) -> list[Number]:
    """`n` numbers of 3 to 6 digits drawn from MNIST `images` (N, 28, 28) and `labels`."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        picks = rng.choice(len(images), size=int(rng.integers(3, 7)), replace=False)
        out.append(maker(images[picks], labels[picks], rng))
    return out
