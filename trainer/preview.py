"""`python -m trainer augment-preview`: a PNG grid of what distorted training looks like.

Each row is one training digit: the original in the first column, then fresh
distortions of it drawn with the trainer's defaults (or the options given).
"""

from pathlib import Path

import numpy as np
from PIL import Image

from trainer import augment, data
from trainer.inference import as_inputs

SCALE = 3  # screen pixels per MNIST pixel
GAP = 2


def grid(images: np.ndarray, distortion: augment.Distortion, rng: np.random.Generator,
         per_row: int) -> np.ndarray:
    """uint8 (H, W) mosaic: rows of [original, per_row distortions] of each image."""
    x = as_inputs(images).reshape(images.shape)
    tiles = [np.repeat(x[:, None], per_row + 1, axis=1)]
    tiles[0][:, 1:] = augment.distort(
        np.repeat(x, per_row, axis=0), rng, distortion).reshape(len(x), per_row, 28, 28)
    cells = tiles[0]
    side = 28 + GAP
    mosaic = np.full((len(x) * side + GAP, (per_row + 1) * side + GAP), 0.25, np.float32)
    for r in range(len(x)):
        for c in range(per_row + 1):
            mosaic[GAP + r * side:GAP + r * side + 28, GAP + c * side:GAP + c * side + 28] = \
                cells[r, c]
    return np.rint(mosaic * 255).astype(np.uint8)


def main(out: Path, data_dir, distortion: augment.Distortion, *, seed: int, rows: int,
         per_row: int) -> Path:
    images, _ = data.load(Path(data_dir), "train")
    rng = np.random.default_rng(seed)
    picked = images[rng.choice(len(images), size=rows, replace=False)]
    mosaic = grid(picked, distortion, rng, per_row)
    image = Image.fromarray(mosaic).resize((mosaic.shape[1] * SCALE, mosaic.shape[0] * SCALE),
                                           Image.Resampling.NEAREST)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    return out
