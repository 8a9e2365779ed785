"""What the gunicorn master does, as gunicorn hooks; gunicorn.conf.py holds the settings.

The master never imports numpy (the workers import the app after they fork, so a
HUP re-imports it). It prepares the workers' environment, owns two temporary
directories (the Prometheus files and the checked model copy, both named with its
pid so that a later start can remove those of a master that was killed), and on
start and on each HUP hands the workers a checked copy of MODEL_DIR: a HUP onto a
broken artifact keeps the last good model (service/last_good.py).
"""

import atexit
import logging
import os
import shutil
import socket
import struct
import tempfile
from pathlib import Path

from service import last_good, settings

PREFIX = "mnist-service-"
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
OWNED = "MNIST_SERVICE_OWNED_DIRS"  # os.pathsep-separated: the temp dirs this master made
SOURCE = "MNIST_SERVICE_MODEL_SOURCE"  # the operator's MODEL_DIR; MODEL_DIR becomes the copy
STORE = "MNIST_SERVICE_MODEL_COPIES"
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def prepare_environment(environ=os.environ) -> None:
    """One BLAS thread per worker (the workers are the parallelism), and the source model."""
    for var in BLAS_THREADS:
        environ.setdefault(var, "1")
    environ.setdefault(SOURCE, environ.get("MODEL_DIR") or str(settings.DEFAULT_MODEL_DIR))


def _owned() -> list[str]:
    return [p for p in os.environ.get(OWNED, "").split(os.pathsep) if p]


def owned_temp_dir(kind: str) -> str:
    """A new temp dir named with this process's pid, removed at exit if the start fails."""
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-{kind}-")
    os.environ[OWNED] = os.pathsep.join([*_owned(), path])
    return path


def remove_owned_dirs(pid: int | None = None) -> None:
    """Remove this master's temp dirs; in a forked worker (another pid) do nothing."""
    if pid is not None and pid != os.getpid():
        return
    for path in _owned():
        shutil.rmtree(path, ignore_errors=True)
    os.environ.pop(OWNED, None)


def remove_orphans(directory: str | None = None) -> list[str]:
    """Remove temp dirs left by masters that no longer run (killed with SIGKILL, say)."""
    removed = []
    for path in Path(directory or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = path.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and path.is_dir() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to judge
        return True
    return True


def metrics_dir() -> str:
    """The Prometheus multiprocess directory: the operator's (wiped) or one of our own."""
    given = os.environ.get(METRICS_ENV)
    if given and given not in _owned():
        os.makedirs(given, exist_ok=True)
        for stale in Path(given).glob("*.db"):  # a previous run's counts would add to ours
            stale.unlink()
        return given
    if not given:
        os.environ[METRICS_ENV] = owned_temp_dir("metrics")
    return os.environ[METRICS_ENV]


def choose_model(server, event: str) -> None:
    """Points the workers' MODEL_DIR at a checked copy of the source artifact."""
    source = os.environ[SOURCE]
    try:
        if not os.environ.get(STORE):
            os.environ[STORE] = owned_temp_dir("models")
        copy, version = last_good.keep(source, os.environ[STORE])
    except last_good.BrokenArtifact as e:
        if os.environ.get("MODEL_DIR") not in (None, source):
            server.log.error("%s: not loading %s: %s; workers keep the last good copy, %s",
                             event, source, e, os.environ["MODEL_DIR"])
        else:  # nothing good yet: the workers load the source and say why it is unready
            os.environ["MODEL_DIR"] = source
        return
    except OSError as e:  # no room for a copy (a full or read-only /tmp): go without one
        server.log.warning("%s: cannot copy the model to %s (%s); workers load %s directly",
                           event, os.environ.get(STORE) or tempfile.gettempdir(), e, source)
        os.environ["MODEL_DIR"] = source
        return
    os.environ["MODEL_DIR"] = str(copy)
    server.log.info("%s: model %s from %s, checked and copied to %s", event, version,
                    source, copy)


def limit_client_silence(server) -> None:
    """SO_RCVTIMEO on the listening sockets: every accepted connection inherits it, so a
    blocking read from a client silent for READ_TIMEOUT seconds fails with EAGAIN."""
    timeval = struct.pack("ll", settings.server()["READ_TIMEOUT"], 0)
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)


class SilentClientFilter(logging.Filter):
    """gunicorn reports a client cut off by READ_TIMEOUT as "Socket error processing
    request." with a traceback, as if the server had failed: say what happened instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "gunicorn.error" and record.exc_info \
                and isinstance(record.exc_info[1], BlockingIOError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = ("closed a connection whose client sent nothing for %d s in the "
                          "middle of a request (READ_TIMEOUT)")
            record.args = (settings.server()["READ_TIMEOUT"],)
            record.exc_info = record.exc_text = None
        return True


def log_config(level: str) -> dict:
    """JSON lines on stdout for gunicorn's own logs too; the app writes the access lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
        "filters": {"silent_client": {"()": SilentClientFilter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "filters": ["silent_client"], "stream": "ext://sys.stdout"}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # gunicorn logs an access line whenever a log config is given; the app's is richer.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def on_starting(server) -> None:
    # Python warnings (a Pillow DecompressionBombWarning that any client can provoke, say)
    # become JSON log lines like the rest, not bare text on stderr; workers inherit this.
    logging.captureWarnings(True)
    for path in remove_orphans():
        server.log.info("removed %s, left by a master that no longer runs", path)
    atexit.register(remove_owned_dirs, os.getpid())  # a failed start (a port in use) too
    server.log.info("metrics directory %s", metrics_dir())
    choose_model(server, "start")


def when_ready(server) -> None:
    limit_client_silence(server)


def on_reload(server) -> None:
    limit_client_silence(server)  # a HUP that changes the address makes new listeners
    choose_model(server, "HUP")


def child_exit(server, worker) -> None:
    # Drops the dead worker's live gauges (model_info, model_ready); its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    remove_owned_dirs()
