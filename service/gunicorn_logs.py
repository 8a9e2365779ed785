"""gunicorn's own logging: JSON lines on stdout like the app's, and no access line.

Standard library and gunicorn only: the master reads this without numpy.
"""

import logging

from gunicorn import glogging

from service import settings


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
        "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
        "filters": {"silent_client": {"()": SilentClientFilter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "filters": ["silent_client"], "stream": "ext://sys.stdout"}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
        },
    }
