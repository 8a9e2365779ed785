"""Training/serving parity on the real MNIST test set.

The reference is the trainer's path: its uint8 images scaled as the manifest
says (pixel / 255, written out here), through `trainer.store.load(dir)`. The
service gets the same images as PNG files over HTTP. For the same batch the
answer is the same bits; for any other batching (BLAS sums a batch of 200 in
another order than a batch of 1000) it is within 1e-5; and over all 10,000
images the accuracy is the one the manifest claims.
"""

import numpy as np
import pytest

from service import create_app
from service.codec.predict import image_pixels
from tests.service._fixtures import default_model_dir, png, post_files
from trainer.artifact import store
from trainer.artifact.inference import as_inputs

PARITY_IMAGES = 1000
HTTP_BATCH = 200
PREDICT_BATCH = 256


def trainer_inputs(pixels: np.ndarray) -> np.ndarray:
    """The manifest's "pixel / 255" for uint8 (N, 28, 28) IDX images -> float32 (N, 784)."""
    return pixels.reshape(len(pixels), 784).astype(np.float32) / np.float32(255)


@pytest.fixture(params=["tiny", "default"])
def model_dir(request, tiny_model_dir):
    return tiny_model_dir if request.param == "tiny" else default_model_dir()


def test_the_one_scaling_is_pixel_over_255(mnist_test):
    """Bit for bit, for uint8 images and for the float32 pixels the service decodes."""
    pixels = mnist_test[0][:PARITY_IMAGES]
    want = trainer_inputs(pixels)
    np.testing.assert_array_equal(as_inputs(pixels), want)
    np.testing.assert_array_equal(as_inputs(pixels.astype(np.float32)), want)
    np.testing.assert_array_equal(as_inputs(pixels.reshape(-1, 784)), want)


def test_png_over_http_matches_the_trainer(model_dir, mnist_test):
    pixels = mnist_test[0][:PARITY_IMAGES]
    reference = store.load(model_dir).probabilities(trainer_inputs(pixels))
    client = create_app({"MODEL_DIR": str(model_dir), "TESTING": True}).test_client()
    served = []
    for start in range(0, len(pixels), HTTP_BATCH):
        resp = post_files(client, [png(im) for im in pixels[start:start + HTTP_BATCH]])
        assert resp.status_code == 200, resp.get_json()
        served += [p["probabilities"] for p in resp.get_json()["predictions"]]
    served = np.array(served, dtype=np.float32)
    assert served.shape == reference.shape
    np.testing.assert_allclose(served, reference, rtol=0, atol=1e-5)
    assert np.array_equal(served.argmax(axis=1), reference.argmax(axis=1))


def test_the_same_batch_is_bit_for_bit(model_dir, mnist_test):
    """A request alone runs the same float32 operations on the same inputs: equal bits."""
    pixels = mnist_test[0][:20]
    model = store.load(model_dir)
    client = create_app({"MODEL_DIR": str(model_dir), "TESTING": True}).test_client()
    resp = post_files(client, [png(im) for im in pixels[:7]])
    served = np.array([p["probabilities"] for p in resp.get_json()["predictions"]], np.float32)
    np.testing.assert_array_equal(served, model.probabilities(trainer_inputs(pixels[:7])))
    for image in pixels:
        resp = client.post("/predict", data=png(image), content_type="image/png")
        served = np.array(resp.get_json()["predictions"][0]["probabilities"], dtype=np.float32)
        np.testing.assert_array_equal(served, model.probabilities(trainer_inputs(image[None]))[0])


def test_accuracy_equals_the_manifest(mnist_test):
    """All 10,000 test images, PNG-decoded by the service's code, batched through the predictor."""
    model_dir = default_model_dir()
    app = create_app({"MODEL_DIR": str(model_dir), "TESTING": True})
    model = app.extensions["predictor"].current()
    digits, labels = mnist_test
    predicted = []
    for start in range(0, len(digits), PREDICT_BATCH):
        batch = digits[start:start + PREDICT_BATCH]
        pixels = np.stack([image_pixels(png(im), 1 << 20, normalize_mnist=False)
                           for im in batch])
        predicted += model.probabilities(as_inputs(pixels)).argmax(axis=1).tolist()
    correct = int(np.sum(np.array(predicted) == labels))
    claimed = model.manifest["metrics"]["test_accuracy"]
    assert correct == round(claimed * len(labels)), (correct, claimed)
