"""`python -m trainer augment-preview`: a PNG grid of what distorted training looks like.

Each row is one training digit: the original in the first column, then fresh
distortions of it drawn with the trainer's defaults (or the options given).
"""

from pathlib import Path

import numpy as np
from PIL import Image

from trainer.artifact import SIDE
from trainer.artifact.inference import as_inputs
from trainer.data import augment, idx

SCALE = 3  # screen pixels per MNIST pixel
GAP = 2


def grid(images: np.ndarray, distortion: augment.Distortion, rng: np.random.Generator,
         per_row: int) -> np.ndarray:
    """uint8 (H, W) mosaic: rows of [original, per_row distortions] of each image."""
    x = as_inputs(images).reshape(images.shape)
    cells = np.repeat(x[:, None], per_row + 1, axis=1)
    cells[:, 1:] = augment.distort(
        np.repeat(x, per_row, axis=0), rng, distortion).reshape(len(x), per_row, SIDE, SIDE)
    step = SIDE + GAP
    mosaic = np.full((len(x) * step + GAP, (per_row + 1) * step + GAP), 0.25, np.float32)
    for r in range(len(x)):
        for c in range(per_row + 1):
            top, left = GAP + r * step, GAP + c * step
            mosaic[top:top + SIDE, left:left + SIDE] = cells[r, c]
    return np.rint(mosaic * 255).astype(np.uint8)


def write(out: Path, data_dir, distortion: augment.Distortion, *, seed: int, rows: int,
          per_row: int) -> Path:
    """Draw `rows` random training digits with `per_row` distortions each into `out`."""
    images, _ = idx.load(Path(data_dir), "train")
    rng = np.random.default_rng(seed)
    picked = images[rng.choice(len(images), size=rows, replace=False)]
    mosaic = grid(picked, distortion, rng, per_row)
    image = Image.fromarray(mosaic).resize((mosaic.shape[1] * SCALE, mosaic.shape[0] * SCALE),
                                           Image.Resampling.NEAREST)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    return out
