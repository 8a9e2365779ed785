"""Clients that stop sending in the middle of a request, under a real gunicorn.

With READ_TIMEOUT=1 a client silent for a second is cut off: stalled headers close
the connection, a stalled body gets a 408, and the service keeps answering everyone
else meanwhile.
"""

import json
import socket
import time

import pytest

from tests.helpers.servers import HOST
from tests.helpers.slow import Tricklers, read_all
from tests.service.conftest import instances_body

STALLED = 8
SLACK = 10.0  # seconds allowed beyond READ_TIMEOUT on a busy machine


@pytest.fixture
def server(gunicorn_server, tiny_model_dir):
    return gunicorn_server(tiny_model_dir, workers=1, env={"READ_TIMEOUT": "1"})


def _connect(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=1 + SLACK)
    sock.sendall(first_bytes)
    return sock


def test_stalled_headers_are_cut_off_and_others_are_still_answered(server):
    stalled = [_connect(server.port, b"POST /predict HTTP/1.1\r\nHost: x\r\n")
               for _ in range(STALLED)]
    started = time.monotonic()
    assert [read_all(sock) for sock in stalled] == [b""] * STALLED  # closed, no answer
    assert time.monotonic() - started < 1 + SLACK
    assert server.get_json("/healthz") == {"status": "ok"}
    assert server.stop() == 0
    records = server.log_records()
    cut = [r for r in records if "closed a connection whose client sent nothing" in r["msg"]]
    assert len(cut) == STALLED and {r["level"] for r in cut} == {"WARNING"}
    assert not [r for r in records if r["level"] == "ERROR"]


@pytest.mark.parametrize("content_type", ["application/json", "image/png",
                                          "multipart/form-data; boundary=b0undary"])
def test_a_body_that_stops_halfway_gets_408(server, content_type):
    head = (f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            "Content-Length: 5000\r\n\r\n").encode()
    raw = read_all(_connect(server.port, head + b"--b0undary\r\n" + b"0" * 100))
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.split()[1] == b"408", raw[:300]
    assert json.loads(payload)["error"]["code"] == "request_timeout"
    assert server.get_json("/readyz")["status"] == "ready"


def test_a_slow_but_steady_body_is_served(server):
    body = instances_body(1, value=7)
    head = (f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock = _connect(server.port, head)
    pieces = [body[i:i + len(body) // 4 + 1] for i in range(0, len(body), len(body) // 4 + 1)]
    for piece in pieces:  # 4 gaps of 0.5 s: 2 s in all, but never 1 s of silence
        time.sleep(0.5)
        sock.sendall(piece)
    head, _, payload = read_all(sock).partition(b"\r\n\r\n")
    assert head.split()[1] == b"200" and len(json.loads(payload)["predictions"]) == 1


def _timed(call) -> tuple[int, float]:
    t0 = time.monotonic()
    status = call()[0]
    return status, time.monotonic() - t0


def test_64_trickling_clients_do_not_delay_anyone_else(gunicorn_server, tiny_model_dir):
    """Each holds a connection and sends its headers a byte every half second, never
    silent long enough for READ_TIMEOUT; the service answers others meanwhile."""
    server = gunicorn_server(tiny_model_dir, workers=2)
    with Tricklers(server.port, count=64, interval=0.5) as slow:
        timings = []
        for _ in range(5):
            timings.append(_timed(lambda: server.get("/healthz", timeout=5)))
            timings.append(_timed(lambda: server.predict(instances_body(1))))
            time.sleep(0.2)
        open_still = len(slow.socks)
    print(f"\n64 trickling clients: slowest other answer {max(s for _, s in timings):.3f} s")
    assert all(status == 200 for status, _ in timings), timings
    assert max(seconds for _, seconds in timings) < 1.0, timings
    assert open_still >= 60  # they really were being held, not refused
