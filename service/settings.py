"""Every setting of the service: its default, how the environment spells it, its check.

The app reads APP's defaults, then the environment, then the mapping given to
create_app; gunicorn's config reads the server settings through `server()`.
Each value is checked once at start-up, and a bad one stops the start with the
variable's name, the value and what to set instead. The names of the variables
the gunicorn master sets for its workers are here too: every environment
variable the service reads is named in this module. Standard library only.
"""

import os
from pathlib import Path

from trainer.artifact import MAX_BATCH

# MODEL_DIR when unset: the model shipped beside the package (a source checkout).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIB = 1024 * 1024
MODEL_DIR = "MODEL_DIR"
# Set by the gunicorn master for its workers (service/server/master.py).
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client reads this name itself
MODEL_SOURCE_ENV = "MNIST_SERVICE_MODEL_SOURCE"  # the operator's MODEL_DIR, before the copy
MODEL_COPIES_ENV = "MNIST_SERVICE_MODEL_COPIES"  # where the checked copies are kept
SHARED_WEIGHTS_ENV = "MNIST_SERVICE_SHARED_DIR"  # /dev/shm dir of the workers' shared weights
OWNED_DIRS_ENV = "MNIST_SERVICE_OWNED_DIRS"  # os.pathsep-separated: the master's temp dirs
BLAS_THREADS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# gunicorn's: seconds to drain on SIGTERM, below a container engine's 10 s stop timeout;
# and the workers' heartbeat files, in memory: a disk-backed /tmp can stall their writes.
GRACEFUL_TIMEOUT = 8
HEARTBEAT_DIR = "/dev/shm"

# The feedback store (service/store/) when FEEDBACK_DB is unset: a SQLite file in the
# user's state directory (XDG's), writable without set-up. FEEDBACK_DB=off: no store,
# /feedback answers 404.
DEFAULT_FEEDBACK_DB = "sqlite:///" + str(
    Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    / "mnist-mlp" / "feedback.db")
FEEDBACK_OFF = "off"
FEEDBACK_SCHEMES = ("sqlite", "postgresql", "postgres")

# name: (default, kind, smallest allowed value or None)
APP = {
    MODEL_DIR: (str(DEFAULT_MODEL_DIR), str, None),
    # A phone photo is 2-6 MB as a JPEG; 8 MiB takes it with room to spare.
    "MAX_CONTENT_LENGTH": (8 * MIB, int, 1),
    # JSON tensors are large: 50 digits of float text are about 0.5 MB.
    "V2_MAX_CONTENT_LENGTH": (16 * MIB, int, 1),
    "MAX_BATCH": (MAX_BATCH, int, 1),
    "MAX_IMAGE_PIXELS": (4096 * 4096, int, 1),
    # Digits /read reads in one image: a form's longest numbers (an IBAN's 34 characters)
    # fit, and the candidates it weighs stay a few hundred at most.
    "MAX_DIGITS": (40, int, 1),
    "LOG_LEVEL": ("INFO", str, None),
    # A SQLAlchemy URL: sqlite:///PATH, or postgresql://USER:PASSWORD@HOST:PORT/DB for
    # several replicas; or off.
    "FEEDBACK_DB": (DEFAULT_FEEDBACK_DB, str, None),
    # Corrections kept; past it /feedback answers 507 until some are exported and deleted.
    # A row is about 1 KB: 100000 rows are about 100 MB.
    "FEEDBACK_MAX_ROWS": (100_000, int, 1),
    # Seconds the store may take to connect or to wait for a lock before /feedback answers
    # 503; 2 is libpq's least connect_timeout.
    "FEEDBACK_TIMEOUT": (2, int, 1),
    # When set, /feedback takes only requests with "Authorization: Bearer <token>".
    "FEEDBACK_TOKEN": ("", str, None),
}
SERVER = {
    "BIND_HOST": ("127.0.0.1", str, None),
    "PORT": (8000, int, 1),
    # The Open Inference Protocol over gRPC (service/grpc/), on BIND_HOST like PORT;
    # 8001 as in Triton and KServe. 0 serves no gRPC.
    "GRPC_PORT": (8001, int, 0),
    "WEB_CONCURRENCY": (None, int, 1),  # None: the CPUs this process may run on
    "WORKER_CONNECTIONS": (1000, int, 1),
    # Requests a worker holds at once, in flight or waiting (service/server/shedding.py);
    # past it, 503 at once. 0 holds as many as WORKER_CONNECTIONS and sheds nothing. 32:
    # at 1,024 connections p99 231-240 ms against 265-273 ms with 64 (RELIABILITY.md).
    "MAX_INFLIGHT": (32, int, 0),
    "READ_TIMEOUT": (10, int, 1),
    "LOG_LEVEL": ("INFO", str, None),
}


