"""Non-digits the trainer makes itself, for outlier exposure (Hendrycks, Mazeika and
Dietterich, 2019): trained to spread their probability evenly over the ten digits,
they teach the network to answer a non-digit with no confident digit.

The families: strokes, made-up letters (glyphs), letters and symbols of real scripts
written with a pen, doodles (trainer/data/pen/), blobs, textures, noise, fragments of
digits and pairs of digits. Each is drawn at 4x on a black canvas, reduced with
anti-aliasing, and framed as MNIST frames a digit and the service frames a photo
(trainer/artifact/framing.py), so that the framing itself tells nothing apart; some
blobs, textures and noise fill a bare 28x28 field instead, as a client may send them.
"""

import functools

import numpy as np
from PIL import Image, ImageDraw

from trainer.artifact import SIDE
from trainer.artifact.framing import NoInk, frame
from trainer.data import pen
from trainer.data.numbers.misreads import misreads
from trainer.data.pen import doodles as doodle_kinds
from trainer.data.pen import hershey, kanjivg
from trainer.nn.loss import OUTLIER

SCALE = 4
CANVAS = SIDE * SCALE  # drawing canvas, pixels
INK = 64.0  # a pixel from this level up counts towards the box the framing fits (of 255)


def _canvas():
    image = Image.new("L", (CANVAS, CANVAS), 0)
    return image, ImageDraw.Draw(image)


def _framed(image: Image.Image, rng=None) -> np.ndarray:
    """Framed as MNIST frames a digit; or, one time in three when `rng` is given, as it
    is: a 28x28 field a client sends without ?normalize=mnist, filled to the edges."""
    if rng is not None and rng.random() < 1 / 3:
        return np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BOX), dtype=np.float32)
    small = image.resize((SIDE * 2, SIDE * 2), Image.Resampling.BOX)
    return frame(np.asarray(small, dtype=np.float32), INK)


def _points(rng, n: int) -> list[tuple[float, float]]:
    return [tuple(p) for p in rng.uniform(CANVAS * 0.1, CANVAS * 0.9, (n, 2))]


def _curve(rng, n: int) -> list[tuple[float, float]]:
    """A smooth open curve through n random control points (a quadratic B-spline)."""
    ctrl = np.array(_points(rng, n))
    t = np.linspace(0, 1, 24)[:, None]
    out = [ctrl[0]]
    for a, b, c in zip(ctrl[:-2], ctrl[1:-1], ctrl[2:], strict=True):
        p0, p2 = (a + b) / 2, (b + c) / 2
        out += list((1 - t) ** 2 * p0 + 2 * (1 - t) * t * b + t ** 2 * p2)
    out.append(ctrl[-1])
    return [tuple(p) for p in out]


def strokes(rng, digits) -> np.ndarray:
    """Two or three pen strokes, straight or curved; or one long wandering curve; or a
    dash. Never one short stroke: a straight one standing up is a 1, a bent one a 7."""
    image, draw = _canvas()
    width = int(rng.integers(6, 16))
    kind = rng.integers(3)
    if kind == 0:
        for _ in range(rng.integers(2, 4)):
            line = _points(rng, 2) if rng.random() < 0.4 else _curve(rng, rng.integers(3, 5))
            draw.line(line, fill=255, width=width, joint="curve")
    elif kind == 1:
        draw.line(_curve(rng, rng.integers(6, 9)), fill=255, width=width, joint="curve")
    else:
        (x, y), half = _points(rng, 1)[0], rng.uniform(CANVAS * 0.2, CANVAS * 0.45)
        tilt = rng.uniform(-0.4, 0.4) * half
        draw.line([(x - half, y - tilt), (x + half, y + tilt)], fill=255, width=width)
    return _framed(image)


def glyphs(rng, digits) -> np.ndarray:
    """Made-up letters: two to four strokes, each a segment, a bend or an arc, between
    the points of a 3x5 grid, slanted and squeezed at random, closed or open. One that
    came out tall and thin is drawn again: it would be a 1."""
    for _ in range(8):
        glyph = _glyph(rng)
        cols = np.flatnonzero(glyph.max(axis=0) >= INK)
        if cols[-1] - cols[0] >= 7:  # of the 20 pixels of the box's height
            break
    return glyph


