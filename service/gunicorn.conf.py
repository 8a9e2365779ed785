# ruff: noqa: N999 - gunicorn looks for this file name; it is not imported as a module
"""gunicorn settings: `gunicorn -c service/gunicorn.conf.py "service:create_app()"`.

Environment: BIND_HOST (default 127.0.0.1; the container sets 0.0.0.0), PORT (8000),
WEB_CONCURRENCY (workers; default the CPUs this process may use), LOG_LEVEL (INFO),
READ_TIMEOUT (10: seconds a client may go silent in the middle of a request),
MODEL_DIR (read by the app), PROMETHEUS_MULTIPROC_DIR (a fresh temporary directory
when unset). Command-line flags and GUNICORN_CMD_ARGS override what is set here.

gunicorn reads this file in the master before any worker imports the app, so the
environment set here is what every worker starts with. Nothing here imports numpy
(or the `service` package, which would): preload_app stays False, so each worker,
including those a HUP starts, imports the app and loads MODEL_DIR afresh.

On start and on each HUP the master checks the artifact in MODEL_DIR and hands the
workers a copy of it; a HUP onto a broken artifact keeps the last good one (see
service/last_good.py).
"""

import importlib.util
import logging
import os
import shutil
import socket
import struct
import sys
import tempfile
from pathlib import Path

# One BLAS/OpenMP thread per worker, set before any worker imports numpy: the workers are
# the parallelism, and a thread pool in each would oversubscribe the CPUs.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# prometheus_client picks multiprocess mode when it is imported, so this must be in the
# environment before a worker imports it. A HUP reads this file again: the marker says
# the directory is ours (to delete on exit) rather than given (to wipe on start).
_OWNED = "MNIST_SERVICE_OWNS_METRICS_DIR"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="mnist-service-metrics-")
    os.environ[_OWNED] = "1"
METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
os.makedirs(METRICS_DIR, exist_ok=True)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(f"gunicorn.conf.py: environment variable {name}={raw!r}: expected a "
                         "positive integer")
    return value


_host = os.environ.get("BIND_HOST", "127.0.0.1")
_port = _int_env("PORT", 8000)
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]  # [::] for IPv6
# The CPUs this process may run on (a cpuset), where the OS can tell; not a CFS quota.
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = _int_env("WEB_CONCURRENCY", _cpus or 1)
# Threads let a worker hold kept-alive connections and slow uploads without blocking
# its other requests; the GIL is released in the BLAS calls that do the work.
worker_class = "gthread"
threads = 2
timeout = 30          # a worker silent this long is killed and replaced
# A client silent this long in the middle of a request (its headers or its body) is cut
# off. Each request holds one of a worker's threads while it is read, and gunicorn
# itself never gives up on a client that stops sending: a vanished client, or a few
# stalled on purpose, would hold every thread, and the service would stop answering.
READ_TIMEOUT = _int_env("READ_TIMEOUT", 10)
graceful_timeout = 8  # below a container engine's 10 s stop timeout: drain, then exit 0
keepalive = 5
# Recycle workers now and then (bounded memory growth), staggered so they do not all
# restart at once.
max_requests = 10000
max_requests_jitter = 1000
if os.path.isdir("/dev/shm"):
    # A disk-backed /tmp can stall the heartbeat file writes and get workers killed.
    worker_tmp_dir = "/dev/shm"
preload_app = False
# gunicorn >= 25 opens a control socket at a fixed path under $HOME by default: two
# servers on one host would collide, and the container's file system is read-only.
control_socket_disable = True

# JSON lines on stdout for gunicorn's own logs too, formatted by service/logs.py, which
# is loaded by path so that the `service` package (and numpy) stays out of the master.
_LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
if _LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise SystemExit(f"gunicorn.conf.py: LOG_LEVEL={_LOG_LEVEL!r}: expected DEBUG, INFO, "
                     "WARNING, ERROR or CRITICAL")
loglevel = _LOG_LEVEL.lower()
accesslog = None  # the app logs each request (with its request id); no second line


