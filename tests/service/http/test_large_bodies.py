"""Over-limit bodies under a real gunicorn: the client reads a 413, not a reset.

A body larger than the sockets' buffers cannot be sent whole before the server
answers; if the server closed with it unread, the client would see only a reset.
"""

import json

import pytest

from service.http.body import DRAIN_LIMIT
from tests.helpers.servers import request

SIZE = 12 * 1024 * 1024  # over the default 8 MiB limit, more than loopback buffers hold


def _post(port: int, body, content_type: str):
    """-> (status, JSON answer). An iterable body goes chunked (http.client's default)."""
    status, _, answer = request(port, "POST", "/predict", body,
                                headers={"Content-Type": content_type}, timeout=30)
    return status, json.loads(answer)


@pytest.fixture
def server(gunicorn_server, tiny_model_dir):
    return gunicorn_server(tiny_model_dir, workers=1)


def test_an_over_limit_body_gets_its_413(server):
    assert SIZE < DRAIN_LIMIT
    for _ in range(3):
        status, body = _post(server.port, b"\0" * SIZE, "image/png")
        assert status == 413 and body["error"]["code"] == "payload_too_large", body
        assert "MAX_CONTENT_LENGTH" in body["error"]["message"]


def test_an_over_limit_chunked_body_gets_its_413(server):
    chunks = (b"\0" * (1 << 20) for _ in range(SIZE >> 20))
    status, body = _post(server.port, chunks, "image/png")
    assert status == 413 and body["error"]["code"] == "payload_too_large", body


def test_an_over_limit_multipart_body_gets_its_413(server):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            "filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n").encode()
    body += b"\0" * SIZE + f"\r\n--{boundary}--\r\n".encode()
    status, answer = _post(server.port, body, f"multipart/form-data; boundary={boundary}")
    assert status == 413, answer
    assert server.get_json("/readyz")["status"] == "ready"
