"""The model server, KServe style: `load()` sets ready; predict; postprocess.

One Predictor per worker, loaded once: a HUP replaces the workers, and each new
worker loads the artifact afresh. `load()` never raises for a bad artifact: it
logs one line saying what is wrong and where, and the predictor stays not ready
(with `.reason`), so /readyz and /predict answer 503 instead of serving garbage.
"""

import logging

import numpy as np

from service import shared_weights
from service.errors import NotReady
from trainer import artifact
from trainer.artifact import ArtifactError, Model
from trainer.inference import as_inputs

INPUTS = 28 * 28


class Predictor:
    def __init__(self, model_dir, logger: logging.Logger | None = None):
        self.model_dir = model_dir
        self.logger = logger or logging.getLogger(__name__)
        self.model: Model | None = None
        self.reason: str | None = "model not loaded yet"

    @property
    def ready(self) -> bool:
        return self.model is not None

    def load(self) -> bool:
        """Load and verify MODEL_DIR; True when ready. Logs one line on failure."""
        try:
            model = verified(self.model_dir)
        except ArtifactError as e:
            self.reason = str(e)
            self.logger.error("model not ready: %s", e)
            return False
        self.model, self.reason = shared_weights.share(model), None
        self.logger.info("model ready: %s %s from %s", model.name, model.version,
                         self.model_dir)
        return True

    def current(self) -> Model:
        """The loaded model, or NotReady (503) with the reason."""
        if self.model is None:
            raise NotReady(f"model not ready: {self.reason}")
        return self.model

    def predict(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels (B, 28, 28) on 0..255 -> probabilities float32 (B, K), scaled and run by
        the trainer's own functions."""
        return self.predict_inputs(as_inputs(pixels))

    def predict_inputs(self, x: np.ndarray) -> np.ndarray:
        """Model inputs float32 (B, 784) in [0, 1] -> probabilities float32 (B, K)."""
        return self.current().probabilities(x)

    def labels_of(self, probs: np.ndarray) -> list[int]:
        """The digit each row of (B, K) probabilities reads as."""
        labels = self.current().labels
        return [int(labels[i]) for i in probs.argmax(axis=1)]

    def postprocess(self, probs: np.ndarray, pixels: np.ndarray | None = None) -> dict:
        """(B, K) probabilities -> the /predict answer; with `pixels`, what the model saw."""
        model = self.current()
        labels = self.labels_of(probs)
        rows = probs.astype(np.float64).tolist()
        predictions = [{"label": label, "probabilities": row}
                       for label, row in zip(labels, rows, strict=True)]
        if pixels is not None:
            seen = pixels.astype(np.int64) if np.all(pixels == np.rint(pixels)) else pixels
            for prediction, image in zip(predictions, seen.tolist(), strict=True):
                prediction["input"] = image
        return {"model": {"name": model.name, "version": model.version},
                "predictions": predictions}


def verified(model_dir) -> Model:
    """trainer.artifact.load plus the service's own checks; raises ArtifactError."""
    model = artifact.load(model_dir)
    where = f"{model.path}/model.json"
    n_in = model.params[0][0].shape[0]
    n_out = model.params[-1][0].shape[1]
    if n_in != INPUTS:
        raise ArtifactError(f"{where}: the model takes {n_in} inputs, this service sends "
                            f"{INPUTS} (28x28); point MODEL_DIR at an MNIST model")
    labels = model.labels
    if (not isinstance(labels, list) or len(labels) != n_out
            or not all(isinstance(x, str) and x.isdigit() for x in labels)):
        raise ArtifactError(f"{where}: field 'labels' should be {n_out} digit strings, got "
                            f"{str(labels)[:80]}; re-export the model")
    # A model that verifies byte for byte can still be numerically broken (e.g.
    # weights so large the softmax overflows): probe it before serving.
    probe = np.stack([np.zeros(INPUTS), np.ones(INPUTS)]).astype(np.float32)
    probs = model.probabilities(probe)
    if not np.all(np.isfinite(probs)) or not np.allclose(probs.sum(axis=1), 1, atol=1e-4):
        raise ArtifactError(f"{model.path}/model.npz: the weights give non-finite "
                            "probabilities; re-export it from a good training run")
    return model