def _load_by_path(name: str):
    """service/<name>.py as a module, without importing the `service` package."""
    spec = importlib.util.find_spec("service")
    if spec is None or not spec.origin:
        raise RuntimeError("gunicorn.conf.py: cannot find the `service` package; run from "
                           "the repository root or install the project")
    path = Path(spec.origin).parent / f"{name}.py"
    mod_spec = importlib.util.spec_from_file_location(f"_service_{name}_for_gunicorn", path)
    module = importlib.util.module_from_spec(mod_spec)
    sys.modules[mod_spec.name] = module
    mod_spec.loader.exec_module(module)
    return module


class _SilentClientFilter(logging.Filter):
    """gunicorn reports a client cut off by READ_TIMEOUT as "Socket error processing
    request." with a traceback, as if the server had failed: say what happened instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "gunicorn.error" and record.exc_info \
                and isinstance(record.exc_info[1], BlockingIOError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = ("closed a connection whose client sent nothing for %d s in the "
                          "middle of a request (READ_TIMEOUT)")
            record.args = (READ_TIMEOUT,)
            record.exc_info = record.exc_text = None
        return True


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": _load_by_path("logs").JsonFormatter}},
    "filters": {"silent_client": {"()": _SilentClientFilter}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                            "filters": ["silent_client"], "stream": "ext://sys.stdout"}},
    "root": {"level": _LOG_LEVEL, "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": _LOG_LEVEL, "handlers": [], "propagate": True},
        # gunicorn logs an access line whenever a log config is given; the app's is richer.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}


# Workers load a copy of the last artifact that passed the master's check (see
# service/last_good.py), so that a HUP onto a broken artifact keeps the old model.
# The operator's MODEL_DIR is remembered here: this file is read again on each HUP,
# when MODEL_DIR already names the copy.
_last_good = _load_by_path("last_good")
_SOURCE, _STORE = "MNIST_SERVICE_MODEL_SOURCE", "MNIST_SERVICE_MODEL_COPIES"
os.environ.setdefault(_SOURCE, os.environ.get("MODEL_DIR") or str(_last_good.DEFAULT_MODEL_DIR))


def _choose_model(server, event: str) -> None:
    """Points the workers' MODEL_DIR at a checked copy of the source artifact."""
    source = os.environ[_SOURCE]
    try:
        if not os.environ.get(_STORE):
            os.environ[_STORE] = tempfile.mkdtemp(prefix="mnist-service-models-")
        copy, version = _last_good.keep(source, os.environ[_STORE])
    except _last_good.BrokenArtifact as e:
        if os.environ.get("MODEL_DIR") not in (None, source):
            server.log.error("%s: not loading %s: %s; workers keep the last good copy, %s",
                             event, source, e, os.environ["MODEL_DIR"])
        else:  # nothing good yet: the workers load the source and say why it is unready
            os.environ["MODEL_DIR"] = source
        return
    except OSError as e:  # no room for a copy (a full or read-only /tmp): go without one
        server.log.warning("%s: cannot copy the model to %s (%s); workers load %s directly",
                           event, os.environ.get(_STORE) or tempfile.gettempdir(), e, source)
        os.environ["MODEL_DIR"] = source
        return
    os.environ["MODEL_DIR"] = str(copy)
    server.log.info("%s: model %s from %s, checked and copied to %s", event, version,
                    source, copy)


def on_starting(server):
    # Python warnings (a Pillow DecompressionBombWarning that any client can provoke, say)
    # become JSON log lines like the rest, not bare text on stderr; workers inherit this.
    logging.captureWarnings(True)
    if os.environ.get(_OWNED) != "1":
        # A directory given to us may hold a previous run's files; their counts would
        # be added to ours.
        for stale in Path(METRICS_DIR).glob("*.db"):
            stale.unlink()
    server.log.info("metrics directory %s", METRICS_DIR)
    _choose_model(server, "start")


def _limit_client_silence(server) -> None:
    """SO_RCVTIMEO on the listening sockets: every accepted connection inherits it, so a
    blocking read from a client silent for READ_TIMEOUT seconds fails with EAGAIN."""
    timeval = struct.pack("ll", READ_TIMEOUT, 0)
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)


def when_ready(server):
    _limit_client_silence(server)


def on_reload(server):
    _limit_client_silence(server)  # a HUP that changes the address makes new listeners
    _choose_model(server, "HUP")


def child_exit(server, worker):
    # Drops the dead worker's live gauges (model_info, model_ready); its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get(_OWNED) == "1":
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
    if os.environ.get(_STORE):
        shutil.rmtree(os.environ[_STORE], ignore_errors=True)
