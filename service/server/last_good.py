"""The gunicorn master's copy of the last artifact that passed its check.

A HUP replaces every worker, and each new worker loads MODEL_DIR afresh. Were the
artifact there broken (truncated, tampered, half copied by hand), every new worker
would be unready and the service would answer 503 until someone repaired it. So the
master checks the artifact on start and on each HUP (trainer/artifact/integrity.py,
the loader's own check, in the standard library), copies the very bytes it checked into
a directory of its own, and points the workers' MODEL_DIR there; a HUP onto a
broken artifact logs one error and the new workers load the last good copy. Each
worker still runs the loader's full verification.
"""

import hashlib
from pathlib import Path

from trainer.artifact import atomic, integrity
from trainer.artifact.integrity import MANIFEST_FILE, WEIGHTS_FILE, ArtifactError


def keep(model_dir, store, accept=None) -> tuple[Path, str]:
    """Copies the checked artifact in `model_dir` into `store`; returns (copy, version).

    `accept(copy)` may refuse the copy with a reason (the workers' full check, run by
    the master in a child process). Earlier copies are removed once the new one is
    accepted: workers hold their model in memory once loaded. Raises ArtifactError,
    and leaves the earlier copies as they were, when a check fails.
    """
    checked = integrity.check(model_dir)
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)  # another master may have removed it on exit
    copy = store / hashlib.sha256(checked.manifest_bytes).hexdigest()[:16]
    if not copy.is_dir():
        def fill(directory: Path) -> None:
            (directory / MANIFEST_FILE).write_bytes(checked.manifest_bytes)
            (directory / WEIGHTS_FILE).write_bytes(checked.weights)

        atomic.publish_dir(copy, fill)
    reason = accept(copy) if accept is not None else None
    if reason:
        atomic.remove_tree(copy)
        raise ArtifactError(f"{Path(model_dir)}: {reason}")
    for old in store.iterdir():
        if old != copy:
            atomic.remove_tree(old)
    return copy, str(checked.manifest["version"])
