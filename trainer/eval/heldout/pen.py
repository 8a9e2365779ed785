"""Held-out non-digits written with a pen: Hershey's cursive hands and symbol sets, which
the trainer never draws from (trainer/data/pen/hershey.py FONTS_HELD_OUT), and doodles
drawn by code of their own with Pillow's primitives, not the trainer's doodles.py.
"""

import numpy as np
from PIL import Image, ImageDraw

from trainer.artifact import SIDE
from trainer.artifact.framing import frame
from trainer.data import pen
from trainer.data.pen import hershey

CANVAS = SIDE * 4
INK = 64.0
SEEDS = {"dev": 303, "final": 404}


def _framed(image: Image.Image, rng) -> np.ndarray:
    turned = image.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
    small = turned.resize((SIDE * 2, SIDE * 2), Image.Resampling.BOX)
    return frame(np.asarray(small, dtype=np.float32), INK)


def smiley(draw, rng, c, r, w):
    draw.ellipse([c - r, c - r * rng.uniform(0.85, 1.15), c + r, c + r], outline=255, width=w)
    for dx in (-0.35, 0.35):
        e = r * rng.uniform(0.06, 0.12)
        draw.ellipse([c + dx * r - e, c - 0.3 * r - e, c + dx * r + e, c - 0.3 * r + e], fill=255)
    box = [c - 0.5 * r, c - 0.3 * r, c + 0.5 * r, c + 0.55 * r]
    draw.arc(box, 20, 160, fill=255, width=w) if rng.random() < 0.7 else \
        draw.line([(c - 0.4 * r, c + 0.4 * r), (c + 0.4 * r, c + 0.4 * r)], fill=255, width=w)


def heart(draw, rng, c, r, w):
    lobe = r * rng.uniform(0.45, 0.55)
    draw.arc([c - 2 * lobe, c - r * 0.6, c, c - r * 0.6 + 2 * lobe], 135, 360, fill=255, width=w)
    draw.arc([c, c - r * 0.6, c + 2 * lobe, c - r * 0.6 + 2 * lobe], 180, 45, fill=255, width=w)
    tip = (c, c + r * rng.uniform(0.8, 1.0))
    draw.line([(c - 1.7 * lobe, c - 0.6 * r + 1.7 * lobe), tip], fill=255, width=w)
    draw.line([(c + 1.7 * lobe, c - 0.6 * r + 1.7 * lobe), tip], fill=255, width=w)


def plus(draw, rng, c, r, w):
    a, b = r * rng.uniform(0.6, 1.0, 2)
    draw.line([(c - a, c), (c + a, c)], fill=255, width=w)
    draw.line([(c, c - b), (c, c + b)], fill=255, width=w)


def tick(draw, rng, c, r, w):
    draw.line([(c - 0.8 * r, c), (c - 0.2 * r, c + 0.7 * r), (c + 0.9 * r, c - 0.9 * r)],
              fill=255, width=w, joint="curve")


def star(draw, rng, c, r, w):
    a = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2, r * rng.uniform(0.35, 0.5), r)
    pts = [(c + q * np.cos(t), c + q * np.sin(t)) for q, t in zip(radii, a, strict=True)]
    draw.line([*pts, pts[0]], fill=255, width=w, joint="curve")


def house(draw, rng, c, r, w):
    draw.rectangle([c - 0.7 * r, c - 0.1 * r, c + 0.7 * r, c + 0.9 * r], outline=255, width=w)
    draw.line([(c - 0.9 * r, c - 0.05 * r), (c, c - 0.9 * r), (c + 0.9 * r, c - 0.05 * r)],
              fill=255, width=w, joint="curve")


def spiral(draw, rng, c, r, w):
    t = np.linspace(0, rng.uniform(2.2, 3.5) * 2 * np.pi, 160)
    q = r * (0.1 + 0.9 * t / t[-1])
    draw.line(list(zip(c + q * np.cos(t), c + q * np.sin(t), strict=True)), fill=255, width=w,
              joint="curve")


DOODLES = {"smileys": smiley, "hearts": heart, "plus signs": plus, "ticks": tick,
           "stars": star, "houses": house, "spirals": spiral}


def doodle(kind: str, rng) -> np.ndarray:
    image = Image.new("L", (CANVAS, CANVAS), 0)
    DOODLES[kind](ImageDraw.Draw(image), rng, CANVAS / 2, CANVAS * rng.uniform(0.3, 0.42),
                  int(rng.integers(4, 14)))
    return _framed(image, rng)


def families(n: int, split: str) -> dict[str, np.ndarray]:
    """{family: float32 (n, 28, 28) on 0..255}: "doodles" (n of each kind, by kind in
    `doodle_kinds`), Hershey's cursive letters and its symbols, drawn by the trainer's pen."""
    rng = np.random.default_rng(SEEDS[split])
    out = {f"doodles: {kind}": np.stack([doodle(kind, rng) for _ in range(n)])
           for kind in DOODLES}
    for layout, title in (("latin", "letters in Hershey's cursive hands"),
                          ("symbols", "Hershey's symbols and markers")):
        glyphs = hershey.glyphs({layout: hershey.FONTS_HELD_OUT[layout]})
        out[title] = np.stack([pen.render(glyphs[i], rng)
                               for i in rng.integers(len(glyphs), size=n)])
    return out
