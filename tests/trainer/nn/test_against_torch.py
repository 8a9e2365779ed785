"""Forward, loss and backprop checked against PyTorch autograd as the trusted reference.

Skips without torch; .ci/run installs it so CI never skips.
"""

import numpy as np
import pytest

from trainer.nn import network
from trainer.nn.loss import cross_entropy

torch = pytest.importorskip("torch")


def _torch_loss_and_grads(params, x, labels):
    tparams = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
               for w, b in params]
    a = torch.tensor(x)
    for i, (w, b) in enumerate(tparams):
        a = a @ w + b
        if i < len(tparams) - 1:
            a = torch.relu(a)
    loss = torch.nn.functional.cross_entropy(a, torch.tensor(labels, dtype=torch.long))
    loss.backward()
    return a.detach().numpy(), loss.item(), [(w.grad.numpy(), b.grad.numpy()) for w, b in tparams]


@pytest.mark.parametrize("sizes", [[784, 10], [784, 32, 10], [784, 24, 16, 10]])
def test_float64_gradients_match_autograd(sizes):
    rng = np.random.default_rng(7)
    params = [(w.astype(np.float64), b.astype(np.float64) + rng.normal(0, 0.1, b.shape))
              for w, b in network.init(sizes, rng)]
    x = rng.random((9, 784))
    labels = rng.integers(0, 10, 9)
    z, cache = network.forward(params, x)
    loss, dz = cross_entropy(z, labels)
    grads = network.backward(params, cache, dz)
    tz, tloss, tgrads = _torch_loss_and_grads(params, x, labels)
    np.testing.assert_allclose(z, tz, rtol=1e-12, atol=1e-12)
    assert loss == pytest.approx(tloss, rel=1e-12)
    for (dw, db), (tdw, tdb) in zip(grads, tgrads, strict=True):
        np.testing.assert_allclose(dw, tdw, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, tdb, rtol=1e-10, atol=1e-14)


def test_float32_loss_matches_autograd_for_extreme_logits():
    """Fused softmax cross-entropy stays finite where a naive exp would overflow."""
    z = np.array([[1e4, -1e4, 0.0], [-1.5e38, 1.5e38, 0.0], [5.0, 5.0, 5.0]], np.float32)
    labels = np.array([1, 1, 2])
    loss, dz = cross_entropy(z, labels)
    tz = torch.tensor(z, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tz, torch.tensor(labels))
    tloss.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    assert loss == pytest.approx(tloss.item(), rel=1e-6)
    np.testing.assert_allclose(dz, tz.grad.numpy(), atol=1e-7)
