"""The optimizers' base class: state kept as named arrays, and the update run as one fused
numba pass where it can be, else as the NumPy passes (trainer.nn.optim's rules).

Each optimizer takes flat lists of parameter and gradient arrays (same order, same
shapes) and keeps its state as named arrays, so a checkpoint can store it in an npz
without pickling. Where numba is installed and the parameters are C-contiguous float32
(the flat buffer of `network.Layers`), each update runs as one fused pass
(trainer.nn.fused) instead of up to nine NumPy passes; both give the same bits. The
choice is made at construction.
"""

import numpy as np

from trainer.nn import fused


class Optimizer:
    """Base: `step(params, grads, lr)` updates params in place."""

    slots: tuple[str, ...] = ()
    kernel = ""  # the name of its fused update in trainer.nn.fused

    def __init__(self, params: list[np.ndarray]):
        self.t = 0
        self.state = {slot: [np.zeros_like(p) for p in params] for slot in self.slots}
        self._tmp = [np.empty_like(p) for p in params]
        self._fused = fused.optimizer_kernel(self.kernel, params)  # None: the NumPy passes

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if self._fused is not None and g.dtype == p.dtype and g.shape == p.shape:
                state = [self.state[slot][i].reshape(-1) for slot in self.slots]
                self._fused(p.reshape(-1), g.reshape(-1), *state, self._constants(lr))
            else:
                self._update(i, p, g, p.dtype.type(lr))

    def _update(self, i, p, g, lr):
        raise NotImplementedError

    def _constants(self, lr) -> np.ndarray:
        """The fused kernel's scalars as float32, each rounded as `_update` rounds it."""
        raise NotImplementedError

    def state_arrays(self) -> dict[str, np.ndarray]:
        """State as {"opt_<slot>_<i>": array, "opt_t": int64 scalar}."""
        arrays = {f"opt_{slot}_{i}": a for slot, lst in self.state.items()
                  for i, a in enumerate(lst)}
        arrays["opt_t"] = np.array(self.t, dtype=np.int64)
        return arrays

    def load_state_arrays(self, arrays) -> None:
        """Inverse of state_arrays; shapes must match the parameters'."""
        for slot, lst in self.state.items():
            for i, a in enumerate(lst):
                saved = arrays[f"opt_{slot}_{i}"]
                if saved.shape != a.shape:
                    raise ValueError(f"optimizer state {slot}[{i}] has shape {saved.shape}, "
                                     f"expected {a.shape}")
                a[...] = saved
        self.t = int(arrays["opt_t"])