def _glyph(rng) -> np.ndarray:
    image, draw = _canvas()
    w, h = CANVAS * rng.uniform(0.25, 0.7), CANVAS * rng.uniform(0.55, 0.8)
    slant, width = rng.uniform(-0.3, 0.3), int(rng.integers(6, 14))
    x0, y0 = (CANVAS - w) / 2, (CANVAS - h) / 2

    def anchor() -> np.ndarray:
        gx, gy = rng.integers(0, 3) / 2, rng.integers(0, 5) / 4
        point = np.array([x0 + gx * w + slant * (0.5 - gy) * h, y0 + gy * h])
        return point + rng.normal(0, 2, 2)

    for _ in range(rng.integers(2, 5)):
        a, b = anchor(), anchor()
        kind = rng.integers(3)
        if kind == 1:  # a bend through a third point
            line = [tuple(a), tuple(anchor()), tuple(b)]
        elif kind == 2:  # an arc bulging to one side of a-b
            t = np.linspace(0, 1, 16)[:, None]
            bulge = rng.uniform(-0.6, 0.6) * np.array([-(b - a)[1], (b - a)[0]])
            line = [tuple(p) for p in a + t * (b - a) + 4 * t * (1 - t) * bulge]
        else:
            line = [tuple(a), tuple(b)]
        draw.line(line, fill=255, width=width, joint="curve")
    return _framed(image)


def blobs(rng, digits) -> np.ndarray:
    """Filled shapes, flat or textured: dots, ellipses, polygons, silhouettes (never
    rings, which a 0 is)."""
    image, draw = _canvas()
    if rng.random() < 0.2:  # a single dot, which framing blows up to a disc
        (x, y), r = _points(rng, 1)[0], rng.uniform(3, 10)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
        return _framed(image)
    for _ in range(rng.integers(1, 4)):
        shade = int(rng.integers(96, 256))
        if rng.random() < 0.5:
            (x, y), r = _points(rng, 1)[0], rng.uniform(4, CANVAS * 0.45, 2)
            draw.ellipse([x - r[0], y - r[1], x + r[0], y + r[1]], fill=shade)
        else:
            draw.polygon(_points(rng, int(rng.integers(3, 9))), fill=shade)
    if rng.random() < 0.5:  # cloth, fur, print: a texture inside the silhouette
        image = Image.fromarray((np.asarray(image, np.float32) * _smooth_noise(rng, 0.3))
                                .astype(np.uint8))
    return _framed(image, rng)


def _smooth_noise(rng, low: float) -> np.ndarray:
    """(CANVAS, CANVAS) float32 in [low, 1]: uniform noise on a coarse grid, upsampled."""
    coarse = rng.uniform(low, 1.0, (int(rng.integers(3, 24)),) * 2).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize((CANVAS, CANVAS),
                                                     Image.Resampling.BICUBIC)).clip(low, 1)


