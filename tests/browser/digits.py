"""Scripted handwriting: each digit as strokes in a unit box, drawn in several styles.

A stroke is a list of (x, y) points, x to the right and y down, both in [0, 1] of the
digit's box. Curves are sampled densely so the pointer moves smoothly. A style places
the box on the canvas (size, position), slants it, and picks the pen.
"""

import math
from dataclasses import dataclass


def arc(center, radii, start, end, n=24):
    """Points on an ellipse from angle `start` to `end` (degrees; 0 = right, 90 = down)."""
    (cx, cy), (rx, ry) = center, radii
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / n)))
            for i in range(n + 1)]


def line(x0, y0, x1, y1, n=8):
    return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n + 1)]


DIGITS = {
    0: [arc((0.5, 0.5), (0.32, 0.48), -90, 275, 40)],
    1: [line(0.5, 0.0, 0.5, 1.0)],
    2: [arc((0.5, 0.28), (0.33, 0.28), 190, 385) + line(0.8, 0.38, 0.15, 1.0)[1:]
        + line(0.15, 1.0, 0.9, 1.0)[1:]],
    3: [arc((0.45, 0.26), (0.35, 0.25), 200, 450) + arc((0.45, 0.74), (0.38, 0.26), -90, 160)[1:]],
    4: [line(0.6, 0.0, 0.1, 0.65) + line(0.1, 0.65, 0.95, 0.65)[1:], line(0.68, 0.25, 0.68, 1.0)],
    5: [line(0.85, 0.0, 0.25, 0.0) + line(0.25, 0.0, 0.2, 0.45)[1:]
        + arc((0.5, 0.68), (0.36, 0.32), -140, 150)[1:]],
    6: [arc((0.58, 0.55), (0.42, 0.55), -60, -180) + arc((0.5, 0.72), (0.33, 0.28), 180, -180)[1:]],
    7: [line(0.1, 0.0, 0.9, 0.0) + line(0.9, 0.0, 0.4, 1.0)[1:]],
    8: [arc((0.5, 0.25), (0.27, 0.25), 90, 450) + arc((0.5, 0.74), (0.33, 0.26), -90, 270)[1:]],
    9: [arc((0.5, 0.3), (0.33, 0.3), 0, 360) + line(0.83, 0.3, 0.75, 1.0)[1:]],
}
# Serifed 1 and crossed 7, as many people write them.
VARIANTS = {
    1: [line(0.3, 0.2, 0.5, 0.0) + line(0.5, 0.0, 0.5, 1.0)[1:], line(0.3, 1.0, 0.7, 1.0)],
    7: [line(0.1, 0.0, 0.9, 0.0) + line(0.9, 0.0, 0.4, 1.0)[1:], line(0.45, 0.5, 0.85, 0.5)],
}


@dataclass(frozen=True)
class Style:
    name: str
    size: float  # the box's height, as a fraction of the canvas
    center: tuple[float, float]  # the box's centre, as fractions of the canvas
    slant: float = 0.0  # x moves by slant * (0.5 - y): positive leans right
    pen: str = "20"  # the page's pen select: 12 thin, 20 medium, 30 thick


STYLES = [
    Style("plain", 0.65, (0.5, 0.5)),
    Style("small", 0.3, (0.5, 0.5), pen="12"),
    Style("large", 0.9, (0.5, 0.5), pen="30"),
    Style("top-left", 0.45, (0.3, 0.3)),
    Style("bottom-right", 0.45, (0.7, 0.68)),
    Style("thick", 0.6, (0.5, 0.5), pen="30"),
    Style("thin", 0.6, (0.5, 0.5), pen="12"),
    Style("slanted right", 0.6, (0.5, 0.5), slant=0.3),
    Style("slanted left", 0.6, (0.5, 0.5), slant=-0.25),
    Style("narrow and off-centre", 0.55, (0.6, 0.45)),
]


def place(strokes, style: Style, canvas: float):
    """Canvas-pixel strokes of `strokes` drawn in `style` on a square canvas."""
    h = style.size * canvas
    w = 0.7 * h  # digits are taller than wide
    cx, cy = style.center[0] * canvas, style.center[1] * canvas
    return [[(cx + (x - 0.5 + style.slant * (0.5 - y)) * w, cy + (y - 0.5) * h)
             for x, y in stroke] for stroke in strokes]


def drawn_set():
    """(label, style, strokes): every digit in every style, and the variants of 1 and 7."""
    out = [(label, style, strokes) for label, strokes in DIGITS.items() for style in STYLES]
    out += [(label, style, strokes) for label, strokes in VARIANTS.items()
            for style in STYLES[:5]]
    return out
