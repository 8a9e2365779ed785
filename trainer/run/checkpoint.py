"""Per-epoch training checkpoints: one npz of plain arrays plus a JSON string.

Holds the weights, the optimizer state, the best weights so far (for early
stopping) and, as JSON, the config, the epoch count and the RNG state, so a
resumed run continues exactly where the interrupted one stopped. No pickle.
"""

import io
import json
from pathlib import Path

import numpy as np

from trainer.artifact import atomic

FILE = "checkpoint.npz"


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message says which and what to do."""


def save(path: Path, params, opt_arrays: dict, best, meta: dict) -> None:
    """Write atomically: a crash mid-write leaves the previous checkpoint in place."""
    arrays = dict(opt_arrays)
    for i, (w, b) in enumerate(params):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    for i, (w, b) in enumerate(best or ()):
        arrays[f"best_W{i}"], arrays[f"best_b{i}"] = w, b
    arrays["meta"] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic.write_file(path, buf.getvalue(), mode=0o600)


def load(path: Path):
    """(params, optimizer arrays, best params or None, meta) from `path`."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        meta = json.loads(str(arrays.pop("meta")))
    except FileNotFoundError as e:
        raise CheckpointError(f"{path}: no checkpoint to resume from; "
                              "run again without --resume") from e
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise CheckpointError(f"{path}: unreadable checkpoint ({e}); "
                              "delete it and run again without --resume") from e
    n_layers = sum(key.startswith("W") for key in arrays)
    try:
        params = [(arrays.pop(f"W{i}"), arrays.pop(f"b{i}")) for i in range(n_layers)]
        best = None
        if "best_W0" in arrays:
            best = [(arrays.pop(f"best_W{i}"), arrays.pop(f"best_b{i}"))
                    for i in range(n_layers)]
    except KeyError as e:
        raise CheckpointError(f"{path}: array {e} is missing; "
                              "delete it and run again without --resume") from e
    return params, arrays, best, meta
