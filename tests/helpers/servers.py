"""A real gunicorn on 127.0.0.1 at a free port, for the tests and for bench/.

`Gunicorn(app, model_dir=..., workers=..., env=...)` starts
`gunicorn -c service/server/conf.py APP`, waits until /readyz answers 200 and
keeps its stdout (JSON log lines) in a file. Traffic only ever goes to 127.0.0.1.
It serves gRPC on a free port of its own, `.grpc_port` (None with env GRPC_PORT="0"):
never the default 8001, which another server on the machine may hold.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from service.settings import METRICS_DIR_ENV
from tests.helpers import ROOT

CONF = ROOT / "service" / "server" / "conf.py"
HOST = "127.0.0.1"
APP = "service:create_app()"
START_TIMEOUT = 60.0  # seconds for a cold start of the workers on a busy 2-core machine


def conf_of(root: Path) -> Path:
    """The gunicorn config of the checkout at `root` (before the layout of December 2026
    it was service/gunicorn.conf.py)."""
    new = root / CONF.relative_to(ROOT)
    return new if new.exists() else root / "service" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body=None, *, headers: dict | None = None,
            timeout: float = 20.0):
    """One request on a fresh connection -> (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


class Gunicorn:
    """A running server; `env` adds to (a value of None: removes from) its environment."""

    def __init__(self, app: str = APP, *, model_dir=None, workers: int = 1,
                 env: dict | None = None, log_dir=None, root: Path = ROOT,
                 ready_path: str = "/readyz", launcher: tuple = (),
                 start_timeout: float = START_TIMEOUT):
        """`root`: the checkout whose code runs (bench/versus.py runs an older one);
        `ready_path`: what must answer 200 first (/healthz for a server left unready);
        `launcher`: a command the server runs under (bench/profile/: valgrind)."""
        self.port = free_port()
        self.grpc_port: int | None = free_port()
        while self.grpc_port == self.port:
            self.grpc_port = free_port()
        environ = {k: v for k, v in os.environ.items() if k != METRICS_DIR_ENV}
        environ.update({"PORT": str(self.port), "BIND_HOST": HOST, "LOG_LEVEL": "INFO",
                        "WEB_CONCURRENCY": str(workers), "PYTHONPATH": str(root),
                        "PYTHONUNBUFFERED": "1", "GRPC_PORT": str(self.grpc_port)})
        if model_dir is not None:
            environ["MODEL_DIR"] = str(model_dir)
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        self.grpc_port = int(environ.get("GRPC_PORT") or 0) or None
        fd, name = tempfile.mkstemp(prefix=f"gunicorn-{self.port}-", suffix=".log", dir=log_dir)
        self.log_path = Path(name)
        with os.fdopen(fd, "wb") as out, open(self.log_path.with_suffix(".err"), "wb") as err:
            self.proc = subprocess.Popen([*launcher, sys.executable, "-m", "gunicorn", "-c",
                                          str(conf_of(root)), app], cwd=root, env=environ,
                                         stdout=out, stderr=err)
        self.wait_for(ready_path, 200, timeout=start_timeout)

    def wait_for(self, path: str, status: int, timeout: float) -> float:
        """Seconds until GET path answers `status`; RuntimeError if gunicorn exits first."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                break
            try:
                if self.get(path, timeout=5)[0] == status:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        tail = "\n".join(self.log_lines()[-30:])
        err = self.log_path.with_suffix(".err").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"GET {path} did not answer {status} within {timeout} s (gunicorn "
                           f"exit code {self.proc.returncode}); stdout:\n{tail}\nstderr:\n{err}")

    def get(self, path: str, headers: dict | None = None, timeout: float = 20.0):
        return request(self.port, "GET", path, headers=headers, timeout=timeout)

    def get_json(self, path: str) -> dict:
        status, _, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def predict(self, body: bytes, headers: dict | None = None):
        return request(self.port, "POST", "/predict", body,
                       headers={"Content-Type": "application/json", **(headers or {})})

    def workers(self) -> list[int]:
        """PIDs of the master's live children (the workers)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def cpu_seconds(self) -> float:
        """User + system CPU seconds so far of the master, its live workers and the
        workers it has reaped (recycled after max_requests, say)."""
        total = sum(_stat(self.proc.pid)[10:14])  # utime, stime, cutime, cstime
        total += sum(sum(_stat(pid)[10:12]) for pid in self.workers())
        return total / os.sysconf("SC_CLK_TCK")

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def log_records(self) -> list[dict]:
        """Every stdout line parsed as JSON (fails on a line that is not JSON)."""
        return [json.loads(line) for line in self.log_lines() if line.strip()]

    def remove_logs(self) -> None:
        for path in (self.log_path, self.log_path.with_suffix(".err")):
            path.unlink(missing_ok=True)

    def stop(self, sig: int = 15, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def _stat(pid: int) -> list[int]:
    """/proc/PID/stat fields from ppid on as ints ([10:14]: utime, stime, cutime, cstime);
    zeros once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return [0] * 50
    return [int(f) for f in text.rsplit(")", 1)[1].split()[1:]]
