"""One exception per HTTP status, each rendered as {"error": {"code", "message"}}."""

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


class ServiceError(Exception):
    """Base: `status` is the HTTP status, `code` a stable machine-readable name."""

    status = 500
    code = "internal"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class RequestTimeout(ServiceError):
    status = 408
    code = "request_timeout"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


class Unprocessable(ServiceError):
    status = 422
    code = "unprocessable"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class NotReady(ServiceError):
    status = 503
    code = "not_ready"


def error_response(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(e: ServiceError):
        return error_response(e.status, e.code, e.message)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        # Werkzeug's own errors (404, 405, 413 from MAX_CONTENT_LENGTH) in our JSON shape.
        code = (e.name or "error").lower().replace(" ", "_")
        return error_response(e.code or 500, code, e.description or e.name)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal", "internal error; see the server log")
