"""Held-out non-digits drawn with Pillow's primitives and fonts, and two that come as
they are: never trained on, never chosen on.

Families, each framed as the service frames a drawing (trainer/artifact/framing.py):
- scribbles: a pen wandering at random, turning sharply (not the trainer's strokes);
- letters: handwriting-style fonts from Debian's font packages, the letters that no
  digit looks like (O, I, l, S, Z, B, b, G, g, q and their kin are left out);
- shapes: polygons, stars, crosses and arrows, outlined or filled (no circles: a
  circle is a 0);
- dots: a single dot, which the MNIST recipe blows up to a disc (the trainer's blobs
  include dots too: this family is not held out, it is the page's case);
and, as they come, 28x28: uniform noise, and Fashion-MNIST's test images (Debian's
dataset-fashion-mnist), which is kept out of training and out of every choice.

`split="dev"` and `split="final"` draw from other seeds and, for letters, other fonts:
the development of the trainer looked at "dev" only.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from trainer.artifact import SIDE
from trainer.artifact.framing import frame

CANVAS = SIDE * 4
INK = 64.0
LETTERS = "ACEFHJKLMNPRTUVWXYacdefhkmnprtuvwxy"
FONT_ROOT = Path("/usr/share/fonts")
FONTS = {  # Debian packages fonts-humor-sans, -comic-neue, -dkg-handwriting, -breip, ...
    "dev": ("truetype/humor-sans/Humor-Sans.ttf", "opentype/comic-neue/ComicNeue-Regular.otf",
            "truetype/fifthhorseman/dkg.ttf", "truetype/breip/Breip.ttf"),
    "final": ("truetype/femkeklaver/femkeklaver.ttf", "truetype/kristi/Kristi.ttf",
              "opentype/dancingscript/DancingScript-Regular.otf",
              "opentype/kaushanscript/KaushanScript-Regular.otf",
              "truetype/klee/KleeOne-Regular.ttf", "opentype/bwht/BecauseWeLearn-Regular.otf"),
}
SEEDS = {"dev": 101, "final": 202}
FASHION = Path("/usr/share/datasets/fashion-mnist")


def _canvas():
    image = Image.new("L", (CANVAS, CANVAS), 0)
    return image, ImageDraw.Draw(image)


def _framed(image: Image.Image) -> np.ndarray:
    small = image.resize((SIDE * 2, SIDE * 2), Image.Resampling.BOX)
    return frame(np.asarray(small, dtype=np.float32), INK)


def scribble(rng) -> np.ndarray:
    """A random walk of 12 to 40 steps, each turning by up to 150 degrees."""
    point, heading = rng.uniform(CANVAS * 0.3, CANVAS * 0.7, 2), rng.uniform(0, 2 * np.pi)
    path = [tuple(point)]
    for _ in range(rng.integers(12, 41)):
        heading += rng.uniform(-2.6, 2.6)
        point = np.clip(point + rng.uniform(6, 18) * np.array([np.cos(heading),
                                                               np.sin(heading)]), 4, CANVAS - 4)
        path.append(tuple(point))
    image, draw = _canvas()
    draw.line(path, fill=255, width=int(rng.integers(5, 12)), joint="curve")
    return _framed(image)


def letter(rng, fonts: list) -> np.ndarray:
    font = fonts[rng.integers(len(fonts))]
    image, draw = _canvas()
    draw.text((CANVAS / 2, CANVAS / 2), LETTERS[rng.integers(len(LETTERS))], fill=255,
              font=font, anchor="mm")
    return _framed(image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR))


def shape(rng) -> np.ndarray:
    """A triangle to hexagon, a star, a cross or an arrow; outlined or filled."""
    kind, centre = rng.integers(4), np.array([CANVAS / 2, CANVAS / 2])
    turn, r = rng.uniform(0, 2 * np.pi), CANVAS * rng.uniform(0.25, 0.4)
    if kind == 0:
        angles = turn + np.linspace(0, 2 * np.pi, int(rng.integers(3, 7)), endpoint=False)
        radii = np.full(len(angles), r)
    elif kind == 1:
        angles = turn + np.linspace(0, 2 * np.pi, 10, endpoint=False)
        radii = np.where(np.arange(10) % 2, r * 0.4, r)
    else:
        arms = [(0, 0.25), (1, 0.25), (1, -0.25), (0, -0.25)] if kind == 2 else \
            [(-1, 0.2), (0.3, 0.2), (0.3, 0.5), (1, 0), (0.3, -0.5), (0.3, -0.2), (-1, -0.2)]
        pts = np.array(arms) * r if kind == 3 else _cross(np.array(arms) * r)
        angles, radii = np.arctan2(pts[:, 1], pts[:, 0]) + turn, np.hypot(pts[:, 0], pts[:, 1])
    corners = [tuple(centre + rho * np.array([np.cos(a), np.sin(a)]))
               for a, rho in zip(angles, radii, strict=True)]
    image, draw = _canvas()
    if rng.random() < 0.5:
        draw.polygon(corners, fill=255)
    else:
        draw.line([*corners, corners[0]], fill=255, width=int(rng.integers(5, 12)))
    return _framed(image)


def _cross(arm: np.ndarray) -> np.ndarray:
    """A plus sign's outline from one arm's (x, y) corners, turned four times."""
    turns = [np.array([[np.cos(q), -np.sin(q)], [np.sin(q), np.cos(q)]])
             for q in np.arange(4) * np.pi / 2]
    return np.concatenate([arm @ t.T for t in turns])


def dot(rng) -> np.ndarray:
    image, draw = _canvas()
    (x, y), r = rng.uniform(CANVAS * 0.2, CANVAS * 0.8, 2), rng.uniform(3, 10)
    draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return _framed(image)


def families(n: int, split: str) -> dict[str, np.ndarray]:
    """{family: float32 (n, 28, 28) on 0..255}; letters and fashion-mnist only where
    their Debian packages are installed."""
    rng = np.random.default_rng(SEEDS[split])
    out = {"scribbles": np.stack([scribble(rng) for _ in range(n)]),
           "shapes": np.stack([shape(rng) for _ in range(n)]),
           "dots": np.stack([dot(rng) for _ in range(n)]),
           "uniform noise": rng.integers(0, 256, (n, SIDE, SIDE)).astype(np.float32)}
    fonts = [ImageFont.truetype(str(FONT_ROOT / f), 96) for f in FONTS[split]
             if (FONT_ROOT / f).exists()]
    if fonts:
        out["letters in handwriting fonts"] = np.stack([letter(rng, fonts) for _ in range(n)])
    if FASHION.is_dir():
        from trainer.data import idx

        images, _ = idx.load(FASHION, "test", verify=False, dataset="fashion-mnist")
        half = len(images) // 2  # dev and final look at different halves
        part = images[:half] if split == "dev" else images[half:]
        out["fashion-mnist"] = part[rng.choice(len(part), n, replace=False)].astype(np.float32)
    return out
