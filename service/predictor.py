"""The model server's life cycle, KServe style: load, then preprocess/predict/postprocess.

One Predictor per worker. `load()` never raises for a bad artifact: it logs one
line saying what is wrong and where, and the predictor stays not ready (with
`.reason`) so /readyz and /predict answer 503 instead of serving garbage.
`reload()` swaps in a new artifact only once it has been verified.
"""

import logging
import threading

import numpy as np

from service import preprocess
from service.errors import NotReady
from trainer import loader
from trainer.artifact import ArtifactError, Model

INPUTS = preprocess.PIXELS


class Predictor:
    def __init__(self, model_dir, logger: logging.Logger | None = None):
        self.model_dir = model_dir
        self.logger = logger or logging.getLogger(__name__)
        # Requests read `_model` once and use that object throughout, so a swap by
        # reload() is atomic for them: they see the old model or the new, never a mix.
        self._model: Model | None = None
        self.reason: str | None = "model not loaded yet"
        self._reload_lock = threading.Lock()

    @property
    def model(self) -> Model | None:
        return self._model

    @property
    def ready(self) -> bool:
        return self._model is not None

    def load(self) -> bool:
        """Load and verify MODEL_DIR; True when ready. Logs one line on failure."""
        with self._reload_lock:
            try:
                model = verified(self.model_dir)
            except ArtifactError as e:
                self._model, self.reason = None, str(e)
                self.logger.error("model not ready: %s", e)
                return False
            self._model, self.reason = model, None
            self.logger.info("model ready: %s %s from %s", model.name, model.version,
                             self.model_dir)
            return True

    def reload(self) -> bool:
        """Load MODEL_DIR again; swap only if it verifies, else keep serving the old model."""
        with self._reload_lock:
            try:
                model = verified(self.model_dir)
            except ArtifactError as e:
                kept = f"; still serving {self._model.version}" if self._model else ""
                self.logger.error("reload refused: %s%s", e, kept)
                if self._model is None:
                    self.reason = str(e)
                return False
            old, self._model, self.reason = self._model, model, None
            self.logger.info("model reloaded: %s %s (was %s)", model.name, model.version,
                             old.version if old else "none")
            return True

    def current(self) -> Model:
        """The model to use for one whole request, or NotReady (503)."""
        model = self._model
        if model is None:
            raise NotReady(f"model not ready: {self.reason}")
        return model

    def preprocess(self, pixels: np.ndarray) -> np.ndarray:
        """Raw pixels (B, 28, 28) or (B, 784) on 0..255 -> float32 (B, 784) in [0, 1]."""
        return preprocess.scale(pixels)

    def predict(self, x: np.ndarray, model: Model | None = None) -> np.ndarray:
        """float32 (B, 784) -> probabilities float32 (B, K)."""
        return (model or self.current()).probabilities(x)

    def postprocess(self, probs: np.ndarray, model: Model | None = None) -> dict:
        """(B, K) probabilities -> the /predict response body."""
        model = model or self.current()
        labels = [int(model.labels[i]) for i in probs.argmax(axis=1)]
        return {
            "model": {"name": model.name, "version": model.version},
            "predictions": [{"label": label, "probabilities": [float(p) for p in row]}
                            for label, row in zip(labels, probs, strict=True)],
        }

    def __call__(self, pixels: np.ndarray) -> dict:
        """preprocess -> predict -> postprocess, all with one model snapshot."""
        model = self.current()
        probs = self.predict(self.preprocess(pixels), model)
        return self.postprocess(probs, model)


def verified(model_dir) -> Model:
    """trainer.loader.load plus the service's own checks; raises ArtifactError."""
    model = loader.load(model_dir)
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
