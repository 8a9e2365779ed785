"""A bounded load generator in Python processes, for the fault-injection runs.

Traffic only ever goes to 127.0.0.1, and every run is bounded by a duration. The
server under load is tests/helpers/servers.py's Gunicorn.
"""

import http.client
import multiprocessing
import time
from collections import Counter

from tests.helpers.servers import HOST


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
