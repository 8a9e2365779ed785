"""Reading a request's body, with a failed read answered as 408 or 413.

Every route that takes a body reads it here, so the limits and the answers to a
client that sends too much, or stops sending, are the same everywhere.
"""

from flask import current_app, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from service.codec import multipart
from service.errors import BadRequest, PayloadTooLarge, RequestTimeout

# An over-limit body up to this size is read and dropped before the 413 is sent: a few
# milliseconds on the wire, and the client, still sending, then reads the answer. A
# connection closed with the body unread is reset, and the client sees only that.
DRAIN_LIMIT = 16 * 1024 * 1024


def data(limit_setting: str = "MAX_CONTENT_LENGTH") -> bytes:
    """The whole body, within the app setting `limit_setting`."""
    return _read(_whole_body, limit_setting)


def files(field: str) -> list[bytes]:
    """The bytes of each file uploaded in multipart field `field`, in order; 400 for none."""
    found = _read(lambda: _files(field), "MAX_CONTENT_LENGTH")
    if not found:
        hint = (" as a file upload (with a filename)" if field in request.form
                else f"; e.g. curl -F {field}=@digit.png")
        raise BadRequest(f"no image: send the image in multipart field {field!r}{hint}",
                         code="no_image")
    return found


def _files(field: str) -> list[bytes]:
    """The usual multipart form split in C (codec/multipart.py), anything else by werkzeug,
    which parses the cached body again."""
    blob = _whole_body(cache=True)
    split = multipart.files(blob, request.mimetype_params.get("boundary", ""), field,
                            request.max_form_parts)
    return split if split is not None else [f.read() for f in request.files.getlist(field)]


def _read(get, limit_setting: str):
    """`get()` with read failures as ServiceErrors; `limit_setting` names the app setting
    that bounds the body."""
    limit = current_app.config[limit_setting]
    request.max_content_length = limit
    try:
        return get()
    except RequestEntityTooLarge as e:
        _discard_rest_of_body()
        raise PayloadTooLarge(
            f"request body over the limit of {limit} bytes ({limit / 2**20:.1f} MiB, "
            f"{limit_setting}); shrink the image first (a digit needs no more than "
            "about 1000x1000 pixels, e.g. `convert photo.jpg -resize 1000x1000 small.jpg`), "
            f"or start the service with a larger {limit_setting}") from e
    except (OSError, ClientDisconnected) as e:  # werkzeug wraps some OSErrors in the latter
        # The client went silent (READ_TIMEOUT) or vanished while sending the body.
        raise RequestTimeout("the client stopped sending in the middle of the request "
                             "body (READ_TIMEOUT); send the whole body promptly") from e


def _whole_body(cache: bool = False) -> bytes:
    """A chunked body (no Content-Length) is cut off silently at the limit by werkzeug;
    reaching the limit means there was more, and a cut image must not be served."""
    blob = request.get_data(cache=cache)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(blob) >= limit:
        raise RequestEntityTooLarge()
    return blob


def _discard_rest_of_body() -> None:
    """Reads and drops what is left of the request body, if it is at most DRAIN_LIMIT."""
    declared = request.content_length
    if declared is not None and declared > DRAIN_LIMIT:
        return  # too much to read for nothing; the client will see the connection reset
    stream, left = request.environ.get("wsgi.input"), DRAIN_LIMIT
    while stream is not None and left > 0:
        try:
            chunk = stream.read(min(left, 1 << 16))
        except OSError:
            return  # the client went silent or away; the connection will be closed
        if not chunk:
            break
        left -= len(chunk)
