"""Training/serving parity on the real MNIST test set.

The trusted reference is the trainer's own path: its uint8 images scaled its
way, through `trainer.loader.load(dir).probabilities`. The service gets the same
images as PNG files over HTTP and must answer the same probabilities (within
1e-6: BLAS may sum a batch of 200 in another order than a batch of 1000), and
over all 10,000 images the accuracy the manifest claims.
"""

import numpy as np
import pytest

from service import create_app, preprocess
from tests.service._fixtures import default_model_dir, png, post_files
from trainer import loader
from trainer.artifact import as_inputs

PARITY_IMAGES = 1000
HTTP_BATCH = 200
PREDICT_BATCH = 256


def trainer_inputs(images: np.ndarray) -> np.ndarray:
    """The trainer's scaling of uint8 (N, 28, 28) IDX images -> float32 (N, 784)."""
    return as_inputs(images)


@pytest.fixture(params=["tiny", "default"])
def model_dir(request, tiny_model_dir):
    return tiny_model_dir if request.param == "tiny" else default_model_dir()


def test_service_scaling_is_the_trainers(mnist_test):
    """Bit for bit, for uint8 images and for the float32 pixels other routes produce."""
    images = mnist_test[0][:PARITY_IMAGES]
    want = trainer_inputs(images)
    np.testing.assert_array_equal(preprocess.scale(images), want)
    np.testing.assert_array_equal(preprocess.scale(images.astype(np.float32)), want)
    np.testing.assert_array_equal(preprocess.scale(images.reshape(-1, 784)), want)


def test_png_over_http_matches_the_trainer(model_dir, mnist_test):
    images, _ = mnist_test
    images = images[:PARITY_IMAGES]
    reference = loader.load(model_dir).probabilities(trainer_inputs(images))
    client = create_app({"MODEL_DIR": str(model_dir), "TESTING": True}).test_client()
    served = []
    for start in range(0, len(images), HTTP_BATCH):
        resp = post_files(client, [png(im) for im in images[start:start + HTTP_BATCH]])
        assert resp.status_code == 200, resp.get_json()
        served += [p["probabilities"] for p in resp.get_json()["predictions"]]
    served = np.array(served, dtype=np.float32)
    assert served.shape == reference.shape
    np.testing.assert_allclose(served, reference, rtol=0, atol=1e-6)
    assert np.array_equal(served.argmax(axis=1), reference.argmax(axis=1))


def test_single_png_is_bit_for_bit(model_dir, mnist_test):
    """A batch of one runs the same float32 operations on the same inputs: equal bits."""
    images = mnist_test[0][:20]
    model = loader.load(model_dir)
    client = create_app({"MODEL_DIR": str(model_dir), "TESTING": True}).test_client()
    for image in images:
        resp = client.post("/predict", data=png(image), content_type="image/png")
        served = np.array(resp.get_json()["predictions"][0]["probabilities"], dtype=np.float32)
        np.testing.assert_array_equal(served, model.probabilities(trainer_inputs(image[None]))[0])


def test_accuracy_equals_the_manifest(mnist_test):
    """All 10,000 test images, PNG-decoded by the service's code, batched through the predictor."""
    model_dir = default_model_dir()
    app = create_app({"MODEL_DIR": str(model_dir), "TESTING": True})
    predictor = app.extensions["predictor"]
    images, labels = mnist_test
    predicted = []
    for start in range(0, len(images), PREDICT_BATCH):
        batch = images[start:start + PREDICT_BATCH]
        pixels = np.stack([preprocess.image_pixels(png(im), 1 << 20, normalize_mnist=False)
                           for im in batch])
        predicted += [p["label"] for p in predictor(pixels)["predictions"]]
    correct = int(np.sum(np.array(predicted) == labels))
    claimed = predictor.model.manifest["metrics"]["test_accuracy"]
    assert correct == round(claimed * len(labels)), (correct, claimed)
