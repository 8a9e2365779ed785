"""The master's checked copy of the artifact, and a HUP onto a broken one under gunicorn."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

from service.server import last_good
from tests.conftest import write_tiny_model
from tests.helpers.artifacts import WRONG_CONTENTS
from trainer.artifact import store
from trainer.artifact.integrity import ArtifactError

MAX_REQUESTS = 2000  # bounds the background load of the HUP test
WAIT = 30.0  # seconds allowed for workers to be replaced on a busy 2-core machine


def test_keep_copies_a_loadable_artifact_and_drops_older_copies(tmp_path, tiny_model_dir):
    copies = tmp_path / "copies"
    copies.mkdir()
    first, version = last_good.keep(tiny_model_dir, copies)
    original, copied = store.load(tiny_model_dir), store.load(first)
    assert copied.version == version == original.version
    for (w, b), (cw, cb) in zip(original.params, copied.params, strict=True):
        assert np.array_equal(w, cw) and np.array_equal(b, cb)
    write_tiny_model(tiny_model_dir, seed=1)
    second, _ = last_good.keep(tiny_model_dir, copies)
    assert list(copies.iterdir()) == [second] and second != first
    (tiny_model_dir / "model.npz").write_bytes(b"not an npz")
    with pytest.raises(ArtifactError):
        last_good.keep(tiny_model_dir, copies)
    assert list(copies.iterdir()) == [second]


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _truncate(d):
    npz = d / "model.npz"
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])


@pytest.mark.parametrize(("breaks", "says"), [
    pytest.param(_truncate, "model.npz: sha256", id="truncated"), *WRONG_CONTENTS])
def test_hup_onto_a_broken_artifact_keeps_the_last_good_model(gunicorn_server, tiny_model_dir,
                                                              breaks, says):
    """Broken bytes fail the master's own check; contents that cannot be served (their
    SHA-256 matches) fail the workers' full check, which the master runs in a child."""
    old = json.loads((tiny_model_dir / "model.json").read_text())["version"]
    server = gunicorn_server(tiny_model_dir, workers=2)

    def ready_lines() -> int:
        return sum("model ready" in r.get("msg", "") for r in server.log_records())

    breaks(tiny_model_dir)
    stop, seen, failures = threading.Event(), [], []
    loader_thread = threading.Thread(target=server.predict_until, args=(stop, seen, failures),
                                     kwargs={"max_requests": MAX_REQUESTS, "seconds": 2 * WAIT})
    loader_thread.start()
    try:
        _wait_for(lambda: len(seen) >= 10 or not loader_thread.is_alive(), "first answers")
        os.kill(server.proc.pid, signal.SIGHUP)
        _wait_for(lambda: ready_lines() >= 4, "two new workers")  # 2 at start, 2 after HUP
        count = len(seen)
        _wait_for(lambda: len(seen) >= count + 10 or not loader_thread.is_alive(),
                  "answers from the new workers")
    finally:
        stop.set()
        loader_thread.join(2 * WAIT)
    assert failures == [] and set(seen) == {old}
    assert server.get_json("/readyz")["model"]["version"] == old
    errors = [r["msg"] for r in server.log_records() if r.get("level") == "ERROR"]
    assert len(errors) == 1 and "HUP: not loading" in errors[0], errors
    assert says in errors[0] and "last good copy" in errors[0]
    # Repaired, a second HUP serves the new model.
    new = write_tiny_model(tiny_model_dir, seed=1)["version"]
    os.kill(server.proc.pid, signal.SIGHUP)
    _wait_for(lambda: server.get_json("/model")["version"] == new, "the repaired model")
