"""numba kernels that fuse NumPy passes: the optimizers' update (one pass over the flat
buffer instead of up to nine), and the network's bias + ReLU and ReLU mask + bias gradient.

Each kernel does, element by element, exactly the float32 operations of the NumPy
passes it replaces, in the same order, so its results are equal bit for bit: no
fastmath (it would allow FMA contraction, reciprocal approximations, reassociation),
float32 scalars passed in (nothing promoted to float64), np.sqrt (correctly rounded,
like NumPy's) and numpy's error model (x / 0 is inf, not an exception). `prange`
splits the optimizers' buffer across the cores.

numba is optional (the service's image does not install it): without it
`optimizer_kernel` is None and `fits` is False, and the NumPy passes run. It is
imported on first use, as it takes 0.3 s: commands that do not train never load it.
"""

import functools
import threading

import numpy as np

_LAUNCH = threading.Lock()  # see _numba


@functools.cache
def _numba():
    """numba, imported on first use, or None where it is not installed.

    The threading layer is numba's own "workqueue", unless NUMBA_THREADING_LAYER says
    otherwise. Its idle workers sleep; OpenMP's spin for a while after each kernel, and
    beside OpenBLAS's threads, which spin after each matrix product, they made a default
    epoch several times slower on 2 cores. The workqueue aborts the process if two threads
    launch parallel kernels at once: _LAUNCH serialises them.
    """
    try:
        import numba
    except ImportError:  # the NumPy passes run instead
        return None
    if numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "workqueue"
    return numba


def _jit(func, parallel: bool):
    """numba.njit, cached on disk where numba finds a writable directory.

    numba caches in the module's __pycache__, else in ~/.cache/numba (or NUMBA_CACHE_DIR);
    where none is writable (a read-only install, no home) it refuses cache=True with a
    RuntimeError, and the kernel is compiled afresh in each process instead.
    """
    numba = _numba()
    options = {"parallel": parallel, "error_model": "numpy", "nogil": True}
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(**options)(func)


_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
_compiled: dict = {}


def _kernel(name: str):
    """The compiled kernel `name` (it compiles on its first call, or loads the cache)."""
    if name not in _compiled:
        from trainer.nn import kernels  # after _numba(): its prange is numba's

        # A batch's activations are too small to pay for waking a second thread.
        _compiled[name] = _jit(getattr(kernels, name), parallel=name in _OPTIMIZERS)
    return _compiled[name]


def optimizer_kernel(name: str, params: list[np.ndarray]):
    """The fused update called `name` (one of _OPTIMIZERS) as f(p, g, *state, constants)
    over flat float32 arrays, or None where it cannot run: no numba, or a parameter that is
    not a C-contiguous float32 array (its flat view would be a copy)."""
    if not fits(*params):
        return None
    kernel = _kernel(name)

    def launch(*args):
        with _LAUNCH:
            kernel(*args)
    return launch


def fits(*arrays: np.ndarray) -> bool:
    """Whether the network's kernels run on these arrays: numba is there and all are
    C-contiguous float32 (any other dtype keeps the NumPy operations)."""
    return all(a.dtype == np.float32 and a.flags.c_contiguous for a in arrays) and (
        _numba() is not None)


def bias_relu(z: np.ndarray, b: np.ndarray) -> None:
    """z (B, n) = relu(z + b) in place, bit for bit `np.maximum(z + b, 0)`; see `fits`."""
    _kernel("bias_relu")(z, b)


def relu_backward(delta: np.ndarray, a_in: np.ndarray, db: np.ndarray) -> None:
    """delta (B, n) *= a_in > 0 in place and db (n,) = delta.sum(axis=0), bit for bit."""
    _kernel("relu_backward")(delta, a_in, db)