def textures(rng, digits) -> np.ndarray:
    """Hatching, grids and checks over the whole canvas or a patch of it."""
    image, draw = _canvas()
    step, width = rng.uniform(10, 28), int(rng.integers(3, 9))
    angle = rng.uniform(0, np.pi)
    kind = rng.integers(3)
    for k in range(-CANVAS, 2 * CANVAS, max(int(step), 6)):
        for a in ((angle,) if kind == 0 else (angle, angle + np.pi / 2)):
            dx, dy = np.cos(a), np.sin(a)
            x0, y0 = CANVAS / 2 + k * -dy, CANVAS / 2 + k * dx
            draw.line([(x0 - 2 * CANVAS * dx, y0 - 2 * CANVAS * dy),
                       (x0 + 2 * CANVAS * dx, y0 + 2 * CANVAS * dy)], fill=255, width=width)
    pixels = np.asarray(image, dtype=np.float32)
    if kind == 2:  # checks: the crossings of a grid, filled
        pixels = 255.0 * (pixels > 0) * (np.indices(pixels.shape).sum(0) // int(step) % 2)
    return _patch(rng, pixels)


def _patch(rng, pixels: np.ndarray) -> np.ndarray:
    """The whole canvas, or a random rectangle of it, framed."""
    if rng.random() < 0.5:
        x0, y0 = rng.integers(0, CANVAS // 2, 2)
        x1, y1 = x0 + rng.integers(CANVAS // 4, CANVAS // 2, 2)
        mask = np.zeros_like(pixels)
        mask[y0:y1, x0:x1] = 1
        if (pixels * mask).max() >= INK:  # a patch between the lines keeps the whole
            pixels = pixels * mask
    return _framed(Image.fromarray(pixels.astype(np.uint8)), rng)


def noise(rng, digits) -> np.ndarray:
    """Uniform, Gaussian, sparse or smoothed noise."""
    kind = rng.integers(4)
    if kind == 0:
        pixels = rng.uniform(0, 255, (CANVAS, CANVAS))
    elif kind == 1:
        pixels = np.clip(rng.normal(rng.uniform(0, 128), 60, (CANVAS, CANVAS)), 0, 255)
    elif kind == 2:
        pixels = 255.0 * (rng.random((CANVAS, CANVAS)) < rng.uniform(0.005, 0.1))
    else:
        pixels = 255.0 * _smooth_noise(rng, 0.0)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return _framed(image, rng)


def fragments(rng, digits) -> np.ndarray:
    """A third to a half of a digit's box, cut across: a piece that is no digit. Pieces
    cut down the middle are left out, and so are narrow ones: both are often a 1."""
    digit = digits[rng.integers(len(digits))].astype(np.float32)
    rows = np.flatnonzero(digit.max(axis=1) >= INK)
    cols = np.flatnonzero(digit.max(axis=0) >= INK)
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    h = max(2, round((bottom - top) * rng.uniform(0.3, 0.5)))
    y = rng.integers(top, bottom - h + 1)
    piece = digit[y:y + h, left:right]
    ink_cols = np.flatnonzero(piece.max(axis=0) >= INK)
    ink_rows = np.flatnonzero(piece.max(axis=1) >= INK)
    if not len(ink_cols) or ink_cols[-1] - ink_cols[0] < 0.8 * (ink_rows[-1] - ink_rows[0]):
        return pairs(rng, digits)
    return frame(piece, INK)


def pairs(rng, digits) -> np.ndarray:
    """Two or three digits side by side, as a whole number squeezed into one box."""
    count = 2 if rng.random() < 0.75 else 3
    picks = digits[rng.integers(len(digits), size=count)].astype(np.float32)
    row = np.zeros((SIDE + 8, SIDE * count + 8 * count), np.float32)
    x = 0
    for digit in picks:
        cols = np.flatnonzero(digit.max(axis=0) >= INK)
        piece = digit[:, cols[0]:cols[-1] + 1]
        y = int(rng.integers(0, 8))
        np.maximum(row[y:y + SIDE, x:x + piece.shape[1]], piece,
                   out=row[y:y + SIDE, x:x + piece.shape[1]])
        x += piece.shape[1] + int(rng.integers(-3, 6))
    return frame(row, INK)


@functools.cache
def _scripts() -> tuple[list, ...]:
    """Groups of real glyphs, drawn from in turn so that the thousands of kanji do not
    swamp the letters: Hershey's Latin, its Greek and Cyrillic, its symbol sets, and
    KanjiVG's Latin, kana and kanji (every 4th). Never the fonts held out for measuring
    (hershey.FONTS_HELD_OUT)."""
    fonts = hershey.FONTS_TRAIN
    kanji = kanjivg.glyphs(every=4)
    return (hershey.glyphs({"latin": fonts["latin"]}),
            hershey.glyphs({k: fonts[k] for k in ("greek", "cyrillic")}),
            hershey.glyphs({"symbols": fonts["symbols"]}),
            kanji["latin"], kanji["kana"], kanji["kanji"])


def letters(rng, digits) -> np.ndarray:
    """A letter or symbol of a real script (pen/hershey.py, pen/kanjivg.py; the glyphs
    written like a digit are left out there), drawn with a random pen."""
    groups = _scripts()
    group = groups[rng.integers(len(groups))]
    return pen.render(group[rng.integers(len(group))], rng)


def doodles(rng, digits) -> np.ndarray:
    """A face, heart, tick, cross, arrow, star, house, spiral, sun or zigzag
    (pen/doodles.py), drawn with a random pen."""
    return pen.render(doodle_kinds.doodle(rng), rng)


FAMILIES = {"strokes": strokes, "glyphs": glyphs, "letters": letters, "doodles": doodles,
            "blobs": blobs, "textures": textures, "noise": noise, "fragments": fragments,
            "pairs": pairs, "misreads": misreads}
# Images of each family in every cycle of the pool: what people write and draw that
# is no digit (strokes, letters, doodles) looks most like digits, so it gets the
# larger share.
SHARES = {"strokes": 3, "glyphs": 2, "letters": 4, "doodles": 2, "blobs": 2, "textures": 1,
          "noise": 1, "fragments": 1, "pairs": 1, "misreads": 1}


def pool(n: int, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 28) non-digits on 0..255, the families in turn by SHARES; `digits` uint8
    (N, 28, 28) are the training digits that fragments and pairs are cut from."""
    makers = [FAMILIES[name] for name, share in SHARES.items() for _ in range(share)]
    return np.stack([_one(makers[i % len(makers)], rng, digits) for i in range(n)])


def _one(maker, rng, digits) -> np.ndarray:
    """One image of `maker`'s; drawn again when a draw left no ink to frame (every stroke
    of a glyph on one point, say)."""
    for _ in range(9):
        try:
            return maker(rng, digits)
        except NoInk:
            continue
    return noise(rng, digits)


def mixed(batches, pool_x: np.ndarray, fraction: float, rng: np.random.Generator):
    """Each (xb (b, 784), yb (b,)) of `batches` with round(fraction * b) rows of pool_x
    (M, 784), drawn at random, appended and labelled OUTLIER."""
    for xb, yb in batches:
        picks = rng.integers(len(pool_x), size=round(fraction * len(yb)))
        yield (np.concatenate([xb, pool_x[picks]]),
               np.concatenate([yb, np.full(len(picks), OUTLIER, dtype=yb.dtype)]))
