"""How far the verdict can be trusted (`evaluate --trust`): digits refused, non-digits
accepted by family, and how well `confidence` is calibrated, on held-out inputs.

MNIST's test digits, and the real digits of trainer/eval/heldout/digits.py, are the
digits; trainer/eval/heldout/'s families the non-digits. Every input goes through the
model's own `predict`, as in the service.
"""

import numpy as np

from trainer.artifact.inference import as_inputs
from trainer.eval import calibrate, scores


def _predict(model, pixels: np.ndarray):
    """Predictions of float32 (N, 28, 28) on 0..255, in batches, concatenated."""
    x = as_inputs(pixels)
    parts = [model.predict(x[i:i + scores.BATCH]) for i in range(0, len(x), scores.BATCH)]
    return (np.concatenate([p.is_digit for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.probabilities.argmax(axis=1) for p in parts]))


def table(models: dict, digits: tuple, nondigits: dict, real: dict | None = None) -> dict:
    """{row: {model name: share}}: "MNIST test digits refused"; for each kind of `real`
    ({kind: (pixels (N, 28, 28), labels (N,), -1 where the recipe found no digit)})
    "<kind> refused" and "<kind> read right" (a refused or unfound digit is not read);
    then "<family> accepted" for each of `nondigits` ({family: (N, 28, 28) on 0..255})."""
    images = digits[0]
    out = {"MNIST test digits refused": {}}
    for name, model in models.items():
        is_digit, _, _ = _predict(model, images.astype(np.float32))
        out["MNIST test digits refused"][name] = float(np.mean(~is_digit))
    for kind, (pixels, labels, *_) in (real or {}).items():
        out[f"{kind} refused"], out[f"{kind} read right"] = {}, {}
        for name, model in models.items():
            is_digit, _, top = _predict(model, pixels)
            out[f"{kind} refused"][name] = float(np.mean(~is_digit | (labels < 0)))
            out[f"{kind} read right"][name] = float(np.mean(is_digit & (top == labels)))
    for family, pixels in nondigits.items():
        out[f"{family} accepted"] = {name: float(np.mean(_predict(model, pixels)[0]))
                                     for name, model in models.items()}
    return out


def reliability(model, digits: tuple) -> dict:
    """calibrate.calibration of `confidence` on the digits, with the accuracy."""
    images, labels = digits
    _, confidence, top = _predict(model, images.astype(np.float32))
    correct = top == labels
    return {**calibrate.calibration(confidence, correct), "accuracy": float(correct.mean())}


def report(result: dict) -> str:
    """A Markdown table: one row per line of `table`, one column per model, in percent."""
    return scores.table("inputs", result, "{:.2%}")
