"""Inputs the trainer never saw and no choice was made on, to measure the verdict:

- drawn.py: non-digits drawn with Pillow's primitives and fonts (scribbles, shapes,
  dots, letters in handwriting fonts), uniform noise and Fashion-MNIST;
- pen.py: doodles of code of their own, and Hershey's cursive hands and symbol sets;
- digits.py: real digits that are not MNIST's (low-resolution scans, typed digits).

`split="dev"` and `split="final"` draw from other seeds, fonts and halves: the
trainer's development looked at "dev" only; the tables are "final"'s.
"""

import numpy as np

from trainer.eval.heldout import digits, drawn, pen


def families(n: int, split: str = "dev") -> dict[str, np.ndarray]:
    """{family: float32 (n, 28, 28) on 0..255}, the non-digits of drawn.py and pen.py."""
    return {**drawn.families(n, split), **pen.families(n, split)}


def real_digits(n: int, split: str = "dev") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """digits.kinds: {kind: (pixels (N, 28, 28), labels (N,), -1 where no digit found)}."""
    return digits.kinds(n, split)
