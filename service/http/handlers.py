"""Every error as its protocol's JSON: {"error": {"code", "message"}} for /predict and
the rest, {"error": "..."} under /v2 (the Open Inference Protocol's shape), for every
status, Flask's own 404, 405 and 413 and an unexpected 500 included."""

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from service.errors import ServiceError
from service.http import shapes

V2_PREFIX = shapes.V2_PREFIX  # v2.py's url_prefix


def render(status: int, code: str, message: str) -> Response:
    """The error response for the current request's protocol (shapes.py: the worker's
    503s have the same shapes)."""
    response = jsonify(shapes.error(request.path, code, message))
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(e: ServiceError):
        response = render(e.status, e.code, e.message)
        for name, value in e.headers:
            response.headers[name] = value
        return response

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        # Werkzeug's own errors (404, 405, 413 from MAX_CONTENT_LENGTH) in our shape.
        code = (e.name or "error").lower().replace(" ", "_")
        return render(e.code or 500, code, e.description or e.name)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        app.logger.exception("unhandled error")
        return render(500, "internal", "internal error; see the server log")
