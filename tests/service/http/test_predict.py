"""POST /predict accepts every documented input form and answers the same thing.

The reference is the loaded model's own forward pass on pixels scaled the
trainer's way (`trainer.artifact.inference.as_inputs`): equal bit for bit for a batch of
one, since the same float32 operations run on the same inputs.
"""

import io

import numpy as np
import pytest
from PIL import Image

from tests.service._fixtures import (
    RESOURCES,
    assert_predictions,
    encode,
    png,
    post_files,
    post_image,
    post_json,
    random_digits,
)
from tests.service.conftest import metric_samples
from trainer.artifact.inference import as_inputs


def expected(app, pixels) -> np.ndarray:
    """Probabilities (B, 10) of the served model for raw pixels (B, 28, 28) on 0..255."""
    model = app.extensions["predictor"].model
    return model.probabilities(as_inputs(np.asarray(pixels, dtype=np.float32)))


def got(predictions) -> np.ndarray:
    return np.array([p["probabilities"] for p in predictions], dtype=np.float32)


@pytest.fixture
def digit():
    return random_digits(1, seed=1)[0]


def test_png_body_equals_forward_pass_bit_for_bit(app, client, digit):
    preds = assert_predictions(post_image(client, png(digit)), 1)
    np.testing.assert_array_equal(got(preds), expected(app, digit[None]))
    body = client.post("/predict", data=png(digit), content_type="image/png").get_json()
    version = app.extensions["predictor"].model.version
    assert body["model"] == {"name": "tiny-test", "version": version}


@pytest.mark.parametrize(("fmt", "mime", "params"), [
    ("PNG", "image/png", {}),
    ("BMP", "image/bmp", {}),
    ("GIF", "image/gif", {}),
    ("TIFF", "image/tiff", {}),
    ("WEBP", "image/webp", {"lossless": True}),
])
def test_lossless_formats_give_the_same_answer(app, client, digit, fmt, mime, params):  # noqa: PLR0917
    data = encode(Image.fromarray(digit), fmt, **params)
    preds = assert_predictions(post_image(client, data, mime), 1)
    np.testing.assert_array_equal(got(preds), expected(app, digit[None]))


def test_jpeg_is_read_as_decoded(app, client, digit):
    data = encode(Image.fromarray(digit), "JPEG", quality=90)
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    preds = assert_predictions(post_image(client, data, "image/jpeg"), 1)
    np.testing.assert_array_equal(got(preds), expected(app, decoded[None]))


def test_rgb_is_converted_to_luma(app, client, digit):
    rgb = np.stack([digit, np.roll(digit, 3), 255 - digit], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb)
    preds = assert_predictions(post_image(client, encode(image)), 1)
    luma = np.asarray(image.convert("L"))
    np.testing.assert_array_equal(got(preds), expected(app, luma[None]))


def test_alpha_is_composited_onto_black(app, client, digit):
    alpha = random_digits(1, seed=2)[0]
    rgba = Image.merge("RGBA", [Image.fromarray(digit)] * 3 + [Image.fromarray(alpha)])
    preds = assert_predictions(post_image(client, encode(rgba)), 1)
    composited = digit.astype(np.float32) * alpha / np.float32(255)
    np.testing.assert_allclose(got(preds), expected(app, composited[None]), atol=1e-6)


def test_opaque_alpha_and_la_keep_exact_values(app, client, digit):
    la = Image.merge("LA", [Image.fromarray(digit), Image.new("L", (28, 28), 255)])
    for image in (la, la.convert("RGBA")):
        preds = assert_predictions(post_image(client, encode(image)), 1)
        np.testing.assert_array_equal(got(preds), expected(app, digit[None]))


