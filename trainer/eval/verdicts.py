"""Ways to tell a digit from a non-digit, measured against each other (BENCHMARKS.md):
scores of the logits, and distances in the last hidden layer's space.

- top probability (Hendrycks and Gimpel, 2017) and minus the energy (Liu et al., 2020):
  the logits alone;
- Mahalanobis: the distance to the nearest class centre in the last hidden layer, with
  a covariance shared by the classes (Lee et al., 2018), on its RANK leading principal
  directions, whitened;
- residual: how far the hidden vector lies off those directions (the part of it no
  training digit has much of: ViM's residual, Wang et al., 2022);
- and these combined.

Each is fitted on training digits; the tables measure them on held-out families.
"""

import numpy as np

from trainer.artifact import inference
from trainer.eval import scores

RANK = 64


def features(params, x: np.ndarray, batch: int = scores.BATCH) -> tuple[np.ndarray, np.ndarray]:
    """(last hidden layer (N, H) float32, logits (N, K)) of inputs x (N, 784), in batches."""
    parts = [inference.hidden_and_logits(params, x[i:i + batch])
             for i in range(0, len(x), batch)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def fit_space(h: np.ndarray, y: np.ndarray, rank: int = RANK) -> dict:
    """{"mean" (H,), "basis" (H, rank) orthonormal, "scale" (rank,), "centres" (K, rank)}:
    the leading principal directions of the training digits' hidden vectors h (N, H)
    about their class means (labels y (N,)), whitened by their spread."""
    h = h.astype(np.float64)
    mean = h.mean(axis=0)
    means = np.stack([h[y == k].mean(axis=0) for k in range(int(y.max()) + 1)])
    within = h - means[y]
    cov = within.T @ within / len(h)
    values, vectors = np.linalg.eigh(cov)
    top = np.argsort(values)[::-1][:rank]
    basis, scale = vectors[:, top], 1.0 / np.sqrt(np.maximum(values[top], 1e-12))
    centres = (means - mean) @ basis * scale
    return {"mean": mean.astype(np.float32), "basis": basis.astype(np.float32),
            "scale": scale.astype(np.float32), "centres": centres.astype(np.float32)}


def mahalanobis(space: dict, h: np.ndarray) -> np.ndarray:
    """(N,) minus the squared whitened distance to the nearest class centre."""
    z = (h - space["mean"]) @ space["basis"] * space["scale"]
    d = ((z[:, None, :] - space["centres"][None]) ** 2).sum(axis=2)
    return -d.min(axis=1)


def residual(space: dict, h: np.ndarray) -> np.ndarray:
    """(N,) minus the norm of h's part off the leading directions."""
    off = h - space["mean"]
    on = off @ space["basis"]
    return -np.sqrt(np.maximum((off ** 2).sum(axis=1) - (on ** 2).sum(axis=1), 0))


def all_scores(space: dict, h: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """{method: (N,) score, higher = more digit-like}."""
    return {"top probability": inference.softmax(z).max(axis=1),
            "minus energy": inference.logsumexp(z),
            "Mahalanobis (hidden)": mahalanobis(space, h),
            "residual (hidden)": residual(space, h)}


def table(digit_scores: dict, families: dict[str, dict], refuse: float) -> dict:
    """{family: {method: share accepted}} at each method's threshold refusing `refuse` of
    the digits; `families` {family: scores as all_scores gives them}; plus the mean."""
    thresholds = {m: float(np.quantile(s, refuse)) for m, s in digit_scores.items()}
    out = {fam: {m: float(np.mean(s[m] >= thresholds[m])) for m in thresholds}
           for fam, s in families.items()}
    out["mean of the families"] = {m: float(np.mean([out[f][m] for f in families]))
                                   for m in thresholds}
    return out
