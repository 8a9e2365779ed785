"""Load shedding under a real gunicorn (service/server/shedding.py): past MAX_INFLIGHT
requests held, a POST is answered 503 at once, with Retry-After and its protocol's JSON
error; GETs never are; a refused connection stays usable; /metrics counts the 503s.

One worker with MAX_INFLIGHT=2 is made full by two requests whose bodies are half sent
(tests/helpers/slow.py's Held); no assertion depends on how fast anything is.
"""

import http.client
import json
import logging
import socket
import threading

import pytest
from gunicorn.config import Config
from gunicorn.http import get_parser

from service.server.shedding import Shedder
from service.server.workers import _Named
from tests.helpers.bodies import digit_png
from tests.helpers.servers import HOST, request
from tests.helpers.slow import Held, read_all

BOUND = 2
PNG = {"Content-Type": "image/png"}
V2_INFER = "/v2/models/tiny-test/infer"


@pytest.fixture
def server(gunicorn_server, tiny_model_dir):
    return gunicorn_server(tiny_model_dir, workers=1, env={"MAX_INFLIGHT": str(BOUND)})


def _shed(server) -> dict:
    return {dict(labels)["protocol"]: value for (name, labels), value in server.metrics().items()
            if name == "http_requests_shed_total"}


def test_past_the_bound_posts_get_503_in_their_protocols_shape_and_gets_do_not(server):
    with Held(server.port, BOUND) as held:  # Held's last probe was refused: 1 shed
        status, headers, body = request(server.port, "POST", "/predict", digit_png(),
                                        headers={**PNG, "X-Request-ID": "shed-me-1"})
        assert status == 503 and headers["Retry-After"] == "1"
        assert headers["X-Request-ID"] == "shed-me-1"
        assert headers["Content-Type"] == "application/json"
        error = json.loads(body)["error"]
        assert error["code"] == "overloaded" and "retry after 1 s" in error["message"]
        status, headers, body = request(server.port, "POST", V2_INFER, b"{}")
        assert status == 503 and headers["Retry-After"] == "1"
        assert isinstance(json.loads(body)["error"], str)  # the V2 shape
        for path in ("/healthz", "/readyz", "/v2/health/ready", "/metrics"):
            assert server.get(path)[0] == 200, path
        assert _shed(server) == {"rest": 2.0, "v2": 1.0}
    assert held.statuses == [200] * BOUND
    assert request(server.port, "POST", "/predict", digit_png(), headers=PNG)[0] == 200
    assert server.stop() == 0
    lines = [r for r in server.log_records() if "shed" in r]
    assert sum(r["shed"]["count"] for r in lines) == 3
    assert {r["level"] for r in lines} == {"WARNING"}
    assert "MAX_INFLIGHT=2" in lines[0]["msg"]


def test_a_refused_connection_stays_open_and_is_served_once_there_is_room(server):
    conn = http.client.HTTPConnection(HOST, server.port, timeout=20)
    with Held(server.port, BOUND):
        for path in ("/predict", "/predict", V2_INFER):  # gunicorn's parser, then heads.plain
            conn.request("POST", path, body=digit_png(), headers=PNG)
            resp = conn.getresponse()
            assert resp.status == 503 and not resp.will_close and resp.read()
        conn.request("GET", "/healthz")
        assert json.loads(conn.getresponse().read()) == {"status": "ok"}
    conn.request("POST", "/predict", body=digit_png(), headers=PNG)
    resp = conn.getresponse()
    assert resp.status == 200 and len(json.loads(resp.read())["predictions"]) == 1
    conn.close()


def _post(path: str, body: bytes, extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _responses(raw: bytes) -> list[tuple[int, bytes]]:
    """(status, body) of each response in `raw`, in order."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        out.append((int(head.split()[1]), rest[:length]))
        raw = rest[length:]
    return out


def test_pipelined_requests_are_each_answered_in_order(server):
    """The 503s' bodies are dropped exactly: each next request is read where it starts."""
    sock = socket.create_connection((HOST, server.port), timeout=20)
    with Held(server.port, BOUND):
        body = b"POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n" + digit_png()  # looks like one
        sock.sendall(_post("/predict", body) + _post(V2_INFER, body) + _post("/predict", b"")
                     + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = _responses(read_all(sock))
    assert [status for status, _ in answers] == [503, 503, 503, 200]
    assert json.loads(answers[-1][1]) == {"status": "ok"}


@pytest.mark.parametrize("extra", ["Transfer-Encoding: chunked\r\n", "Expect: 100-continue\r\n",
                                   "Connection: close\r\n", ""])
def test_a_refused_body_that_cannot_be_dropped_cheaply_closes_the_connection(server, extra):
    """Of unknown or large size, or the client waits to send it: 503, then closed."""
    length = "" if "chunked" in extra else "Content-Length: 2000000\r\n"
    if not extra:  # just over heads.DRAIN_LIMIT
        length = "Content-Length: 1048577\r\n"
    sock = socket.create_connection((HOST, server.port), timeout=20)
    with Held(server.port, BOUND):
        sock.sendall(f"POST /predict HTTP/1.1\r\nHost: x\r\n{extra}{length}\r\n".encode())
        head = read_all(sock).partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in head, head


def test_a_stopping_worker_reads_a_refused_body_before_it_closes():
    """Closed with the body unread, the connection would be reset, and the client could
    lose the 503 to the reset (wrk counted such resets as socket errors)."""
    listener = socket.create_server((HOST, 0))
    client = socket.create_connection(listener.getsockname(), timeout=20)
    server, _ = listener.accept()
    body = b"x" * 600_000  # over gunicorn's first read: most of it waits in the socket
    head = (f"POST /predict HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: image/png\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    threading.Thread(target=client.sendall, args=(head + body,), daemon=True).start()
    req = next(get_parser(Config(), server, (HOST, 1)))
    with pytest.raises(StopIteration):  # the worker closes the connection next
        Shedder(1, None, logging.getLogger(__name__), 5).refuse(req, server, 0.0, alive=False)
    server.close()
    listener.close()
    answer = read_all(client)  # a reset would raise ConnectionResetError here
    assert answer.startswith(b"HTTP/1.1 503 ") and b"\r\nConnection: close\r\n" in answer


def test_a_listener_closed_by_a_stopping_worker_still_gives_its_address():
    """gunicorn asks for it as each connection's first request is read (workers.py)."""
    listener = socket.create_server((HOST, 0))
    address = listener.getsockname()
    named = _Named(listener)
    listener.close()
    with pytest.raises(OSError):
        listener.getsockname()
    assert named.getsockname() == address and named.fileno() == -1
