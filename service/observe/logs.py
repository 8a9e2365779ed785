"""The app's logs: JSON lines on stdout (service/server/logs.py's formatter), and the
request id each request carries.

Every request gets an id, the caller's `X-Request-ID` when it is sane (1-128 of
`A-Za-z0-9._:-`) or a fresh uuid4 hex (service/observe/access.py); it is echoed in
the response header and stamped on every log line written while the request runs.
"""

import logging
import re
import sys
import uuid

from service.server.logs import JsonFormatter

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


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


def is_sane(incoming: str) -> bool:
    """Whether `incoming` is a request id as this service writes and keeps them."""
    return bool(_SANE_ID.fullmatch(incoming))


def request_id(incoming: str | None) -> str:
    """The caller's id if it is sane, else a new uuid4 hex (32 characters)."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def configure(logger: logging.Logger, level: str) -> None:
    """JSON lines on stdout for `logger` and its children; idempotent across apps.

    Under gunicorn the root logger already writes JSON to stdout (server/logs.py),
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