def test_palette_with_transparency_and_one_bit(app, client):
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[6:22, 12:16] = 255
    one_bit = Image.fromarray(pixels).convert("1")
    preds = assert_predictions(post_image(client, encode(one_bit)), 1)
    np.testing.assert_array_equal(got(preds), expected(app, pixels[None]))
    # A transparent palette entry composites to black like any other alpha.
    palette = Image.fromarray(pixels).convert("P")
    transparent = palette.getpixel((0, 0))
    preds = assert_predictions(post_image(client, encode(palette, transparency=transparent)), 1)
    np.testing.assert_array_equal(got(preds), expected(app, pixels[None]))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_is_rescaled_to_eight(app, client, digit, fmt):
    wide = Image.fromarray(digit.astype(np.uint16) * 257)
    assert wide.mode == "I;16"
    preds = assert_predictions(post_image(client, encode(wide, fmt)), 1)
    np.testing.assert_array_equal(got(preds), expected(app, digit[None]))


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_float_and_32_bit_tiff_on_the_0_255_scale(app, client, digit, dtype):
    image = Image.fromarray(digit.astype(dtype))
    assert image.mode in ("F", "I")
    preds = assert_predictions(post_image(client, encode(image, "TIFF"), "image/tiff"), 1)
    np.testing.assert_array_equal(got(preds), expected(app, digit[None]))


def test_animated_gif_uses_the_first_frame(app, client):
    frames = [Image.fromarray(d) for d in random_digits(3, seed=5)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    preds = assert_predictions(post_image(client, data, "image/gif"), 1)
    first = np.asarray(frames[0])
    np.testing.assert_array_equal(got(preds), expected(app, first[None]))


def test_multipart_batch_answers_in_order(app, client):
    digits = random_digits(6, seed=3)
    preds = assert_predictions(post_files(client, [png(d) for d in digits]), 6)
    want = expected(app, digits)
    np.testing.assert_allclose(got(preds), want, atol=1e-6)
    # Each answer is the one for its own image, not just a permutation of the set.
    for i, d in enumerate(digits):
        np.testing.assert_allclose(got(preds)[i], expected(app, d[None])[0], atol=1e-6)
    assert [p["label"] for p in preds] == [int(k) for k in want.argmax(axis=1)]
    reversed_preds = assert_predictions(post_files(client, [png(d) for d in digits[::-1]]), 6)
    np.testing.assert_allclose(got(reversed_preds), want[::-1], atol=1e-6)


def test_multipart_single_file_is_a_batch_of_one(app, client, digit):
    preds = assert_predictions(post_files(client, [png(digit)]), 1)
    np.testing.assert_array_equal(got(preds), expected(app, digit[None]))


def test_json_flat_and_nested_instances(app, client):
    digits = random_digits(3, seed=4)
    instances = [digits[0].ravel().tolist(), digits[1].tolist(),
                 [float(v) for v in digits[2].ravel()]]
    preds = assert_predictions(post_json(client, {"instances": instances}), 3)
    np.testing.assert_allclose(got(preds), expected(app, digits), atol=1e-6)


def test_json_fractional_values_are_scaled_like_pixels(app, client):
    values = np.linspace(0, 255, 784).reshape(28, 28)
    preds = assert_predictions(post_json(client, {"instances": [values.tolist()]}), 1)
    np.testing.assert_array_equal(got(preds), expected(app, values.astype(np.float32)[None]))


def test_content_type_parameters_are_ignored(client, digit):
    resp = client.post("/predict", data=png(digit), content_type="image/png; name=x.png")
    assert_predictions(resp, 1)
    resp = client.post("/predict", data=b'{"instances": [[' + b",".join([b"0"] * 784) + b"]]}",
                       content_type="application/json; charset=utf-8")
    assert_predictions(resp, 1)


def test_normalize_mnist_accepts_any_size(client):
    data = (RESOURCES / "7_transparent.png").read_bytes()
    assert_predictions(post_image(client, data, query="?normalize=mnist"), 1)
    blobs = [(RESOURCES / n).read_bytes() for n in ("1_photo.jpg", "0_grey.png")]
    assert_predictions(post_files(client, blobs, query="?normalize=mnist"), 2)


def test_predicted_labels_reach_the_metrics(app, client, digit):
    (pred,) = assert_predictions(client.post("/predict", data=png(digit),
                                             content_type="image/png"), 1)
    samples = metric_samples(app.extensions["metrics"].exposition().decode())
    assert samples[("predictions_total", (("label", str(pred["label"])),))] == 1
    assert samples[("predict_images_total", ())] == 1
