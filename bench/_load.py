"""Shared by the benchmarks: a gunicorn on 127.0.0.1, a bounded load generator, CPU time.

Traffic only ever goes to 127.0.0.1, and every run is bounded by a duration.
"""

import http.client
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "service" / "gunicorn.conf.py"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn -c service/gunicorn.conf.py APP` on a free port; stdout to a temp file."""

    def __init__(self, app: str, workers: int = 2, env: dict | None = None,
                 ready_path: str = "/readyz"):
        self.port = free_port()
        environ = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        environ.update({"PORT": str(self.port), "BIND_HOST": HOST, "LOG_LEVEL": "INFO",
                        "WEB_CONCURRENCY": str(workers), "PYTHONPATH": str(ROOT),
                        **(env or {})})
        fd, self.log_path = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        self.log = os.fdopen(fd, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONF), app],
                                     cwd=ROOT, env=environ, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.wait_for(ready_path, 200, timeout=60)

    def request(self, method, path, body=None, headers=None, timeout=30.0):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def wait_for(self, path: str, status: int, timeout: float) -> float:
        """Seconds until GET path answers `status`; raises TimeoutError after `timeout`."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                tail = "\n".join(self.log_lines()[-20:])
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{tail}")
            try:
                if self.request("GET", path, timeout=5)[0] == status:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"GET {path} did not answer {status} within {timeout} s")

    def workers(self) -> list[int]:
        """PIDs of the master's live children (the workers)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def cpu_seconds(self) -> float:
        """User + system CPU seconds so far of the master, its live workers and the
        workers it has reaped (recycled after max_requests, say)."""
        tick = os.sysconf("SC_CLK_TCK")
        master = _stat(self.proc.pid)
        total = sum(master[10:14])  # utime, stime, and cutime, cstime of reaped children
        for pid in self.workers():
            worker = _stat(pid)
            total += sum(worker[10:12])
        return total / tick

    def stop(self, sig=15, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        Path(self.log_path).unlink(missing_ok=True)
        return self.proc.returncode

    def log_lines(self) -> list[str]:
        return Path(self.log_path).read_text(errors="replace").splitlines()


def _stat(pid: int) -> list[int]:
    """/proc/PID/stat fields 4 on (ppid, ...) as ints; [10:14] are utime, stime, cutime,
    cstime. Zeros once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return [0] * 50
    return [int(f) for f in text.rsplit(")", 1)[1].split()[1:]]


def _client(args) -> tuple[list[float], Counter]:
    """One kept-alive connection cycling through `requests` until `deadline`.

    A refused, reset or broken exchange is counted by its exception's name and the
    connection opened again.
    """
    port, requests, offset, deadline = args
    latencies, outcomes, conn, i = [], Counter(), None, offset
    while time.time() < deadline:
        path, body, headers = requests[i % len(requests)]
        i += 1
        if conn is None:
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException) as e:
            outcomes[type(e).__name__] += 1
            conn.close()
            conn = None
            time.sleep(0.001)  # a refused connect fails at once; do not spin
            continue
        latencies.append(time.perf_counter() - t0)
        outcomes[resp.status] += 1
        if resp.will_close:
            conn.close()
            conn = None
    return latencies, outcomes


def start_load(port: int, requests: list[tuple[str, bytes, dict]], *, clients: int,
               seconds: float):
    """Starts `clients` processes, one connection each, for `seconds`; returns `wait()`,
    which gives the rate, latency percentiles and outcomes (status or exception name)."""
    deadline = time.time() + seconds
    pool = multiprocessing.get_context("fork").Pool(clients)
    pending = pool.map_async(_client, [(port, requests, i, deadline) for i in range(clients)])

    def wait() -> dict:
        results = pending.get(seconds + 120)
        pool.close()
        pool.join()
        latencies = sorted(x for lat, _ in results for x in lat)
        outcomes = sum((c for _, c in results), Counter())

        def pick(q: float) -> float:
            return (latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3
                    if latencies else float("nan"))

        return {"requests": sum(outcomes.values()), "rate": len(latencies) / seconds,
                "p50_ms": pick(0.5), "p99_ms": pick(0.99), "outcomes": dict(outcomes)}

    return wait


def load(port: int, path: str, body: bytes, headers: dict, *, clients: int,
         seconds: float) -> dict:
    """The same request from `clients` connections for `seconds` (see start_load)."""
    return start_load(port, [(path, body, headers)], clients=clients, seconds=seconds)()
