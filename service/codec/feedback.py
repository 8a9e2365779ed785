"""The /feedback protocol: a correction's label -> one of LABELS, the model's answer for
the one image -> the stored fields, and the 201 answer.

The image itself is decoded by predict.py, exactly as /predict decodes it, so the stored
input is what /predict's model saw for the same request.
"""

import numpy as np
import orjson

from service.errors import BadRequest, Unprocessable
from trainer.artifact.feedback import LABELS, to_pixels

LABEL_FIELD = "label"  # multipart field or query parameter
REQUEST_ID_FIELD = "request_id"  # the X-Request-ID of the prediction corrected


def label_of(raw: str | None) -> str:
    """The given answer, "0".."9" or "none" (any case, spaces around ignored); else 400."""
    if raw is None:
        raise BadRequest(f"no label: send the right answer in field {LABEL_FIELD!r}, a digit "
                         "0..9 or none (not a digit), e.g. curl -F image=@digit.png "
                         f"-F {LABEL_FIELD}=7", code="no_label")
    label = raw.strip().lower()
    if label not in LABELS:
        raise BadRequest(f"{LABEL_FIELD}={raw[:40]!r}: expected a digit 0..9, or none for "
                         "an image that is not a digit", code="bad_label")
    return label


def one_input(x: np.ndarray) -> np.ndarray:
    """The one image of a correction, float32 (1, 784); 422 for a batch."""
    if len(x) != 1:
        raise Unprocessable(f"{len(x)} images in one correction; send each image with its "
                            "own label, in a request of its own", code="batch_too_large")
    return x


def fields(model, prediction, x: np.ndarray) -> dict:
    """The model's answer for x (1, 784), as the store's columns (pixels: 784 bytes)."""
    return {"pixels": to_pixels(x[0]), "model_version": model.version,
            "model_label": str(prediction.labels[0]),
            "model_is_digit": bool(prediction.is_digit[0]),
            "model_confidence": float(prediction.confidence[0])}


def answer(model, record_id: int, correction) -> bytes:
    """The 201 answer: the record's id, the label stored, and what the model had said."""
    return orjson.dumps({
        "id": record_id, "label": correction.label, "request_id": correction.request_id,
        "model": {"name": model.name, "version": model.version},
        "prediction": {"label": int(correction.model_label),
                       "is_digit": correction.model_is_digit,
                       "confidence": correction.model_confidence},
        "model_right": correction.model_right})
