"""The model server, KServe style: `load()` verifies the artifact and sets ready.

One Predictor per worker, loaded once: a HUP replaces the workers, and each new
worker loads the artifact afresh. `load()` never raises for a bad artifact: it
logs one line saying what is wrong and where, and the predictor stays not ready
(with `.reason`), so /readyz and /predict answer 503 instead of serving garbage.
A request asks for the served model once (`current()`) and calls its `predict`.
"""

import logging

import numpy as np

from service.errors import NotReady
from service.model import shared_weights
from trainer.artifact import PIXELS, store
from trainer.artifact.integrity import MANIFEST_FILE, WEIGHTS_FILE, ArtifactError
from trainer.artifact.store import Model


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
        self.model, self.reason = shared_weights.share(model, self.logger), None
        self.logger.info("model ready: %s %s from %s", model.name, model.version,
                         self.model_dir)
        return True

    def current(self) -> Model:
        """The loaded model, or NotReady (503) with the reason."""
        if self.model is None:
            raise NotReady(f"model not ready: {self.reason}")
        return self.model


def verified(model_dir) -> Model:
    """The artifact's own loader plus the service's checks; raises ArtifactError."""
    model = store.load(model_dir)
    where = model.path / MANIFEST_FILE
    n_in = model.params[0][0].shape[0]
    n_out = model.params[-1][0].shape[1]
    if n_in != PIXELS:
        raise ArtifactError(f"{where}: the model takes {n_in} inputs, this service sends "
                            f"{PIXELS} (28x28); point MODEL_DIR at an MNIST model")
    labels = model.labels
    if (not isinstance(labels, list) or len(labels) != n_out
            or not all(isinstance(x, str) and x.isdigit() for x in labels)):
        raise ArtifactError(f"{where}: field 'labels' should be {n_out} digit strings, got "
                            f"{str(labels)[:80]}; re-export the model")
    # A model that verifies byte for byte can still be numerically broken (e.g.
    # weights so large the softmax overflows): probe it before serving.
    probe = np.stack([np.zeros(PIXELS), np.ones(PIXELS)]).astype(np.float32)
    probs = model.probabilities(probe)
    if not np.all(np.isfinite(probs)) or not np.allclose(probs.sum(axis=1), 1, atol=1e-4):
        raise ArtifactError(f"{model.path / WEIGHTS_FILE}: the weights give non-finite "
                            "probabilities; re-export it from a good training run")
    return model
