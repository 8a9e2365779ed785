"""Non-digits drawn with a pen: the glyphs of real scripts and symbol sets as centre-lines
(hershey.py: Debian's hershey-fonts-data; kanjivg.py: PyPI's kanjivg), doodles of this
project's own making (doodles.py), and the pen that draws them (this module).

A glyph is a list of strokes, each a float32 (k, 2) array of (x, y) points, y down, in
any units. The pen slants, squeezes and turns it a little, wobbles each stroke, and
draws it with a width from a hairline to a marker at 4x, then the glyph is framed as
MNIST frames a digit (trainer/artifact/framing.py).
"""

import numpy as np
from PIL import Image, ImageDraw

from trainer.artifact import SIDE
from trainer.artifact.framing import frame

SCALE = 4
CANVAS = SIDE * SCALE
INK = 64.0  # a pixel from this level up counts towards the framed box (of 255)
BOX = 0.8 * CANVAS  # the glyph's longer side on the canvas
# Pen widths on the canvas: about 0.04 (hairline) to 0.22 (marker) of the glyph's box,
# as MNIST's strokes are about 0.12 of its 20-pixel box.
WIDTH = (3.0, 18.0)

Glyph = list[np.ndarray]


def render(glyph: Glyph, rng: np.random.Generator) -> np.ndarray:
    """float32 (28, 28) on 0..255: `glyph` drawn by a random pen and framed.

    Raises framing.NoInk for a glyph with no strokes.
    """
    strokes = _placed(_shaped(glyph, rng))
    image = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(image)
    width = round(rng.uniform(*WIDTH))
    for stroke in strokes:
        points = [tuple(p) for p in _wobbled(stroke, rng)]
        if len(points) == 1:
            (x, y), r = points[0], width / 2 + 1
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
        else:
            draw.line(points, fill=255, width=width, joint="curve")
    small = image.resize((SIDE * 2, SIDE * 2), Image.Resampling.BOX)
    return frame(np.asarray(small, dtype=np.float32), INK)


def _shaped(glyph: Glyph, rng) -> Glyph:
    """Slanted (shear up to 0.3), squeezed (aspect 0.75 to 1.3) and turned (up to 12 deg)."""
    turn = np.deg2rad(rng.uniform(-12, 12))
    squeeze = rng.uniform(0.75, 1.3)
    m = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ \
        np.array([[squeeze, rng.uniform(-0.3, 0.3)], [0.0, 1.0]])
    return [s.astype(np.float64) @ m.T for s in glyph if len(s)]


def _placed(strokes: Glyph) -> Glyph:
    """The strokes scaled so that their box's longer side is BOX, centred on the canvas."""
    if not strokes:
        raise ValueError("a glyph with no strokes")
    every = np.concatenate(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    factor = BOX / max(float((high - low).max()), 1e-6)
    centre = (low + high) / 2
    return [(s - centre) * factor + CANVAS / 2 for s in strokes]


def _wobbled(stroke: np.ndarray, rng) -> np.ndarray:
    """A stroke resampled every 5 canvas pixels and moved by a smooth random wobble of
    up to 2% of the box: no two drawings of a glyph alike, as by hand."""
    if len(stroke) == 1:
        return stroke
    steps = np.hypot(*np.diff(stroke, axis=0).T)
    at = np.concatenate([[0.0], np.cumsum(steps)])
    if at[-1] == 0:
        return stroke[:1]
    t = np.linspace(0.0, at[-1], max(2, int(at[-1] / 5)))
    dense = np.stack([np.interp(t, at, stroke[:, k]) for k in range(2)], axis=1)
    knots = rng.normal(0.0, 0.02 * BOX / 2, (4, 2))
    wobble = np.stack([np.interp(t, np.linspace(0, at[-1], 4), knots[:, k])
                       for k in range(2)], axis=1)
    return dense + wobble
