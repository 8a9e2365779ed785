"""Test digits as phone photos of ink on paper, read through the service's own path.

Each MNIST digit (uint8 28x28, white on black) is drawn in dark ink about 200 px tall
on a larger sheet, lit, blurred, given sensor noise and saved as JPEG quality 70.
Every variation (paper tone, ink, stroke width, slant, position, rules, light, desk,
noise, blur) is drawn from the generator passed in, so a seed fixes every photo.
The tuned conditions come first; HELD_OUT are variations of each that no parameter of
the service's recipe was tuned on.
"""

import io

import numpy as np
from PIL import Image, ImageFilter

from trainer.artifact import recipe
from trainer.artifact.inference import as_inputs
from trainer.artifact.recipe import picture
from trainer.eval import scores

CONDITIONS = ("even", "shadow", "desk", "ruled", "squared", "blue")
# One unseen variation of each: grey paper, a deeper shadow, a near-black desk,
# red rules, a denser and darker grid, red ballpoint.
HELD_OUT = ("grey paper", "deep shadow", "dark desk", "red rules", "dense squares", "red ink")
JPEG_QUALITY = 70
_INK = {"blue": ((20, 60), (30, 75), (110, 170)), "red ink": ((150, 200), (20, 50), (30, 60))}
# (line spacing px range, squared, line colour as a transmittance per channel)
_RULES = {"ruled": ((22, 34), False, (0.72, 0.85, 0.97)),
          "red rules": ((22, 34), False, (1.0, 0.7, 0.72)),
          "squared": ((18, 28), True, (0.75, 0.8, 0.9)),
          "dense squares": ((12, 17), True, (0.6, 0.62, 0.66))}
_SHADOW = {"shadow": 0.4, "deep shadow": 0.2}
_DESK = {"desk": ((80, 150), (55, 110), (35, 80)), "dark desk": ((15, 45), (15, 45), (20, 55))}


def photo(digit: np.ndarray, condition: str, rng: np.random.Generator) -> bytes:
    """uint8 (28, 28) white-on-black digit -> JPEG bytes of an RGB photo (400-560 px a side)."""
    if condition not in CONDITIONS + HELD_OUT:
        raise ValueError(f"unknown condition {condition!r}; use one of {CONDITIONS + HELD_OUT}")
    h, w = (int(v) for v in rng.integers(400, 561, size=2))
    sheet, (top, left, bottom, right) = _sheet((h, w), condition, rng)
    ink = _strokes(digit, rng)
    y = int(rng.integers(top + 8, max(top + 9, bottom - ink.shape[0] - 8)))
    x = int(rng.integers(left + 8, max(left + 9, right - ink.shape[1] - 8)))
    under = sheet[y:y + ink.shape[0], x:x + ink.shape[1]]  # a view: inked in place
    cover = ink[:under.shape[0], :under.shape[1], None]
    under += (_ink_colour(condition, rng) - under) * cover
    sheet *= _light((h, w), condition, rng)[..., None]
    return _camera(sheet, rng)


def _strokes(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (28, 28) -> float32 (h, w) ink cover 0..1: upscaled ~8x, pen-sharp, slanted."""
    side = int(28 * rng.uniform(8.0, 10.5))  # the 20-px MNIST digit becomes 160-210 px
    big = Image.fromarray(digit.astype(np.float32)).resize((side, side), Image.Resampling.BICUBIC)
    big = big.rotate(float(rng.uniform(-6, 6)), Image.Resampling.BILINEAR, expand=True)
    # A pen's edge is sharp where the upscaled MNIST edge is soft; `low` sets the stroke width.
    low = rng.uniform(0.2, 0.45)
    return np.clip((np.asarray(big) / 255 - low) / 0.25, 0, 1).astype(np.float32)


def _sheet(shape, condition: str, rng: np.random.Generator):
    """float32 (h, w, 3) reflectance 0..1 of paper (and desk), and the paper's box."""
    h, w = shape
    level = rng.uniform(0.5, 0.63) if condition == "grey paper" else rng.uniform(0.75, 0.96)
    tint = np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.88, 1.0)], dtype=np.float32)
    sheet = np.broadcast_to(np.float32(level) * tint, (h, w, 3)).copy()
    if condition in _RULES:
        sheet *= _rules(shape, condition, rng)
    box = (0, 0, h, w)
    if condition in _DESK:
        box = _desk(sheet, condition, rng)
    return sheet, box


def _rules(shape, condition: str, rng: np.random.Generator) -> np.ndarray:
    """float32 (h, w, 3) transmittance of thin ruled lines (and columns when squared)."""
    (low, high), squared, colour = _RULES[condition]
    h, w = shape
    gap = rng.uniform(low, high)
    width = rng.uniform(1.0, 2.2)
    tilt = np.tan(np.deg2rad(rng.uniform(-0.6, 0.6)))
    ys, xs = _grid(h, w)
    cover = _line_cover(ys - tilt * xs - rng.uniform(0, gap), gap, width)
    if squared:
        cover = np.maximum(cover, _line_cover(xs + tilt * ys - rng.uniform(0, gap), gap, width))
    strength = rng.uniform(0.6, 1.0)
    line = 1 - strength * (1 - np.asarray(colour, dtype=np.float32))
    return 1 - cover[..., None] * (1 - line)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """float32 (h, 1) row and (1, w) column coordinates, broadcasting to (h, w)."""
    return (np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :])


