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
import subprocess
import sys
import tempfile
from pathlib import Path

from gunicorn import glogging

from service import last_good, settings

PREFIX = "mnist-service-"
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
OWNED = "MNIST_SERVICE_OWNED_DIRS"  # os.pathsep-separated: the temp dirs this master made
SOURCE = "MNIST_SERVICE_MODEL_SOURCE"  # the operator's MODEL_DIR; MODEL_DIR becomes the copy
STORE = "MNIST_SERVICE_MODEL_COPIES"
SHARED_ENV = "MNIST_SERVICE_SHARED_DIR"  # /dev/shm dir of the workers' shared weights
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SHM = "/dev/shm"  # memory-backed: the workers' shared weights (service/shared_weights.py)
CHECK_SECONDS = 120  # for the child that runs the workers' full check of a new artifact


def prepare_environment(environ=os.environ) -> None:
    """One BLAS thread per worker (the workers are the parallelism), and the source model."""
    for var in BLAS_THREADS:
        environ.setdefault(var, "1")
    environ.setdefault(SOURCE, environ.get("MODEL_DIR") or str(settings.DEFAULT_MODEL_DIR))


def _owned() -> list[str]:
    return [p for p in os.environ.get(OWNED, "").split(os.pathsep) if p]


def owned_temp_dir(kind: str, base: str | None = None) -> str:
    """A new temp dir named with this process's pid, removed at exit if the start fails."""
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-{kind}-", dir=base)
    os.environ[OWNED] = os.pathsep.join([*_owned(), path])
    return path


def remove_owned_dirs(pid: int | None = None) -> None:
    """Remove this master's temp dirs; in a forked worker (another pid) do nothing."""
    if pid is not None and pid != os.getpid():
        return
    for path in _owned():
        shutil.rmtree(path, ignore_errors=True)
    os.environ.pop(OWNED, None)


def remove_orphans(*directories: str) -> list[str]:
    """Remove temp dirs left by masters that no longer run (killed with SIGKILL, say)."""
    removed = []
    found = [p for d in directories or (tempfile.gettempdir(), SHM)
             for p in Path(d).glob(f"{PREFIX}*-*")]
    for path in found:
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


def share_weights(server) -> None:
    """A directory in /dev/shm where the workers keep one copy of the weights."""
    if os.environ.get(SHARED_ENV) or not os.access(SHM, os.W_OK):
        return
    try:
        os.environ[SHARED_ENV] = owned_temp_dir("weights", base=SHM)
    except OSError as e:  # each worker then keeps its own copy, as without gunicorn
        server.log.warning("cannot share the weights between workers in %s (%s)", SHM, e)


def full_check(model_dir) -> str | None:
    """The workers' own verification of `model_dir`, in a short-lived child process (the
    master must not import numpy); None when it passes, else the reason."""
    try:
        out = subprocess.run([sys.executable, "-m", "service.verify", str(model_dir)],
                             capture_output=True, text=True, timeout=CHECK_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return f"the full check took over {CHECK_SECONDS} s"
    if out.returncode == 0:
        return None
    return (out.stderr.strip().splitlines() or ["the full check failed"])[-1]


def choose_model(server, event: str) -> None:
    """Points the workers' MODEL_DIR at a checked copy of the source artifact."""
    source = os.environ[SOURCE]
    try:
        if not os.environ.get(STORE):
            os.environ[STORE] = owned_temp_dir("models")
        copy, version = last_good.keep(source, os.environ[STORE], accept=full_check)
    except last_good.ArtifactError as e:
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


class SilentClientFilter(logging.Filter):
    """gunicorn reports a client cut off by READ_TIMEOUT as "Socket error processing
    request." with a traceback, as if the server had failed: say what happened instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "gunicorn.error" and record.exc_info \
                and isinstance(record.exc_info[1], TimeoutError | BlockingIOError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = ("closed a connection whose client sent nothing for %d s in the "
                          "middle of a request (READ_TIMEOUT)")
            record.args = (settings.server()["READ_TIMEOUT"],)
            record.exc_info = record.exc_text = None
        return True


class Logger(glogging.Logger):
    """gunicorn's logger without its access line: the app writes a richer one (with the
    request id), and gunicorn would build its own for every request only to drop it."""

    def access(self, resp, req, environ, request_time) -> None:
        return None


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
    share_weights(server)
    choose_model(server, "start")


def on_reload(server) -> None:
    choose_model(server, "HUP")


def child_exit(server, worker) -> None:
    # Drops the dead worker's live gauges (model_info, model_ready); its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    remove_owned_dirs()
