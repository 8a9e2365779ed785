"""Service fixtures: an app on a tiny model, its test client, and real gunicorn servers.

`gunicorn_server(model_dir, workers=1)` starts `gunicorn -c service/gunicorn.conf.py
"service:create_app()"` on 127.0.0.1 at a free port, waits until /readyz answers 200
and returns a `Server`; every server is stopped when the test ends, whatever happens.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service import create_app

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "service" / "gunicorn.conf.py"
HOST = "127.0.0.1"
START_TIMEOUT = 30.0  # seconds for a cold start of the workers on a busy 2-core machine


@pytest.fixture
def app(tiny_model_dir):
    return create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def request(port: int, method: str, path: str, body: bytes | None = None, *,
            headers: dict | None = None, timeout: float = 20.0):
    """One request on a fresh connection -> (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def instances_body(count: int, value: int = 0) -> bytes:
    """A JSON /predict body of `count` images of 784 equal pixel values."""
    return json.dumps({"instances": [[value] * 784] * count}).encode()


def metric_samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label items): value} of a Prometheus text exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def get(self, path: str, headers: dict | None = None):
        return request(self.port, "GET", path, headers=headers)

    def get_json(self, path: str) -> dict:
        status, _, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def metrics(self) -> dict[tuple, float]:
        status, _, body = self.get("/metrics")
        assert status == 200, body[:300]
        return metric_samples(body.decode())

    def predict(self, body: bytes, headers: dict | None = None):
        return request(self.port, "POST", "/predict", body,
                       headers={"Content-Type": "application/json", **(headers or {})})

    def predict_until(self, stop, versions: list, failures: list, *, max_requests: int,
                      seconds: float) -> None:
        """One-image predictions on fresh connections until `stop` is set, `max_requests`
        are answered or `seconds` pass: each 200's model version goes to `versions`,
        anything else (another status, a refused or broken connection) to `failures`."""
        body = instances_body(1, value=200)
        deadline = time.monotonic() + seconds
        while (not stop.is_set() and len(versions) + len(failures) < max_requests
               and time.monotonic() < deadline):
            try:
                status, _, raw = self.predict(body)
            except OSError as e:
                failures.append(repr(e))
                continue
            if status == 200:
                versions.append(json.loads(raw)["model"]["version"])
            else:
                failures.append(f"{status} {raw[:200]!r}")

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def log_records(self) -> list[dict]:
        """Every stdout line parsed as JSON (fails on a line that is not JSON)."""
        return [json.loads(line) for line in self.log_lines() if line.strip()]

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            if server.get("/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    log = "\n".join(server.log_lines()[-30:])
    err = server.log_path.with_suffix(".err").read_text(errors="replace")[-3000:]
    pytest.fail(f"gunicorn did not become ready in {START_TIMEOUT} s "
                f"(exit code {server.proc.returncode}); stdout:\n{log}\nstderr:\n{err}")


@pytest.fixture
def gunicorn_server(tmp_path):
    servers: list[Server] = []

    def start(model_dir, workers: int = 1, env: dict | None = None) -> Server:
        """A ready server; `env` adds to (value None: removes from) its environment."""
        port = free_port()
        environ = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        environ.update({"MODEL_DIR": str(model_dir), "PORT": str(port), "BIND_HOST": HOST,
                        "WEB_CONCURRENCY": str(workers), "LOG_LEVEL": "INFO",
                        "PYTHONUNBUFFERED": "1"})
        for key, value in (env or {}).items():  # None unsets a variable
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        log_path = tmp_path / f"gunicorn-{port}.log"
        with open(log_path, "wb") as out, open(log_path.with_suffix(".err"), "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(CONF), "service:create_app()"],
                cwd=ROOT, env=environ, stdout=out, stderr=err)
        server = Server(proc, port, log_path)
        servers.append(server)
        _wait_ready(server)
        return server

    yield start
    for server in servers:
        server.stop()
