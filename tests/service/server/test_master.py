"""The gunicorn master's hooks (service/server/master.py), called directly, and its start-up."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service import settings
from service.server import master, tempdirs
from tests.conftest import write_tiny_model
from tests.helpers.servers import CONF, ROOT, Gunicorn, free_port


class Log:
    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append("INFO " + msg % args)

    def warning(self, msg, *args):
        self.lines.append("WARNING " + msg % args)

    def error(self, msg, *args):
        self.lines.append("ERROR " + msg % args)


class FakeServer:
    def __init__(self):
        self.log = Log()


@pytest.fixture
def master_env(monkeypatch, tmp_path):
    """A clean environment for the hooks (restored after), temp dirs under tmp_path."""
    saved = dict(os.environ)
    for var in (settings.MODEL_SOURCE_ENV, settings.MODEL_COPIES_ENV, settings.OWNED_DIRS_ENV,
                settings.METRICS_DIR_ENV, settings.MODEL_DIR,
                *settings.BLAS_THREADS_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    yield tmp_path
    tempdirs.remove_owned()
    os.environ.clear()
    os.environ.update(saved)


def test_prepare_environment_sets_one_blas_thread_and_the_source(master_env, monkeypatch):
    monkeypatch.setenv("MODEL_DIR", "/srv/model")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # an operator's choice is kept
    master.prepare_environment()
    assert os.environ["OPENBLAS_NUM_THREADS"] == os.environ["MKL_NUM_THREADS"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "3"
    assert os.environ[settings.MODEL_SOURCE_ENV] == "/srv/model"


def test_the_model_hooks_use_the_source_until_a_good_copy_exists(master_env):
    source = master_env / "model"
    source.mkdir()
    (source / "model.json").write_text("{}")
    os.environ[settings.MODEL_SOURCE_ENV] = str(source)
    server = FakeServer()
    master.choose_model(server, "start")  # broken at start: workers load it and say why
    assert os.environ["MODEL_DIR"] == str(source)
    version = write_tiny_model(source, seed=3)["version"]
    master.choose_model(server, "HUP")  # repaired: a checked copy
    copy = Path(os.environ["MODEL_DIR"])
    assert copy != source and json.loads((copy / "model.json").read_text())["version"] == version
    (source / "model.npz").write_bytes(b"broken again")
    master.choose_model(server, "HUP")  # broken again: keep the copy
    assert os.environ["MODEL_DIR"] == str(copy)
    errors = [line for line in server.log.lines if line.startswith("ERROR")]
    assert len(errors) == 1 and "model.npz: sha256" in errors[0] and str(copy) in errors[0]
    master.on_exit(server)
    assert not copy.exists()


def test_with_no_room_for_a_copy_workers_load_the_source(master_env):
    source, blocker = master_env / "model", master_env / "a-file"
    write_tiny_model(source)
    blocker.write_text("")
    os.environ[settings.MODEL_SOURCE_ENV] = str(source)
    os.environ[settings.MODEL_COPIES_ENV] = str(blocker / "copies")
    server = FakeServer()
    master.choose_model(server, "start")
    assert os.environ["MODEL_DIR"] == str(source)
    (warning,) = [line for line in server.log.lines if line.startswith("WARNING")]
    assert "cannot copy the model" in warning and f"workers load {source} directly" in warning


def test_orphans_of_dead_masters_are_removed_and_live_ones_kept(master_env):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = master_env / f"{tempdirs.PREFIX}{dead}-metrics-abc"
    live = master_env / f"{tempdirs.PREFIX}{os.getpid()}-models-abc"
    other = master_env / "someone-elses-dir"
    for path in (orphan, live, other):
        path.mkdir()
    assert tempdirs.remove_orphans(str(master_env)) == [str(orphan)]
    assert not orphan.exists() and live.exists() and other.exists()


def test_owned_dirs_go_with_their_master_only(master_env):
    path = Path(tempdirs.make("metrics"))
    assert path.name.startswith(f"{tempdirs.PREFIX}{os.getpid()}-metrics-")
    tempdirs.remove_owned(pid=os.getpid() + 1)  # as in a forked worker: not its dirs
    assert path.exists()
    tempdirs.remove_owned(pid=os.getpid())
    assert not path.exists()


def test_a_given_metrics_dir_is_wiped_of_old_counts(master_env):
    given = master_env / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old")
    os.environ[settings.METRICS_DIR_ENV] = str(given)
    assert master.metrics_dir() == str(given)
    assert list(given.iterdir()) == []


def _serve(tmp_path, **env) -> subprocess.CompletedProcess:
    """`python -m service`, as `make serve` and the image start it, to its exit."""
    ours = (settings.METRICS_DIR_ENV, settings.MODEL_SOURCE_ENV, settings.MODEL_COPIES_ENV,
            settings.OWNED_DIRS_ENV)
    environ = {k: v for k, v in os.environ.items() if k not in ours}
    # GRPC_PORT=0 unless a test sets it: the default 8001 may be taken on this machine.
    environ.update({"TMPDIR": str(tmp_path), "BIND_HOST": "127.0.0.1", "GRPC_PORT": "0", **env})
    return subprocess.run([sys.executable, "-m", "service"], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("WEB_CONCURRENCY", "abc", "WEB_CONCURRENCY='abc': expected a whole number"),
    ("MAX_BATCH", "0", "MAX_BATCH=0: must be at least 1"),
    ("MAX_DIGITS", "0", "MAX_DIGITS=0: must be at least 1"),
    ("READ_TIMEOUT", "-1", "READ_TIMEOUT=-1: must be at least 1"),
    ("READ_TIMEOUT", "ten", "READ_TIMEOUT='ten': expected a whole number"),
    ("LOG_LEVEL", "bogus", "LOG_LEVEL='bogus': expected one of DEBUG"),
    ("PORT", "http", "PORT='http': expected a whole number"),
    ("GRPC_PORT", "-1", "GRPC_PORT=-1: must be at least 0"),
    ("GRPC_PORT", "8000", "GRPC_PORT=8000 is PORT too"),
    ("GRPC_PORT", "70000", "GRPC_PORT=70000: a port is at most 65535"),
    ("MAX_INFLIGHT", "-1", "MAX_INFLIGHT=-1: must be at least 0"),
    ("MAX_INFLIGHT", "2000", "MAX_INFLIGHT=2000 is over WORKER_CONNECTIONS=1000"),
])
def test_a_bad_setting_stops_the_start_naming_it_and_leaves_nothing(tmp_path, variable,
                                                                     value, says):
    out = _serve(tmp_path, **{variable: value})
    assert out.returncode != 0
    assert says in out.stderr and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []
    if variable != "WEB_CONCURRENCY":  # gunicorn itself int()s that one at import
        out = subprocess.run([sys.executable, "-m", "gunicorn", "-c", str(CONF),
                              "service:create_app()"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "TMPDIR": str(tmp_path), variable: value},
                             timeout=60, check=False)
        assert out.returncode != 0 and says in out.stderr, out.stderr[-2000:]
        assert list(tmp_path.iterdir()) == []


def test_a_port_in_use_leaves_no_temp_dirs(tmp_path, tiny_model_dir):
    import socket

    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        out = _serve(tmp_path, PORT=str(port), MODEL_DIR=str(tiny_model_dir),
                        GUNICORN_CMD_ARGS="--timeout 5")
    assert out.returncode != 0
    assert list(tmp_path.glob(f"{tempdirs.PREFIX}*")) == [], out.stdout[-2000:]


def test_a_grpc_port_in_use_stops_the_start_naming_it_and_leaves_nothing(tmp_path,
                                                                         tiny_model_dir):
    import socket

    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        out = _serve(tmp_path, PORT=str(free_port()), GRPC_PORT=str(port),
                     MODEL_DIR=str(tiny_model_dir))
    assert out.returncode != 0
    assert f"GRPC_PORT={port}: cannot listen on 127.0.0.1:{port}" in out.stderr, out.stderr
    assert "GRPC_PORT=0 to serve no gRPC" in out.stderr and "Traceback" not in out.stderr
    assert list(tmp_path.glob(f"{tempdirs.PREFIX}*")) == [], out.stdout[-2000:]


def test_the_master_makes_a_shared_weights_dir_in_dev_shm(master_env):
    if not os.access(tempdirs.SHM, os.W_OK):
        pytest.skip("no writable /dev/shm here")
    server = FakeServer()
    master.share_weights(server)
    path = Path(os.environ[settings.SHARED_WEIGHTS_ENV])
    assert path.parent == Path(tempdirs.SHM) and path.is_dir()
    assert path.name.startswith(f"{tempdirs.PREFIX}{os.getpid()}-weights-")
    master.on_exit(server)
    assert not path.exists()


def test_the_temp_dirs_of_a_killed_master_go_at_the_next_start(tmp_path, tiny_model_dir):
    env = {"TMPDIR": str(tmp_path)}
    first = Gunicorn(model_dir=tiny_model_dir, workers=1, env=env, log_dir=tmp_path)
    pid = first.proc.pid
    left = [*tmp_path.glob(f"{tempdirs.PREFIX}{pid}-*"),
            *Path(tempdirs.SHM).glob(f"{tempdirs.PREFIX}{pid}-*")]
    first.stop(signal.SIGKILL)  # no on_exit, no atexit: its directories stay
    assert left and all(p.exists() for p in left)
    time.sleep(2)  # its worker notices its parent is gone and exits
    second = Gunicorn(model_dir=tiny_model_dir, workers=1, env=env, log_dir=tmp_path)
    try:
        assert not any(p.exists() for p in left)
        removed = [r["msg"] for r in second.log_records() if "no longer runs" in r["msg"]]
        assert len(removed) == len(left)
    finally:
        second.stop()
