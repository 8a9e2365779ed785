"""The 503 a worker answers, and the quick reading of a request it will refuse.

gunicorn's parser takes about 60 microseconds a request: as much as the rest of a
refusal put together. While a worker is over its bound (shedding.py), a refused
connection's next request is read here instead, when it is of the plain kind a
client sends again at once: HTTP/1.1, a method that may be shed, a Content-Length
within DRAIN_LIMIT, no Transfer-Encoding, Expect, Upgrade nor Connection header, and
nothing but CRLF line ends. Where the request ends is then beyond doubt; anything
else goes back to gunicorn's parser, whole.
"""

import orjson

from service.http import shapes
from service.observe.logs import HEADER, request_id

RETRY_AFTER = 1  # seconds: a client or load balancer that honours it tries again soon
CODE = "overloaded"
MESSAGE = (f"the service is answering as many requests as it can; retry after {RETRY_AFTER} s,"
           " at another replica if there is one")
NEVER_SHED = frozenset({"GET", "HEAD", "OPTIONS"})
# A refused body up to this size is read and dropped after the 503, so the connection
# stays open for the next request; a larger one (or one of unknown size) closes it.
DRAIN_LIMIT = 1024 * 1024
MAX_HEAD = 8190  # gunicorn's limit_request_line; a longer head is left to its parser
_REFUSED_HEADERS = (b"\ntransfer-encoding", b"\nexpect", b"\nupgrade", b"\nconnection")
_NEVER_SHED = {m.encode() for m in NEVER_SHED}
_BODIES = {v2: orjson.dumps(shapes.error("/v2" if v2 else "/", CODE, MESSAGE))
           for v2 in (False, True)}
# The head up to the request id's value, by (V2?, close?); built once.
_HEADS = {(v2, close): (
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    f"Content-Length: {len(_BODIES[v2])}\r\nRetry-After: {RETRY_AFTER}\r\n"
    f"X-Content-Type-Options: nosniff\r\nConnection: {'close' if close else 'keep-alive'}\r\n"
    f"{HEADER}: ").encode() for v2 in (False, True) for close in (False, True)}


def response(version: tuple, path: str, incoming_id: str | None, close: bool) -> bytes:
    """The whole 503: the JSON error of the path's protocol, Retry-After, a request id."""
    v2 = shapes.is_v2(path)
    head = _HEADS[v2, close]
    if version != (1, 1):  # HTTP/1.0: answered in kind, as gunicorn does
        head = head.replace(b"HTTP/1.1", f"HTTP/{version[0]}.{version[1]}".encode(), 1)
    return b"".join((head, request_id(incoming_id).encode(), b"\r\n\r\n", _BODIES[v2]))


def plain(data: bytes) -> tuple[str, int, str | None, int] | None:
    """(path, Content-Length, X-Request-ID, length of the head) of the request at the
    start of `data`, if it is of the plain kind this module answers; else None."""
    end = data.find(b"\r\n\r\n", 0, MAX_HEAD)
    if end < 0:
        return None
    head = data[:end + 2]  # each line with its CRLF
    first = head.find(b"\r\n")
    parts = head[:first].split(b" ")
    if (len(parts) != 3 or parts[2] != b"HTTP/1.1" or parts[0] in _NEVER_SHED
            or not parts[1].startswith(b"/") or head.count(b"\n") != head.count(b"\r\n")
            or head.count(b"\r") != head.count(b"\r\n") or b"\n " in head or b"\n\t" in head):
        return None
    lower = head.lower()
    if any(name in lower for name in _REFUSED_HEADERS) or lower.count(b"\ncontent-length") != 1:
        return None
    length = _value(head, lower, b"\ncontent-length:")
    if length is None or not length.isdigit() or int(length) > DRAIN_LIMIT:
        return None
    rid = _value(head, lower, b"\nx-request-id:")
    return (parts[1].split(b"?", 1)[0].decode("latin-1"), int(length),
            rid and rid.decode("latin-1"), end + 4)


def _value(head: bytes, lower: bytes, name: bytes) -> bytes | None:
    """The value of the header `name` (lower case, with its colon) in `head`, or None."""
    at = lower.find(name)
    if at < 0:
        return None
    return head[at + len(name):head.find(b"\r\n", at)].strip(b" \t")


def must_close(req) -> bool:
    """For a request gunicorn parsed: the client asked to close, waits for 100 Continue,
    or sends a body too large or of unknown length to drop: closing is then the only
    way to the next request."""
    if req.should_close():
        return True
    length = None
    for name, value in req.headers:
        if name in {"EXPECT", "TRANSFER-ENCODING"}:
            return True
        if name == "CONTENT-LENGTH":
            length = value
    return length is not None and (not length.isdigit() or int(length) > DRAIN_LIMIT)
