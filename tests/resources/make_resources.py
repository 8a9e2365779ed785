"""Draw the small "real-world" digit images in tests/resources (run from the repo root).

    python tests/resources/make_resources.py

Each is a digit drawn with thick strokes the way a person would write it, saved
in a different way a client might send it: transparent PNG, colour JPEG photo,
palette GIF, grey PNG, white-on-black BMP. The expected label is the number at
the start of the file name. `blank.png` has no digit at all.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
CANVAS = 200
STROKE = 18

# Polylines and ellipses on a 200x200 canvas, roughly where a hand would put them.
STROKES = {
    0: [("ellipse", (58, 28, 142, 172))],
    1: [("line", [(82, 58), (108, 28), (108, 174)])],
    2: [("arc", (55, 25, 145, 105), 180, 40), ("line", [(136, 82), (58, 172), (150, 172)])],
    3: [("arc", (60, 25, 140, 100), 200, 90), ("arc", (55, 95, 145, 175), 270, 160)],
    4: [("line", [(118, 28), (50, 125), (158, 125)]), ("line", [(122, 70), (122, 176)])],
    7: [("line", [(48, 36), (152, 36), (88, 176)])],
    8: [("ellipse", (66, 24, 134, 96)), ("ellipse", (58, 92, 142, 176))],
}


def draw_digit(digit: int, ink: int = 255, paper: int = 0, size=(CANVAS, CANVAS)) -> Image.Image:
    """An 'L' image of `digit` in `ink` on `paper`, strokes scaled to `size`."""
    big = Image.new("L", (CANVAS, CANVAS), paper)
    pen = ImageDraw.Draw(big)
    for shape, *args in STROKES[digit]:
        if shape == "line":
            pen.line(args[0], fill=ink, width=STROKE, joint="curve")
        elif shape == "ellipse":
            pen.ellipse(args[0], outline=ink, width=STROKE)
        else:
            box, start, end = args
            pen.arc(box, start, end, fill=ink, width=STROKE)
    return big.resize(size, Image.Resampling.LANCZOS)


def transparent_png(digit: int) -> Image.Image:
    """Black ink, transparent paper: only alpha carries the digit."""
    alpha = draw_digit(digit)
    black = Image.new("L", alpha.size, 0)
    return Image.merge("LA", (black, alpha)).convert("RGBA")


def colour_photo(digit: int, rng: np.random.Generator) -> Image.Image:
    """Blue ballpoint on cream paper, uneven light and sensor noise, 180x240."""
    mask = np.asarray(draw_digit(digit, size=(180, 240)).filter(ImageFilter.GaussianBlur(1.5)),
                      dtype=np.float32)[..., None] / 255
    paper = np.array([236, 228, 200], dtype=np.float32)
    ink = np.array([30, 40, 140], dtype=np.float32)
    light = np.linspace(0.85, 1.0, 180, dtype=np.float32)[None, :, None]
    rgb = (paper * (1 - mask) + ink * mask) * light + rng.normal(0, 6, (240, 180, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def build() -> dict[str, tuple[Image.Image, dict]]:
    rng = np.random.default_rng(20)
    return {
        "7_transparent.png": (transparent_png(7), {}),
        "4_transparent.png": (transparent_png(4), {}),
        "1_photo.jpg": (colour_photo(1, rng), {"quality": 85}),
        "3_photo.jpg": (colour_photo(3, rng), {"quality": 85}),
        "0_grey.png": (draw_digit(0, ink=40, paper=210), {}),
        "2_palette.gif": (draw_digit(2, ink=0, paper=255, size=(150, 150)).convert("P"), {}),
        "8_white_on_black.bmp": (draw_digit(8, size=(120, 160)), {}),
        "blank.png": (Image.new("RGB", (120, 120), (250, 250, 250)), {}),
    }


def main() -> None:
    for name, (image, params) in build().items():
        image.save(HERE / name, **params)
        print(f"wrote {HERE / name} ({(HERE / name).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
