"""Structured logs: one JSON object per line on stdout, with a request id.

Every request gets an id, the caller's `X-Request-ID` when it is sane (1-128 of
`A-Za-z0-9._:-`) or a fresh uuid4 hex (service/observe.py); it is echoed in the
response header and stamped on every log line written while the request runs.
No numpy here: the gunicorn master formats its own lines with JsonFormatter.
"""

import logging
import re
import sys
import time
import uuid

import orjson
from flask import g, has_request_context

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Record attributes copied into the JSON object when a log call sets them (extra=...).
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote_addr",
          "user_agent")


class JsonFormatter(logging.Formatter):
    """A LogRecord -> one line of JSON: ts, level, logger, msg, pid and any FIELDS.

    Lines logged inside a Flask request carry that request's id.
    """

    emits_json_lines = True  # a marker: init_app looks for it on the root logger's handlers

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None and has_request_context():
            record.request_id = g.get("request_id")
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


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at emit time (pytest swaps it per test)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def request_id(incoming: str | None) -> str:
    """The caller's id if it is sane, else a new uuid4 hex (32 characters)."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def configure(logger: logging.Logger, level: str) -> None:
    """JSON lines on stdout for `logger` and its children; idempotent across apps.

    Under gunicorn the root logger already writes JSON to stdout (gunicorn.conf.py),
    and records propagate there; a handler here too would print every line twice.
    Records always propagate, so pytest's caplog sees them.
    """
    logger.setLevel(level.upper())
    for handler in list(logger.handlers):
        # Flask's default stderr handler, or ours from an earlier app in this process.
        logger.removeHandler(handler)
    if not any(getattr(h.formatter, "emits_json_lines", False)
               for h in logging.getLogger().handlers):
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
