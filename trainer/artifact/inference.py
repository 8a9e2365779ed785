"""The one inference forward pass and the one input scaling, shared by trainer and service.

Training, evaluation and the service all scale pixels with `as_inputs` and score
with `probabilities`, so there is one definition of "what the model says".
"""

from dataclasses import dataclass

import numpy as np

# (W, b) per layer: W (n_in, n_out) and b (n_out,), float32.
Params = list[tuple[np.ndarray, np.ndarray]]
# Up to this many rows, each row skips the inputs that are zero: most of a digit's
# pixels, and most hidden units after a ReLU. A request of one image then reads about
# 1 MB of the shipped network's 7.4 MB of weights. Adding the skipped zero products
# changes no sum, so only the order of the additions differs from the dense product.
SPARSE_ROWS = 16
_GATHER_MIN_WIDTH = 64


def as_inputs(images: np.ndarray) -> np.ndarray:
    """Pixels (N, 28, 28) or (N, 784) on 0..255 -> float32 (N, 784) in [0, 1]: pixel / 255.

    Training, evaluation and the service all scale with this one function.
    """
    x = np.asarray(images).reshape(len(images), -1).astype(np.float32)
    x /= np.float32(255.0)  # a true division, exactly the manifest's "pixel / 255"
    return x


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (B, K) logits; shifting by the row max keeps exp finite."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, dtype=z.dtype)


def logits(params: Params, x: np.ndarray) -> np.ndarray:
    """Inference logits (B, n_out) of float32 inputs x (B, n_in)."""
    if not len(x) or len(x) > SPARSE_ROWS:
        return dense_logits(params, x)
    return np.concatenate([_row_logits(params, row[None]) for row in x])


def dense_logits(params: Params, x: np.ndarray) -> np.ndarray:
    """Inference logits as plain matrix products, layer by layer."""
    a = x
    for w, b in params[:-1]:
        a = relu(a @ w + b)
    w, b = params[-1]
    return a @ w + b


def hidden_and_logits(params: Params, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the last hidden layer's activations (B, H), logits (B, n_out)) of inputs x (B, n_in),
    as plain matrix products."""
    a = x
    for w, b in params[:-1]:
        a = relu(a @ w + b)
    w, b = params[-1]
    return a, a @ w + b


def _row_logits(params: Params, a: np.ndarray) -> np.ndarray:
    """Logits (1, n_out) of one row (1, n_in), reading only the weights of its nonzeros.

    A narrow layer (the 10 outputs) is cheaper whole than gathered.
    """
    last = len(params) - 1
    for i, (w, b) in enumerate(params):
        rows = _rows_worth_reading(a[0], w)
        a = a @ w + b if rows is None else a[:, rows] @ w[rows] + b
        if i < last:
            np.maximum(a, 0, out=a)
    return a


def _rows_worth_reading(a: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """Indices of a's nonzeros when gathering those rows of w beats reading all of w."""
    if w.shape[1] < _GATHER_MIN_WIDTH:
        return None
    nonzero = np.flatnonzero(a)
    return nonzero if 2 * len(nonzero) < len(w) else None


def probabilities(params: Params, x: np.ndarray) -> np.ndarray:
    """The inference forward pass: (B, 784) float32 in [0, 1] -> (B, K) float32."""
    _check(params, x)
    return softmax(logits(params, x))


def _check(params: Params, x: np.ndarray) -> None:
    if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != params[0][0].shape[0]:
        raise ValueError(f"expected float32 inputs of shape (B, {params[0][0].shape[0]}), "
                         f"got {x.dtype} {x.shape}")


@dataclass(frozen=True)
class Verdict:
    """The trainer's rule for "is this a digit at all", chosen on held-out data and kept
    in the manifest's "verdict" field (trainer/eval/calibrate.py)."""

    rule: str  # a key of SCORES
    threshold: float  # a row whose score is below it is no digit
    temperature: float  # confidence = max softmax(z / temperature) (Guo et al., 2017)


def logsumexp(z: np.ndarray) -> np.ndarray:
    """(B,) of logits z (B, K): minus the energy, high for what the network knows
    (Liu et al., 2020)."""
    top = z.max(axis=1)
    return top + np.log(np.exp(z - top[:, None]).sum(axis=1))


# How digit-like each row of logits z (B, K) is: the higher, the more.
SCORES = {"top_probability": lambda z: softmax(z).max(axis=1),  # Hendrycks and Gimpel, 2017
          "negative_energy": logsumexp}


@dataclass(frozen=True)
class Prediction:
    """What the model says of a batch of inputs."""

    probabilities: np.ndarray  # float32 (B, K)
    labels: list[str]  # each row's most probable class, by the manifest's labels
    confidence: np.ndarray  # float32 (B,): the calibrated probability that the label is right
    is_digit: np.ndarray  # bool (B,): whether the input is a digit at all


def predict(params: Params, x: np.ndarray, labels: list[str],
            verdict: Verdict | None = None) -> Prediction:
    """The forward pass on x (B, 784) float32 in [0, 1], with each row's label and verdict.

    Without a verdict (a model trained before there was one), the confidence is the top
    probability and every input counts as a digit.
    """
    _check(params, x)
    z = logits(params, x)
    probs = softmax(z)
    if verdict is None:
        confidence, is_digit = probs.max(axis=1), np.ones(len(z), dtype=bool)
    else:
        confidence = softmax(z / np.float32(verdict.temperature)).max(axis=1)
        is_digit = SCORES[verdict.rule](z) >= np.float32(verdict.threshold)
    return Prediction(probs, [labels[i] for i in probs.argmax(axis=1)], confidence, is_digit)
