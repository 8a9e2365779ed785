"""Codecs: each protocol's request body -> model inputs, and a prediction -> its answer.

- predict.py: /predict (image files, multipart uploads, JSON instances);
- tensors.py: the Open Inference Protocol's tensors, for REST and gRPC alike, and
  v2_body.py: its REST bodies (JSON or binary);
- images.py, normalize.py, instances.py: the pieces they share;
- ink/ and components.py: the ink in a photo, for the MNIST recipe (normalize.py).

Model inputs are always what the trainer feeds the network: float32 (B, 784) scaled
by trainer.artifact.inference.as_inputs. Every problem with what a client sent is a
4xx ServiceError that says what to send instead.
"""

from service.errors import Unprocessable


def check_batch(count: int, max_batch: int) -> None:
    """422 when a request holds more than MAX_BATCH images."""
    if count > max_batch:
        raise Unprocessable(f"{count} images in one request; the limit is {max_batch} "
                            "(MAX_BATCH); split the batch", code="batch_too_large")
