"""The update rules, which update float32 parameter arrays in place: each as NumPy passes
(`_update`) and as the constants of its fused kernel (`_constants`, trainer.nn.fused).

The base class, with the state and the choice between the two, is trainer.nn.optimizer.
Scratch buffers are preallocated once per parameter: a step allocates nothing.
"""

import numpy as np

from trainer.nn.optimizer import Optimizer

NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adam")


class SGD(Optimizer):
    """p -= lr * g."""

    kernel = "sgd"

    def _constants(self, lr):
        return np.array([lr], np.float32)

    def _update(self, i, p, g, lr):
        tmp = self._tmp[i]
        np.multiply(g, lr, out=tmp)
        p -= tmp


class Momentum(Optimizer):
    """PyTorch form: v = m v + g; p -= lr v, or with Nesterov p -= lr (g + m v)."""

    slots = ("velocity",)

    def __init__(self, params, momentum: float = 0.9, nesterov: bool = False):
        self.kernel = "nesterov" if nesterov else "momentum"
        super().__init__(params)
        self.momentum, self.nesterov = momentum, nesterov

    def _constants(self, lr):
        return np.array([self.momentum, lr], np.float32)

    def _update(self, i, p, g, lr):
        v, tmp = self.state["velocity"][i], self._tmp[i]
        m = p.dtype.type(self.momentum)
        v *= m
        v += g
        if self.nesterov:
            np.multiply(v, m, out=tmp)
            tmp += g
        else:
            tmp[...] = v
        tmp *= lr
        p -= tmp


class RMSprop(Optimizer):
    """Keras RMSprop: s = rho s + (1 - rho) g^2; p -= lr g / (sqrt(s) + eps)."""

    slots = ("square_avg",)
    kernel = "rmsprop"

    def __init__(self, params, rho: float = 0.9, eps: float = 1e-7):
        super().__init__(params)
        self.rho, self.eps = rho, eps

    def _constants(self, lr):
        return np.array([self.rho, 1.0 - self.rho, self.eps, lr], np.float32)

    def _update(self, i, p, g, lr):
        s, tmp = self.state["square_avg"][i], self._tmp[i]
        _decay_toward_square(s, g, self.rho, tmp)
        _step_by_rms(p, g, s, eps=self.eps, step=lr, tmp=tmp)


class Adam(Optimizer):
    """Keras Adam: bias correction folded into the step size, eps added to sqrt(v)."""

    slots = ("m", "v")
    kernel = "adam"

    def __init__(self, params, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7):
        super().__init__(params)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _alpha(self, lr) -> float:
        """The step size with both bias corrections folded in (float64)."""
        return lr * np.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)

    def _constants(self, lr):
        alpha = self._alpha(np.float32(lr))  # `_update` is given lr as float32
        return np.array([self.beta1, 1.0 - self.beta1, self.beta2, 1.0 - self.beta2, self.eps,
                         alpha], np.float32)

    def _update(self, i, p, g, lr):
        m, v, tmp = self.state["m"][i], self.state["v"][i], self._tmp[i]
        f = p.dtype.type
        alpha = f(self._alpha(lr))
        m *= f(self.beta1)
        np.multiply(g, f(1.0 - self.beta1), out=tmp)
        m += tmp
        _decay_toward_square(v, g, self.beta2, tmp)
        _step_by_rms(p, m, v, eps=self.eps, step=alpha, tmp=tmp)


def _decay_toward_square(avg, g, decay: float, tmp) -> None:
    """avg = decay avg + (1 - decay) g^2, in place; tmp is scratch of g's shape."""
    f = avg.dtype.type
    avg *= f(decay)
    np.square(g, out=tmp)
    tmp *= f(1.0 - decay)
    avg += tmp


def _step_by_rms(p, direction, square_avg, *, eps: float, step, tmp) -> None:
    """p -= step direction / (sqrt(square_avg) + eps), in place; tmp is scratch."""
    np.sqrt(square_avg, out=tmp)
    tmp += p.dtype.type(eps)
    np.divide(direction, tmp, out=tmp)
    tmp *= step
    p -= tmp


def make(name: str, params: list[np.ndarray], momentum: float = 0.9) -> Optimizer:
    """The optimizer called `name` (one of NAMES) with Keras-style defaults."""
    if name == "sgd":
        return SGD(params)
    if name in ("momentum", "nesterov"):
        return Momentum(params, momentum=momentum, nesterov=name == "nesterov")
    if name == "rmsprop":
        return RMSprop(params)
    if name == "adam":
        return Adam(params)
    raise ValueError(f"--optimizer {name!r} is unknown; choose one of {', '.join(NAMES)}")
