"""The MNIST recipe at the service's edge (?normalize=mnist and /read).

The recipe itself lives in the artifact kernel (trainer/artifact/recipe/), where the
trainer's evaluation and its folders of images use it too; here its NoDigit becomes
the service's 422 (code no_digit).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from service.errors import Unprocessable
from trainer.artifact import recipe
from trainer.artifact.recipe import ink


@contextmanager
def no_digit_is_unprocessable() -> Iterator[None]:
    """Turns the recipe's NoDigit into the 422 a client gets, message unchanged."""
    try:
        yield
    except recipe.NoDigit as e:
        raise Unprocessable(str(e), code="no_digit") from e


def mnist(pixels: np.ndarray) -> np.ndarray:
    """recipe.mnist: float32 (H, W) or (H, W, 3) on 0..255 -> float32 (28, 28) 0..255;
    raises Unprocessable (code no_digit) when there is no digit."""
    with no_digit_is_unprocessable():
        return recipe.mnist(pixels)


def on_sheet(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """recipe.ink.on_sheet, raising Unprocessable (code no_digit) where it finds no ink."""
    with no_digit_is_unprocessable():
        return ink.on_sheet(pixels)