def _line_cover(offset: np.ndarray, gap: float, width: float) -> np.ndarray:
    """Anti-aliased cover 0..1 of lines `width` px thick every `gap` px along `offset`."""
    distance = np.abs((offset + gap / 2) % gap - gap / 2)
    return np.clip(width / 2 + 0.5 - distance, 0, 1)


def _desk(sheet: np.ndarray, condition: str, rng: np.random.Generator) -> tuple:
    """Paint a (wood-grained) desk along two adjacent edges of `sheet`; the paper's box."""
    h, w = sheet.shape[:2]
    dy, dx = (int(f * n) for f, n in zip(rng.uniform(0.06, 0.22, 2), (h, w), strict=True))
    from_top, from_left = rng.integers(0, 2, size=2).astype(bool)
    ys, xs = _grid(h, w)
    lean = np.tan(np.deg2rad(rng.uniform(-3, 3, 2)))
    across = ys - lean[0] * xs if from_top else (h - 1 - ys) + lean[0] * xs
    along = xs - lean[1] * ys if from_left else (w - 1 - xs) + lean[1] * ys
    desk = (across < dy) | (along < dx)
    colour = np.array([rng.uniform(*r) for r in _DESK[condition]], dtype=np.float32) / 255
    grain = 1 + 0.08 * np.sin(ys * rng.uniform(0.05, 0.3) + rng.uniform(0, 6))
    grain = grain + rng.normal(0, 0.03, (h, 1))  # streaks along the wood
    sheet[desk] = (colour * np.broadcast_to(grain, (h, w))[..., None])[desk]
    top, bottom = (dy, h) if from_top else (0, h - dy)
    left, right = (dx, w) if from_left else (0, w - dx)
    margin = int(np.ceil(np.tan(np.deg2rad(3)) * max(h, w)))  # the leaning edge
    return top + margin, left + margin, bottom - margin, right - margin


def _ink_colour(condition: str, rng: np.random.Generator) -> np.ndarray:
    """float32 (3,) reflectance of the ink: near black, or a ballpoint's blue or red."""
    if condition in _INK:
        return np.array([rng.uniform(*r) for r in _INK[condition]], dtype=np.float32) / 255
    return np.full(3, rng.uniform(10, 70) / 255, dtype=np.float32)


def _light(shape, condition: str, rng: np.random.Generator) -> np.ndarray:
    """float32 (h, w): the light falling on the scene, 0..~1.1."""
    h, w = shape
    ys, xs = _grid(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    along = np.cos(angle) * xs / w + np.sin(angle) * ys / h
    along = (along - along.min()) / max(float(np.ptp(along)), 1e-6)  # 0..1 across the sheet
    bright = rng.uniform(0.85, 1.1)
    darkest = _SHADOW.get(condition, rng.uniform(0.85, 1.0))
    return (np.float32(bright) * (1 - (1 - np.float32(darkest)) * along)).astype(np.float32)


def _camera(lit: np.ndarray, rng: np.random.Generator) -> bytes:
    """float32 (h, w, 3) radiance 0..~1 -> JPEG bytes, with lens blur and sensor noise."""
    im = Image.fromarray(np.clip(lit * 255, 0, 255).astype(np.uint8))
    im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.6))))
    # Mostly luminance noise, as a phone's denoiser leaves it; one draw per pixel is cheaper.
    sigma = np.float32(rng.uniform(2, 6))
    noise = rng.standard_normal((*lit.shape[:2], 1), dtype=np.float32) * sigma
    noisy = np.asarray(im, dtype=np.float32) + noise
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG",
                                                                 quality=JPEG_QUALITY)
    return out.getvalue()


def table(models: dict, images: np.ndarray, labels: np.ndarray, conditions=CONDITIONS,
          seed: int = 0, *, read=None) -> dict:
    """{condition: {model name: accuracy}} on uint8 test digits (N, 28, 28) made photos.

    Each condition's photos come from np.random.default_rng([seed, its index in
    `conditions`]). `read` turns one photo's bytes into float32 (28, 28) pixels, or None
    when it finds no digit (a misread); by default the service's /predict?normalize=mnist
    path (image_pixels).
    """
    if read is None:
        read = _recipe_reader
    out = {}
    for index, condition in enumerate(conditions):
        rng = np.random.default_rng([seed, index])
        pixels, found = _read_all(images, condition, rng, read)
        x = as_inputs(pixels)
        out[condition] = {
            name: float(np.mean(found & (scores.predicted(model.probabilities, x) == labels)))
            for name, model in models.items()}
    return out


def _recipe_reader(blob: bytes) -> np.ndarray | None:
    """The service's ?normalize=mnist path for a JPEG photo (trainer/artifact/recipe/),
    or None where it finds no digit."""
    try:
        return picture.read(blob)
    except recipe.NoDigit:
        return None


def _read_all(images, condition, rng, read) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 28, 28) pixels (zeros where refused) and bool (N,) found."""
    pixels = np.zeros(images.shape, dtype=np.float32)
    found = np.zeros(len(images), dtype=bool)
    for i, digit in enumerate(images):
        seen = read(photo(digit, condition, rng))
        if seen is not None:
            pixels[i], found[i] = seen, True
    return pixels, found


def report(result: dict) -> str:
    """A Markdown table: one row per condition, one column per model."""
    return scores.table("photo", result, "{:.4f}")
