"""The verdict methods compared in BENCHMARKS.md (trainer/eval/verdicts.py), against
written-out references: the Mahalanobis distance with the inverse of the pooled
within-class covariance, the residual as the part of a vector off a subspace."""

import numpy as np

from tests.conftest import write_tiny_model
from trainer.artifact import inference, store
from trainer.eval import verdicts


def _clusters(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 3000)
    centres = rng.normal(0, 5, (3, 4))
    mix = rng.normal(0, 1, (4, 4))
    return (centres[y] + rng.normal(0, 1, (3000, 4)) @ mix).astype(np.float32), y


def test_mahalanobis_at_full_rank_is_the_textbook_distance():
    h, y = _clusters()
    space = verdicts.fit_space(h, y, rank=4)
    means = np.stack([h[y == k].mean(axis=0) for k in range(3)]).astype(np.float64)
    within = h - means[y]
    precision = np.linalg.inv(within.T.astype(np.float64) @ within / len(h))
    probe = h[:50].astype(np.float64) + 0.5
    want = -np.min([np.einsum("ij,jk,ik->i", probe - m, precision, probe - m) for m in means],
                   axis=0)
    np.testing.assert_allclose(verdicts.mahalanobis(space, probe.astype(np.float32)), want,
                               rtol=1e-3)


def test_the_residual_is_the_part_off_the_leading_directions():
    h, y = _clusters(1)
    space = verdicts.fit_space(h, y, rank=2)
    basis = space["basis"].astype(np.float64)
    off = h[:20].astype(np.float64) - space["mean"]
    want = -np.linalg.norm(off - off @ basis @ basis.T, axis=1)
    np.testing.assert_allclose(verdicts.residual(space, h[:20]), want, rtol=1e-3, atol=1e-4)
    assert np.allclose(verdicts.residual(verdicts.fit_space(h, y, rank=4), h[:20]), 0,
                       atol=1e-2)


def test_hidden_and_logits_agree_with_the_forward_pass(tmp_path):
    write_tiny_model(tmp_path / "m")
    model = store.load(tmp_path / "m")
    x = np.random.default_rng(2).random((5, 784), dtype=np.float32)
    h, z = inference.hidden_and_logits(model.params, x)
    np.testing.assert_allclose(z, inference.dense_logits(model.params, x), rtol=1e-5)
    w, b = model.params[-1]
    np.testing.assert_allclose(h @ w + b, z, rtol=1e-5)


def test_the_table_accepts_at_each_methods_own_threshold():
    digits = {"a": np.arange(1000.0), "b": -np.arange(1000.0)}
    families = {"f": {"a": np.full(10, 500.0), "b": np.full(10, 0.5)}}
    result = verdicts.table(digits, families, refuse=0.01)
    assert result["f"] == {"a": 1.0, "b": 1.0}
    families = {"f": {"a": np.full(10, 5.0), "b": np.full(10, -995.0)}}
    assert verdicts.table(digits, families, refuse=0.01)["f"] == {"a": 0.0, "b": 0.0}
