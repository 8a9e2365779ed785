"""The service under a real gunicorn on 127.0.0.1: start, predict, HUP reload, SIGTERM.

Each test starts its own server (tests/service/conftest.py) and bounds its traffic
by count and time; no assertion depends on how fast anything is.
"""

import http.client
import json
import os
import signal
import socket
import threading
import time

import pytest

from tests.conftest import write_tiny_model
from tests.helpers.servers import HOST, request
from tests.helpers.slow import finish, send_half
from tests.service.conftest import instances_body

LOAD_SECONDS = 5.0  # upper bound on the background load of the HUP test
MAX_LOAD_REQUESTS = 3000
BATCH = 64  # images per request in the SIGTERM-under-load test


def test_serves_predict_model_and_health(gunicorn_server, tiny_model_dir):
    manifest = json.loads((tiny_model_dir / "model.json").read_text())
    server = gunicorn_server(tiny_model_dir, workers=1)
    assert server.get_json("/healthz") == {"status": "ok"}
    ready = server.get_json("/readyz")
    assert ready["model"] == {"name": "tiny-test", "version": manifest["version"]}
    status, _, body = server.predict(instances_body(2, value=128))
    assert status == 200, body[:300]
    predictions = json.loads(body)["predictions"]
    assert len(predictions) == 2 and all(len(p["probabilities"]) == 10 for p in predictions)
    assert server.get_json("/model")["version"] == manifest["version"]
    if os.path.exists(f"/proc/{server.proc.pid}/maps"):
        # preload_app is off: only workers import the app (and numpy), so a HUP re-imports it.
        with open(f"/proc/{server.proc.pid}/maps") as maps:
            assert "numpy" not in maps.read(), "the gunicorn master imported numpy"


def test_hup_loads_the_new_model_without_a_failed_request(gunicorn_server, tiny_model_dir):
    old = json.loads((tiny_model_dir / "model.json").read_text())["version"]
    server = gunicorn_server(tiny_model_dir, workers=2)
    stop, results, failures = threading.Event(), [], []
    loader = threading.Thread(target=server.predict_until, args=(stop, results, failures),
                              kwargs={"max_requests": MAX_LOAD_REQUESTS,
                                      "seconds": LOAD_SECONDS + 15})
    loader.start()
    try:
        while len(results) < 20 and loader.is_alive():
            time.sleep(0.02)
        new = write_tiny_model(tiny_model_dir, seed=1)["version"]
        assert new != old
        os.kill(server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline and (not results or results[-1] != new):
            time.sleep(0.05)
        # The old workers stop accepting within a second of their SIGTERM (gevent's
        # worker loop checks once a second), serving the old model meanwhile.
        time.sleep(1.5)
        count = len(results)
        while len(results) < count + 20 and loader.is_alive():  # a little traffic after it
            time.sleep(0.02)
    finally:
        stop.set()
        loader.join(30)
    assert failures == []
    assert results[0] == old and set(results[count:]) == {new}, (results[:3], results[-3:])
    assert server.get_json("/model")["version"] == new
    assert server.get_json("/readyz")["model"]["version"] == new
    # Once the old workers have exited (child_exit marks them dead), only the new
    # version is reported as served.
    deadline, served = time.monotonic() + 10, None
    while time.monotonic() < deadline:
        served = {dict(labels)["version"]: v for (name, labels), v in server.metrics().items()
                  if name == "model_info"}
        if served == {new: 1.0}:
            break
        time.sleep(0.2)
    assert served == {new: 1.0}


def _accepted_connection(port: int) -> socket.socket:
    """A kept-alive connection that a worker has certainly accepted: it answered on it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=20)
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200 and not resp.will_close
    return conn.sock


def test_sigterm_finishes_requests_in_flight(gunicorn_server, tiny_model_dir):
    server = gunicorn_server(tiny_model_dir, workers=1)
    body = instances_body(256, value=50)
    # Three requests whose bodies are half sent, on connections the worker has accepted:
    # two are in its threads, one is queued, and none can be answered before the rest
    # of its body arrives.
    socks = [_accepted_connection(server.port) for _ in range(3)]
    for sock in socks:
        send_half(sock, body)
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the worker is now stopping, with the requests still unanswered
    answers = [finish(sock, body) for sock in socks]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert all(len(json.loads(payload)["predictions"]) == 256 for _, payload in answers)
    assert server.proc.wait(15) == 0
    with pytest.raises(ConnectionRefusedError):
        request(server.port, "GET", "/healthz", timeout=5)
    messages = [r["msg"] for r in server.log_records()]
    assert "Shutting down: Master" in messages


def _until_refused(port: int, body: bytes, outcomes: list, deadline: float) -> None:
    """Fresh-connection POSTs until the server refuses connections (or `deadline`)."""
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(HOST, port, timeout=20)
        try:
            conn.connect()
        except ConnectionRefusedError:
            outcomes.append("refused")
            return
        try:
            conn.request("POST", "/predict", body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            # Connected to the kernel's listen queue after the workers stopped
            # accepting: reset without a byte of response; no worker saw it.
            outcomes.append("reset before any response")
            conn.close()
            continue
        try:
            body_ok = len(json.loads(resp.read()).get("predictions", ())) == BATCH
            outcomes.append(resp.status if body_ok else f"{resp.status} without predictions")
        except (OSError, http.client.HTTPException, ValueError) as e:
            outcomes.append(f"broken response: {e!r}")
        finally:
            conn.close()


def test_sigterm_under_load_answers_every_request_a_worker_took(gunicorn_server,
                                                                tiny_model_dir):
    server = gunicorn_server(tiny_model_dir, workers=2)
    body = instances_body(BATCH, value=9)
    outcomes: list = []
    deadline = time.monotonic() + 15
    clients = [threading.Thread(target=_until_refused,
                                args=(server.port, body, outcomes, deadline))
               for _ in range(4)]
    for t in clients:
        t.start()
    while outcomes.count(200) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.proc.send_signal(signal.SIGTERM)
    for t in clients:
        t.join(30)
    assert server.proc.wait(15) == 0
    assert outcomes.count("refused") == 4  # every client ended on a refused connection
    assert set(outcomes) <= {200, "refused", "reset before any response"}, set(outcomes)
    # Every request the app handled reached its client: a reset is only ever a connection
    # still in the kernel's queue when the workers stopped accepting (a load balancer
    # stops sending before SIGTERM; see the readiness probe).
    handled = [r["status"] for r in server.log_records() if r.get("path") == "/predict"]
    assert handled == [200] * outcomes.count(200)
