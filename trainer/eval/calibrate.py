"""The verdict the manifest records: is an input a digit at all, and how sure is its label.

Both are chosen on held-out digits, the run's validation split, never on the test set:

- the temperature T that minimises the negative log-likelihood of softmax(z / T) on
  them (temperature scaling, Guo et al., 2017): `confidence` is max softmax(z / T);
- the rule for "is it a digit": a score of the logits (trainer/artifact/inference.py's
  SCORES: the top probability, or minus the energy of Liu et al., 2020) against a
  threshold that refuses `refuse` of the validation digits; of the scores, the one
  that accepts the fewest validation non-digits (made by the trainer's own families,
  with a seed of their own) at that threshold.
"""

import numpy as np

from trainer.artifact import inference
from trainer.eval import scores

BINS = 15  # confidence bins of the expected calibration error and the diagram


def logits(params, x: np.ndarray, batch: int = scores.BATCH) -> np.ndarray:
    """Inference logits (N, K) of x (N, 784), in batches."""
    return np.concatenate([inference.logits(params, x[i:i + batch])
                           for i in range(0, len(x), batch)])


def temperature(z: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.05, 20] minimising the mean NLL of softmax(z / T) for labels y."""
    z64 = z.astype(np.float64)

    def nll(t: float) -> float:
        scaled = z64 / t
        top = scaled.max(axis=1)
        lse = top + np.log(np.exp(scaled - top[:, None]).sum(axis=1))
        return float(np.mean(lse - scaled[np.arange(len(y)), y]))

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 61))
    best = grid[int(np.argmin([nll(t) for t in grid]))]
    fine = best * np.exp(np.linspace(-0.06, 0.06, 25))  # one grid step either side
    return float(fine[int(np.argmin([nll(t) for t in fine]))])


def calibration(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> dict:
    """{"ece", "bins": [{"low", "high", "count", "confidence", "accuracy"}]}: the expected
    calibration error (the count-weighted gap between mean confidence and accuracy in
    equal-width bins) and the reliability diagram's bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        conf, acc = float(confidence[inside].mean()), float(correct[inside].mean())
        ece += inside.sum() / len(confidence) * abs(conf - acc)
        rows.append({"low": float(edges[b]), "high": float(edges[b + 1]),
                     "count": int(inside.sum()), "confidence": conf, "accuracy": acc})
    return {"ece": float(ece), "bins": rows}


def verdict(params, digits: tuple, outliers: np.ndarray, refuse: float) -> dict:
    """The manifest's "verdict" from validation digits (x (N, 784), y (N,)) and
    validation non-digits (M, 784) of the training families."""
    x, y = digits
    z, z_out = logits(params, x), logits(params, outliers)
    chosen = None
    for rule, score in inference.SCORES.items():
        threshold = float(np.quantile(score(z).astype(np.float64), refuse))
        accepted = float(np.mean(score(z_out) >= threshold))
        if chosen is None or accepted < chosen[2]:
            chosen = (rule, threshold, accepted)
    rule, threshold, accepted = chosen
    t = temperature(z, y)
    judged = inference.predict(params, x, [str(k) for k in range(z.shape[1])],
                               inference.Verdict(rule, threshold, t))
    return {"rule": rule, "threshold": threshold, "temperature": t,
            "chosen_on": f"{len(x)} validation digits, {len(outliers)} validation non-digits",
            "validation": {
                "digits_refused": float(np.mean(~judged.is_digit)),
                "nondigits_accepted": accepted,
                "ece": calibration(judged.confidence, z.argmax(axis=1) == y)["ece"]}}
