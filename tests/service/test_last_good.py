"""The master's checked copy of the artifact, and a HUP onto a broken one under gunicorn."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from service import last_good
from tests.conftest import write_tiny_model
from tests.service.conftest import CONF
from trainer import loader

MAX_REQUESTS = 2000  # bounds the background load of the HUP test
WAIT = 30.0  # seconds allowed for workers to be replaced on a busy 2-core machine


def test_read_checked_returns_the_bytes_it_checked(tiny_model_dir):
    manifest_bytes, weights, version = last_good.read_checked(tiny_model_dir)
    assert manifest_bytes == (tiny_model_dir / "model.json").read_bytes()
    assert weights == (tiny_model_dir / "model.npz").read_bytes()
    assert version == json.loads(manifest_bytes)["version"]


def test_a_truncated_weights_file_is_broken(tiny_model_dir):
    npz = tiny_model_dir / "model.npz"
    npz.write_bytes(npz.read_bytes()[:-10])
    with pytest.raises(last_good.BrokenArtifact, match=r"model\.npz: sha256 .* truncated"):
        last_good.read_checked(tiny_model_dir)


def test_a_missing_artifact_or_field_is_broken(tmp_path, tiny_model_dir):
    with pytest.raises(last_good.BrokenArtifact, match=r"model\.json: cannot read"):
        last_good.read_checked(tmp_path / "nowhere")
    manifest = json.loads((tiny_model_dir / "model.json").read_text())
    del manifest["files"]
    (tiny_model_dir / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(last_good.BrokenArtifact, match=r"files\.model\.npz\.sha256"):
        last_good.read_checked(tiny_model_dir)


def test_keep_copies_a_loadable_artifact_and_drops_older_copies(tmp_path, tiny_model_dir):
    store = tmp_path / "store"
    store.mkdir()
    first, version = last_good.keep(tiny_model_dir, store)
    original, copied = loader.load(tiny_model_dir), loader.load(first)
    assert copied.version == version == original.version
    for (w, b), (cw, cb) in zip(original.params, copied.params, strict=True):
        assert np.array_equal(w, cw) and np.array_equal(b, cb)
    write_tiny_model(tiny_model_dir, seed=1)
    second, _ = last_good.keep(tiny_model_dir, store)
    assert list(store.iterdir()) == [second] and second != first
    (tiny_model_dir / "model.npz").write_bytes(b"not an npz")
    with pytest.raises(last_good.BrokenArtifact):
        last_good.keep(tiny_model_dir, store)
    assert list(store.iterdir()) == [second]


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_hup_onto_a_truncated_artifact_keeps_the_last_good_model(gunicorn_server,
                                                                 tiny_model_dir):
    old = json.loads((tiny_model_dir / "model.json").read_text())["version"]
    server = gunicorn_server(tiny_model_dir, workers=2)

    def ready_lines() -> int:
        return sum("model ready" in r.get("msg", "") for r in server.log_records())

    npz = tiny_model_dir / "model.npz"
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
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
    assert "model.npz: sha256" in errors[0] and "last good copy" in errors[0]
    # Repaired, a second HUP serves the new model.
    new = write_tiny_model(tiny_model_dir, seed=1)["version"]
    os.kill(server.proc.pid, signal.SIGHUP)
    _wait_for(lambda: server.get_json("/model")["version"] == new, "the repaired model")


_PREAMBLE = """
import json, os, runpy, sys
from pathlib import Path
sys.path.insert(0, os.getcwd())
from tests.conftest import write_tiny_model

class Log:
    def __init__(self): self.lines = []
    def info(self, msg, *args): self.lines.append("INFO " + msg % args)
    def warning(self, msg, *args): self.lines.append("WARNING " + msg % args)
    def error(self, msg, *args): self.lines.append("ERROR " + msg % args)

class Server:
    log = Log()
    LISTENERS = []

source = Path(os.environ["MODEL_DIR"])
"""
_HOOKS = _PREAMBLE + """
conf = runpy.run_path(sys.argv[1])
steps = []
conf["on_starting"](Server)                 # source broken at start
steps.append(os.environ["MODEL_DIR"])
version = write_tiny_model(source, seed=3)["version"]
conf = runpy.run_path(sys.argv[1])          # gunicorn reads the file again on HUP
conf["on_reload"](Server)                   # repaired
steps.append(os.environ["MODEL_DIR"])
(source / "model.npz").write_bytes(b"broken again")
conf = runpy.run_path(sys.argv[1])
conf["on_reload"](Server)                   # broken again: keep the copy
steps.append(os.environ["MODEL_DIR"])
conf["on_exit"](Server)
print(json.dumps({"steps": steps, "version": version, "log": Server.log.lines,
                  "store_left": Path(steps[1]).exists()}))
"""
_NO_ROOM = _PREAMBLE + """
write_tiny_model(source)
runpy.run_path(sys.argv[1])["on_starting"](Server)
print(json.dumps({"model_dir": os.environ["MODEL_DIR"], "log": Server.log.lines}))
"""


def _run_hooks(script: str, source, tmp_path, **env_vars) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MNIST_SERVICE_MODEL_SOURCE", "MNIST_SERVICE_MODEL_COPIES")}
    env.update(MODEL_DIR=str(source), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
               **env_vars)
    out = subprocess.run([sys.executable, "-c", script, str(CONF)], cwd=CONF.parents[1],
                         env=env, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_master_hooks_use_the_source_until_a_good_copy_exists(tmp_path):
    source = tmp_path / "model"
    source.mkdir()
    (source / "model.json").write_text("{}")
    got = _run_hooks(_HOOKS, source, tmp_path)
    start, repaired, kept = got["steps"]
    assert start == str(source)  # workers load the source and report why it is unready
    assert repaired != str(source) and kept == repaired
    assert json.loads((source / "model.json").read_text())["version"] == got["version"]
    errors = [line for line in got["log"] if line.startswith("ERROR")]
    assert len(errors) == 1 and "model.npz: sha256" in errors[0] and repaired in errors[0]
    assert not got["store_left"]  # on_exit removes the copies


def test_with_no_room_for_a_copy_workers_load_the_source(tmp_path):
    source, blocker = tmp_path / "model", tmp_path / "a-file"
    blocker.write_text("")
    got = _run_hooks(_NO_ROOM, source, tmp_path,
                     MNIST_SERVICE_MODEL_COPIES=str(blocker / "copies"))
    assert got["model_dir"] == str(source)
    warnings = [line for line in got["log"] if line.startswith("WARNING")]
    assert len(warnings) == 1 and "cannot copy the model" in warnings[0], got["log"]
    assert f"workers load {source} directly" in warnings[0]