class SettingError(ValueError):
    """A setting that cannot be used; the message names the variable and the fix."""


def check(name: str, value, kind, low):
    """`value` (from the environment or a mapping) as `kind`, or SettingError."""
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SettingError(f"{name}={value!r}: expected a whole number")
        try:
            value = int(value)
        except ValueError as e:
            raise SettingError(f"{name}={value!r}: expected a whole number, e.g. "
                               f"{name}={low or 1}") from e
        if low is not None and value < low:
            raise SettingError(f"{name}={value}: must be at least {low}")
        return value
    value = str(value)
    if name == "FEEDBACK_DB":
        return _feedback_db(value)
    if name == "LOG_LEVEL":
        if value.upper() not in LOG_LEVELS:
            raise SettingError(f"LOG_LEVEL={value!r}: expected one of {', '.join(LOG_LEVELS)}")
        return value.upper()
    return value


def _feedback_db(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if url != FEEDBACK_OFF and (":" not in url or scheme not in FEEDBACK_SCHEMES):
        shown = url.rsplit("@", maxsplit=1)[-1][:60]  # what follows any password
        raise SettingError(f"FEEDBACK_DB=...{shown!r}: expected a SQLAlchemy URL, "
                           "sqlite:////var/lib/mnist/feedback.db or "
                           f"postgresql://USER:PASSWORD@HOST:5432/DB, or {FEEDBACK_OFF}")
    return url


def resolve(table: dict, overrides=None, environ=os.environ) -> dict:
    """{name: checked value}: defaults, then the environment, then `overrides`."""
    out = {}
    for name, (default, kind, low) in table.items():
        value = default
        if name in environ and environ[name] != "":
            value = environ[name]
        if overrides and name in overrides:
            value = overrides[name]
        out[name] = value if value is None else check(name, value, kind, low)
    return out


def server(environ=os.environ) -> dict:
    """The gunicorn settings, with WEB_CONCURRENCY defaulting to the usable CPUs."""
    values = resolve(SERVER, environ=environ)
    if values["WEB_CONCURRENCY"] is None:
        # The CPUs this process may run on (a cpuset), where the OS can tell; not a quota.
        cpus = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count())
        values["WEB_CONCURRENCY"] = cpus or 1
    if values["GRPC_PORT"] == values["PORT"]:
        raise SettingError(f"GRPC_PORT={values['GRPC_PORT']} is PORT too: gRPC needs a port of "
                           "its own, e.g. GRPC_PORT=8001, or GRPC_PORT=0 to serve no gRPC")
    if values["MAX_INFLIGHT"] > values["WORKER_CONNECTIONS"]:
        raise SettingError(f"MAX_INFLIGHT={values['MAX_INFLIGHT']} is over WORKER_CONNECTIONS="
                           f"{values['WORKER_CONNECTIONS']}, the most a worker can hold: set at "
                           "most that, or MAX_INFLIGHT=0 to shed nothing")
    if values["GRPC_PORT"] > 65535:
        raise SettingError(f"GRPC_PORT={values['GRPC_PORT']}: a port is at most 65535")
    return values
