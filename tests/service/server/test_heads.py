"""service/server/heads.py: the worker's own 503, and which requests it reads itself.

heads.plain() decides where a refused request ends on a kept-alive connection, so it
takes only requests whose end is beyond doubt and leaves every other one to gunicorn.
"""

import json

import pytest

from service.server import heads

BODY = b"0123456789"


def _head(*lines: str, start: str = "POST /predict HTTP/1.1") -> bytes:
    return ("\r\n".join((start, "Host: x", *lines)) + "\r\n\r\n").encode()


def test_a_plain_request_is_read_to_its_end():
    data = _head("Content-Length: 10", "X-Request-ID: abc") + BODY + b"GET / HTTP/1.1\r\n"
    path, length, rid, head = heads.plain(data.replace(b"/predict", b"/v2/x?y=1", 1))
    assert (path, length, rid) == ("/v2/x", 10, "abc")
    assert data.replace(b"/predict", b"/v2/x?y=1", 1)[head + length:] == b"GET / HTTP/1.1\r\n"


@pytest.mark.parametrize("data", [
    _head("Content-Length: 10", start="GET /metrics HTTP/1.1"),  # never shed
    _head("Content-Length: 10", start="POST /predict HTTP/1.0"),
    _head("Content-Length: 10", start="POST predict HTTP/1.1"),
    _head("Content-Length: 10", "Content-Length: 10"),
    _head("Content-Length: 10", "Transfer-Encoding: chunked"),
    _head("Content-Length: 10", "Expect: 100-continue"),
    _head("Content-Length: 10", "Connection: close"),
    _head("Content-Length: 10", "Upgrade: h2c"),
    _head("Content-Length: +10"),
    _head("Content-Length : 10"),
    _head(f"Content-Length: {heads.DRAIN_LIMIT + 1}"),
    _head("X-Long: a", " folded", "Content-Length: 10"),
    _head("Content-Length: 10").replace(b"Host: x\r\n", b"Host: x\n"),
    _head("Content-Length: 10").replace(b"Host: x", b"Host: \rx"),
    _head(),  # no Content-Length
    _head("Content-Length: 10")[:-2],  # the head is not all there
    b"POST /predict HTTP/1.1\r\nX: " + b"a" * heads.MAX_HEAD + b"\r\n\r\n",
])
def test_anything_else_is_left_to_gunicorn(data):
    assert heads.plain(data + BODY) is None


@pytest.mark.parametrize(("path", "shape"), [("/predict", dict), ("/v2/models/m/infer", str)])
def test_the_503_has_retry_after_a_request_id_and_the_protocols_shape(path, shape):
    raw = heads.response((1, 1), path, "id-1", close=False)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    assert {"Retry-After: 1", "X-Request-ID: id-1", "Connection: keep-alive",
            f"Content-Length: {len(body)}"} <= set(lines)
    assert isinstance(json.loads(body)["error"], shape)
    closing = heads.response((1, 0), path, "bad id!", close=True).decode()
    assert closing.startswith("HTTP/1.0 503 ") and "Connection: close" in closing
    assert "bad id!" not in closing  # an insane id is replaced, as the app does
