"""Phone photos of MNIST digits (trainer/eval/photos.py), read through the real app.

The recipe's parameters were tuned on test digits 0-4999; these photos use digits
from 9000 on and seeds the tuning never saw.
"""

import io

import numpy as np
import pytest
from PIL import Image

from service import create_app
from service.codec.predict import image_pixels
from tests.service._fixtures import assert_predictions, default_model_dir, post_image
from trainer.artifact.recipe import picture
from trainer.eval import photos

PER_CONDITION = 100
FIRST_DIGIT = 9000
SEED = 1919
WANTED = 0.98


@pytest.mark.parametrize("condition", photos.CONDITIONS + photos.HELD_OUT)
def test_each_condition_makes_a_jpeg_photo(mnist_test, condition):
    images, _ = mnist_test
    blob = photos.photo(images[0], condition, np.random.default_rng(5))
    im = Image.open(io.BytesIO(blob))
    assert im.format == "JPEG" and im.mode == "RGB"
    assert min(im.size) >= 400 and max(im.size) <= 560
    pixels = np.asarray(im, dtype=np.float32)
    assert pixels.min() < 100 < pixels.max()  # dark ink on lighter paper


def test_a_seed_fixes_every_photo(mnist_test):
    images, _ = mnist_test

    def shoot(seed: int) -> list[bytes]:
        rng = np.random.default_rng(seed)
        return [photos.photo(images[1], c, rng) for c in ("desk", "ruled", "shadow")]
    assert shoot(3) == shoot(3)
    assert shoot(3) != shoot(4)


def test_unknown_condition_is_refused():
    with pytest.raises(ValueError, match="unknown condition 'foggy'"):
        photos.photo(np.zeros((28, 28), np.uint8), "foggy", np.random.default_rng(0))


@pytest.fixture(scope="module")
def client():
    return create_app({"MODEL_DIR": str(default_model_dir()), "TESTING": True}).test_client()


@pytest.mark.parametrize("condition", photos.CONDITIONS)
def test_the_shipped_model_reads_photos(client, mnist_test, condition):
    images, labels = mnist_test
    index = photos.CONDITIONS.index(condition)
    rng = np.random.default_rng([SEED, index])
    digits = range(FIRST_DIGIT + index * PER_CONDITION, FIRST_DIGIT + (index + 1) * PER_CONDITION)
    misread = {}
    for i in digits:
        blob = photos.photo(images[i], condition, rng)
        resp = post_image(client, blob, "image/jpeg", query="?normalize=mnist")
        (pred,) = assert_predictions(resp, 1)
        if pred["label"] != labels[i]:
            misread[i] = pred["label"]
    assert 1 - len(misread) / PER_CONDITION >= WANTED, misread


def test_table_and_report(mnist_test):
    images, labels = mnist_test

    class Constant:
        """A model that always says 7."""

        def probabilities(self, x):
            return np.eye(10, dtype=np.float32)[np.full(len(x), 7)]
    result = photos.table({"sevens": Constant()}, images[:4], labels[:4], ("even", "blue"), 0)
    share = float(np.mean(labels[:4] == 7))
    assert result == {"even": {"sevens": share}, "blue": {"sevens": share}}
    assert photos.report(result).splitlines()[:3] == [
        "| photo | sevens |", "|---|---|", f"| even | {share:.4f} |"]


def _png_with_alpha(digit: np.ndarray) -> bytes:
    """A dark digit on transparent paper, 3x MNIST's size."""
    ink = Image.fromarray(digit).resize((84, 84), Image.Resampling.BILINEAR)
    rgba = Image.new("RGBA", (84, 84), (0, 0, 0, 0))
    rgba.putalpha(ink)
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    return out.getvalue()


def test_the_trainers_reader_sees_what_the_service_sees(mnist_test):
    """trainer/artifact/recipe/picture.read, which the photo table and folders of images
    go through, against the service's own ?normalize=mnist decoding: identical pixels."""
    images, _ = mnist_test
    rng = np.random.default_rng(77)
    blobs = [photos.photo(images[i], c, rng) for i, c in enumerate(photos.CONDITIONS)]
    blobs += [_png_with_alpha(images[i]) for i in range(3)]
    for blob in blobs:
        np.testing.assert_array_equal(picture.read(blob),
                                      image_pixels(blob, 4096 * 4096, normalize_mnist=True))
