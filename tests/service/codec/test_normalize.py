"""The MNIST recipe (?normalize=mnist): geometry checked exactly, labels with models/default."""

import io

import numpy as np
import pytest
from PIL import Image

from service import create_app
from service.codec import images, normalize
from service.codec.predict import image_pixels
from service.errors import Unprocessable
from tests.resources.make_resources import draw_digit
from tests.service._fixtures import (
    RESOURCES,
    assert_predictions,
    default_model_dir,
    encode,
    post_image,
)

# File name starts with the digit drawn in it (tests/resources/make_resources.py).
DIGIT_FILES = ["7_transparent.png", "4_transparent.png", "1_photo.jpg", "3_photo.jpg",
               "0_grey.png", "2_palette.gif", "8_white_on_black.bmp"]


def load_gray(name: str) -> np.ndarray:
    im = images.decode_image((RESOURCES / name).read_bytes(), 1 << 24, exact_side=None)
    return images.to_gray(im, background=255.0)


def centre_of_mass(field: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(field.shape) + 0.5
    return (ys * field).sum() / field.sum(), (xs * field).sum() / field.sum()


def test_bar_is_fitted_into_20_and_centred():
    # A dark 60x20 bar on white: tall, so its height becomes 20 and its width 20/3.
    gray = np.full((200, 300), 250, dtype=np.float32)
    gray[50:110, 100:120] = 10
    out = normalize.mnist(gray)
    assert out.shape == (28, 28) and out.dtype == np.float32
    rows = np.flatnonzero(out.max(axis=1) > 0)
    cols = np.flatnonzero(out.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == 20
    assert 6 <= cols[-1] - cols[0] + 1 <= 9  # 7 wide, plus Lanczos' fringe
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert out.max() == 255 and np.all(out == np.rint(out))


def test_polarity_is_detected_from_the_border():
    gray = np.zeros((100, 100), dtype=np.float32)
    gray[20:80, 45:55] = 255
    white_on_black = normalize.mnist(gray)
    black_on_white = normalize.mnist(255 - gray)
    np.testing.assert_array_equal(white_on_black, black_on_white)
    assert white_on_black[0, 0] == 0 and white_on_black.max() == 255


def test_off_centre_mass_is_clamped_inside_the_field():
    # An L shape whose mass sits in one corner: shifting fully would cut ink off.
    gray = np.zeros((100, 100), dtype=np.float32)
    gray[10:90, 10:90] = 0
    gray[10:90, 10:20] = 255
    gray[80:90, 10:90] = 255
    out = normalize.mnist(gray)
    assert out.sum() > 0
    assert np.count_nonzero(out.max(axis=1) > 0) == 20
    assert np.count_nonzero(out.max(axis=0) > 0) == 20


@pytest.mark.parametrize("level", [0, 128, 255])
def test_flat_images_have_no_digit(level):
    with pytest.raises(Unprocessable, match="no digit found"):
        normalize.mnist(np.full((50, 40), level, dtype=np.float32))


def test_faint_smudge_is_not_a_digit():
    gray = np.full((60, 60), 200, dtype=np.float32)
    gray[20:40, 25:35] = 180  # 20 levels of contrast, under MIN_CONTRAST
    with pytest.raises(Unprocessable, match="no digit found"):
        normalize.mnist(gray)


def test_mnist_style_input_is_nearly_unchanged():
    """An already-normalized digit goes through the recipe close to itself."""
    field = np.zeros((28, 28), dtype=np.float32)
    field[4:24, 12:16] = 255  # a '1': 20 tall, centred
    out = normalize.mnist(field)
    assert np.abs(out - field).max() <= 255 * 0.2
    assert np.corrcoef(out.ravel(), field.ravel())[0, 1] > 0.95


def test_transparent_png_is_composited_onto_white():
    gray = load_gray("7_transparent.png")
    assert gray[0, 0] == 255 and gray.min() == 0  # transparent paper, black ink


def test_resources_decode_to_a_single_centred_digit():
    for name in DIGIT_FILES:
        out = image_pixels((RESOURCES / name).read_bytes(), 1 << 24, True)
        cy, cx = centre_of_mass(out)
        assert abs(cy - 14) < 1.5 and abs(cx - 14) < 1.5, name
        rows = np.count_nonzero(out.max(axis=1) > 0)
        cols = np.count_nonzero(out.max(axis=0) > 0)
        assert max(rows, cols) == 20 and min(rows, cols) >= 3, (name, rows, cols)


def large_photo() -> bytes:
    """A 7 in dark ink on a 2400x2400 white page, as a phone would send it (JPEG)."""
    return encode(draw_digit(7, ink=30, paper=235, size=(2400, 2400)).convert("RGB"), "JPEG",
                  quality=90)


def test_large_photo_is_reduced_before_the_recipe():
    out = image_pixels(large_photo(), 4096 * 4096, normalize_mnist=True)
    assert out.shape == (28, 28)
    assert np.count_nonzero(out.max(axis=1) > 0) == 20


def test_resources_are_recognised_by_the_default_model():
    app = create_app({"MODEL_DIR": str(default_model_dir()), "TESTING": True})
    client = app.test_client()
    misread = {}
    samples = {name: (RESOURCES / name).read_bytes() for name in DIGIT_FILES}
    samples["7_large_photo.jpg"] = large_photo()
    for name, data in samples.items():
        mime = f"image/{Image.open(io.BytesIO(data)).format.lower()}"
        (pred,) = assert_predictions(post_image(client, data, mime, query="?normalize=mnist"), 1)
        if pred["label"] != int(name[0]):
            misread[name] = pred["label"]
    assert misread == {}
