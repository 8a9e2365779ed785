"""A kind of handwriting the shipped model reads badly: the digits of Debian's
fonts-femkeklaver, a hand-drawn font whose digits are outlines (bubble digits), as
photos of dark ink on paper of varied size, slant, weight and placement. The shipped
model labels about two thirds of them right, and reads as digits with the right label
about a third (tests/loop/test_learning_loop.py); a few hundred corrections teach it
the rest. Shared with bench/learning/learning_loop.py."""

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf")
PACKAGE = "fonts-femkeklaver"


def available() -> bool:
    return FONT.is_file()


def digit(d: int, rng: np.random.Generator) -> bytes:
    """One digit `d` as a PNG: ink 0..90 on paper 200..255, any size around 100 px."""
    font = ImageFont.truetype(str(FONT), int(rng.integers(70, 130)))
    side = int(rng.integers(120, 200))
    paper = int(rng.integers(200, 256))
    image = Image.new("L", (side, side), paper)
    centre = (side / 2 + rng.uniform(-15, 15), side / 2 + rng.uniform(-15, 15))
    ImageDraw.Draw(image).text(centre, str(d), fill=int(rng.integers(0, 90)), font=font,
                               anchor="mm", stroke_width=int(rng.integers(0, 3)),
                               stroke_fill=int(rng.integers(0, 90)))
    image = image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR,
                         fillcolor=paper)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def digits(n: int, seed: int) -> tuple[list[bytes], list[int]]:
    """n PNGs, the ten digits in turn, and their labels; other seeds, other images."""
    rng = np.random.default_rng(seed)
    labels = [i % 10 for i in range(n)]
    return [digit(d, rng) for d in labels], labels
