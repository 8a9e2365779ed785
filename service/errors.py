"""The service's exceptions, each saying its HTTP status (as KServe's do).

Any layer may raise them: the codecs for what a client sent, the model for not
being ready. service/http/handlers.py renders them in each protocol's shape.
"""


class ServiceError(Exception):
    """Base: `status` is the HTTP status, `code` a stable machine-readable name."""

    status = 500
    code = "internal"
    headers: tuple = ()  # extra response headers, (name, value) pairs: 401's challenge

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"
    headers = (("WWW-Authenticate", 'Bearer realm="feedback"'),)


class NotFound(ServiceError):
    status, code = 404, "not_found"


class RequestTimeout(ServiceError):
    status, code = 408, "request_timeout"


class PayloadTooLarge(ServiceError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(ServiceError):
    status, code = 422, "unprocessable"


class NotReady(ServiceError):
    status, code = 503, "not_ready"


class StoreUnavailable(ServiceError):
    """The feedback store cannot be reached or written now; /predict is unaffected."""

    status, code = 503, "feedback_unavailable"


class InsufficientStorage(ServiceError):
    """The feedback store holds FEEDBACK_MAX_ROWS rows."""

    status, code = 507, "feedback_full"
