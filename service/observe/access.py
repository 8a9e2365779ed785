"""Per request: a request id, one access line, its metrics.

One before_request/after_request pair does all of it, so a request pays for the
bookkeeping once. The access line goes to the `service.access` logger.
"""

import logging
import time

from flask import Flask, g, request

from service.observe import logs
from service.observe.metrics import route_of
from service.server.logs import REQUEST_ID


def init_app(app: Flask) -> None:
    metrics = app.extensions["metrics"]
    access = logging.getLogger(f"{app.logger.name}.access")
    access.setLevel(logging.NOTSET)

    @app.before_request
    def _start():
        g.started = time.perf_counter()
        g.request_id = logs.request_id(request.headers.get(logs.HEADER))
        REQUEST_ID.set(g.request_id)

    @app.after_request
    def _finish(response):
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        rid = g.get("request_id") or logs.request_id(None)
        response.headers[logs.HEADER] = rid
        response.headers["X-Content-Type-Options"] = "nosniff"
        status, method, path = response.status_code, request.method, request.path
        metrics.count(route_of(request), method, status, seconds)
        if access.isEnabledFor(logging.INFO):
            access.info("%s %s %s", method, path, status, extra={
                "request_id": rid, "method": method, "path": path, "status": status,
                "duration_ms": round(seconds * 1000, 3), "remote_addr": request.remote_addr,
                "user_agent": request.headers.get("User-Agent")})
        REQUEST_ID.set(None)  # the greenlet's next lines belong to no request, or the next
        return response
