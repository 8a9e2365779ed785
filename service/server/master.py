"""What the gunicorn master does, as gunicorn hooks; conf.py holds the settings.

It prepares the workers' environment, keeps its temporary directories
(tempdirs.py), and on start and on each HUP hands the workers a checked copy of
MODEL_DIR: a HUP onto a broken artifact, or one the workers' full check (run here
in a child process, service/model/verify.py) refuses, keeps the last good model
(last_good.py).
"""

import atexit
import logging
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from service import settings
from service.server import handover, last_good, tempdirs
from service.settings import (
    BLAS_THREADS_ENV,
    METRICS_DIR_ENV,
    MODEL_COPIES_ENV,
    MODEL_DIR,
    MODEL_SOURCE_ENV,
    SHARED_WEIGHTS_ENV,
)
from trainer.artifact.integrity import ArtifactError

VERIFY = "service.model.verify"  # run with -m: the workers' full check of an artifact
CHECK_SECONDS = 120  # for the child that runs the workers' full check of a new artifact


def prepare_environment(environ=os.environ) -> None:
    """One BLAS thread per worker (the workers are the parallelism), and the source model."""
    for var in BLAS_THREADS_ENV:
        environ.setdefault(var, "1")
    environ.setdefault(MODEL_SOURCE_ENV,
                       environ.get(MODEL_DIR) or str(settings.DEFAULT_MODEL_DIR))


def metrics_dir() -> str:
    """The Prometheus multiprocess directory: the operator's (wiped) or one of our own."""
    given = os.environ.get(METRICS_DIR_ENV)
    if given and given not in tempdirs.owned():
        os.makedirs(given, exist_ok=True)
        for stale in Path(given).glob("*.db"):  # a previous run's counts would add to ours
            stale.unlink()
        return given
    if not given:
        os.environ[METRICS_DIR_ENV] = tempdirs.make("metrics")
    return os.environ[METRICS_DIR_ENV]


def share_weights(server) -> None:
    """A directory in /dev/shm where the workers keep one copy of the weights."""
    if os.environ.get(SHARED_WEIGHTS_ENV) or not os.access(tempdirs.SHM, os.W_OK):
        return
    try:
        os.environ[SHARED_WEIGHTS_ENV] = tempdirs.make("weights", base=tempdirs.SHM)
    except OSError as e:  # each worker then keeps its own copy, as without gunicorn
        server.log.warning("cannot share the weights between workers in %s (%s)", tempdirs.SHM, e)


def grpc_port(server) -> None:
    """Stops the start if GRPC_PORT is taken (the workers bind it with SO_REUSEPORT, so
    they would share it with another server of this user's rather than fail), and makes
    the workers' directory for handing it over on a HUP (handover.py)."""
    values = settings.server()
    host, port = values["BIND_HOST"], values["GRPC_PORT"]
    if not port:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind((host, port))
        except OSError as e:
            raise SystemExit(f"mnist-service: GRPC_PORT={port}: cannot listen on {host}:{port}"
                             f" ({e.strerror or e}); stop what holds it, choose another "
                             "GRPC_PORT, or set GRPC_PORT=0 to serve no gRPC") from e
    server.log.info("gRPC on %s:%s", host, port)
    try:
        tempdirs.make(handover.KIND,
                      base=tempdirs.SHM if os.access(tempdirs.SHM, os.W_OK) else None)
    except OSError as e:  # a read-only /tmp: the workers then close the port on a HUP at once
        server.log.warning("cannot make the gRPC hand-over directory (%s): on a HUP, gRPC "
                           "connections may be refused until the new workers are up", e)


def full_check(model_dir) -> str | None:
    """The workers' own verification of `model_dir`, in a short-lived child process (the
    master must not import numpy); None when it passes, else the reason."""
    try:
        out = subprocess.run([sys.executable, "-m", VERIFY, str(model_dir)],
                             capture_output=True, text=True, timeout=CHECK_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return f"the full check took over {CHECK_SECONDS} s"
    if out.returncode == 0:
        return None
    return (out.stderr.strip().splitlines() or ["the full check failed"])[-1]


def choose_model(server, event: str) -> None:
    """Points the workers' MODEL_DIR at a checked copy of the source artifact."""
    source = os.environ[MODEL_SOURCE_ENV]
    try:
        if not os.environ.get(MODEL_COPIES_ENV):
            os.environ[MODEL_COPIES_ENV] = tempdirs.make("models")
        copy, version = last_good.keep(source, os.environ[MODEL_COPIES_ENV],
                                       accept=full_check)
    except ArtifactError as e:
        if os.environ.get(MODEL_DIR) not in (None, source):
            server.log.error("%s: not loading %s: %s; workers keep the last good copy, %s",
                             event, source, e, os.environ[MODEL_DIR])
        else:  # nothing good yet: the workers load the source and say why it is unready
            os.environ[MODEL_DIR] = source
        return
    except OSError as e:  # no room for a copy (a full or read-only /tmp): go without one
        server.log.warning("%s: cannot copy the model to %s (%s); workers load %s directly",
                           event, os.environ.get(MODEL_COPIES_ENV) or tempfile.gettempdir(), e,
                           source)
        os.environ[MODEL_DIR] = source
        return
    os.environ[MODEL_DIR] = str(copy)
    server.log.info("%s: model %s from %s, checked and copied to %s", event, version,
                    source, copy)


def on_starting(server) -> None:
    # Python warnings (a Pillow DecompressionBombWarning that any client can provoke, say)
    # become JSON log lines like the rest, not bare text on stderr; workers inherit this.
    logging.captureWarnings(True)
    for path in tempdirs.remove_orphans():
        server.log.info("removed %s, left by a master that no longer runs", path)
    atexit.register(tempdirs.remove_owned, os.getpid())  # a failed start (a port in use) too
    server.log.info("metrics directory %s", metrics_dir())
    share_weights(server)
    grpc_port(server)
    choose_model(server, "start")


def on_reload(server) -> None:
    choose_model(server, "HUP")


def child_exit(server, worker) -> None:
    # Drops the dead worker's live gauges (model_info, model_ready); its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    tempdirs.remove_owned()
