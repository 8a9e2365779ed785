"""The pair network's interface: one candidate of /read that holds two touching or
overlapping digits, read as the pair it is (issue 27), beside the digit network.

A pair is framed as MNIST frames a digit, but in a field twice as wide: fitted into a
box BOX tall and at most BOX_WIDE wide (aspect kept, Lanczos), centred by mass in a
HEIGHT x WIDTH field, so that both digits keep the resolution of one. The network has
101 outputs: the pairs "00" to "99", then NOT_A_PAIR (a single digit, a fragment, three
digits, anything else). It ships in the digit network's artifact (store.py, under the
manifest's "pair") and is used by /read alone: /predict, V2, ONNX and Triton serve the
digit network.
"""

import numpy as np

from trainer.artifact import SIDE, framing
from trainer.artifact.framing import BOX

HEIGHT, WIDTH = SIDE, 2 * SIDE  # the field, pixels
PIXELS = HEIGHT * WIDTH  # the pair network's input width
BOX_WIDE = 2 * BOX + 8  # a pair is fitted at most this wide
NOT_A_PAIR = 100  # the output after the hundred pairs
LABELS = (*(f"{a}{b}" for a in range(10) for b in range(10)), "none")
INPUT_SPEC = {"shape": [HEIGHT, WIDTH], "color": "grayscale", "dtype": "float32",
              "scale": "pixel / 255", "framing": "fitted into 20 tall and at most 48 wide, "
              "centred by mass"}


def frame(ink: np.ndarray, threshold: float) -> np.ndarray:
    """float32 (H, W) ink on black 0..255 -> float32 (28, 56) integer values 0..255,
    the box being that of the pixels at `threshold` or more (NoInk when none are):
    framing.frame in the pair's field."""
    return framing.frame(ink, threshold, (HEIGHT, WIDTH), BOX_WIDE)


def best_pairs(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (B, 101) the pair network's softmax -> (int (B,) the likeliest pair,
    0..99, its tens digit first; float32 (B,) its probability)."""
    pairs = probabilities[:, :NOT_A_PAIR]
    best = pairs.argmax(axis=1)
    return best, pairs[np.arange(len(pairs)), best]
