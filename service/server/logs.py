"""Logging as JSON lines on stdout, for gunicorn's own logs and the app's alike.

`JsonFormatter` writes one object per record, stamped with the id of the request
being served (REQUEST_ID, set by service/observe/access.py). gunicorn's access
line is off: the app writes a richer one, with the request id. orjson formats every
line: the access line is on the request path, and json takes 20 times as long.
"""

import contextvars
import logging
import time

import orjson
from gunicorn import glogging

from service import settings

# The id of the request this greenlet serves (greenlets each have their own context).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                       default=None)
# Record attributes copied into the JSON object when a log call sets them (extra=...).
FIELDS = ("request_id", "method", "path", "status", "grpc_code", "duration_ms", "remote_addr",
          "user_agent", "shed")


class JsonFormatter(logging.Formatter):
    """A LogRecord -> one line of JSON: ts, level, logger, msg, pid and any FIELDS."""

    emits_json_lines = True  # a marker: observe/logs.py looks for it on the root handlers

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        out = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                out[field] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        # default=str: a log line must never fail because of an odd argument.
        return orjson.dumps(out, default=str).decode()


def _timestamp(created: float) -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-25T14:03:53.933+00:00."""
    seconds = int(created)
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
            + f".{int((created - seconds) * 1000):03d}+00:00")


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


def config(level: str) -> dict:
    """JSON lines on stdout for gunicorn's own logs too; the app writes the access lines."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"silent_client": {"()": SilentClientFilter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "filters": ["silent_client"], "stream": "ext://sys.stdout"}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
        },
    }
