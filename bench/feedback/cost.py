"""The cost of corrections: /predict's throughput under wrk, with 50 corrections a second
stored in SQLite beside it and without, side by side; and the corrections' latency.

    .venv/bin/python bench/feedback/cost.py [--seconds 10] [--repeats 3] [--rate 50]

Each run starts its own gunicorn (service/server/conf.py, 2 workers, models/default) on
127.0.0.1. wrk (one thread, 16 connections, bench/wrk/statuses.lua) posts one 28x28 PNG
per request to /predict for `--seconds`, while a paced client posts `--rate` corrections
a second (the same PNG, ?label=7, one kept-alive connection, open loop: each is due at
start + i/rate) to /feedback. "on": FEEDBACK_DB is a fresh SQLite file (WAL,
synchronous=FULL); "off": FEEDBACK_DB=off, where /feedback answers 404 before reading
the image, so the client's own work is the same on both sides and the difference is the
server's. Sides alternate, off first, `--repeats` times. Every run is bounded in time
and goes to 127.0.0.1 only. Prints a Markdown table for BENCHMARKS.md.

`--cpu` instead counts the server's CPU time per request (/proc), which says something
even on a machine shared with other jobs, where throughput does not.
"""

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.overload.overload import wrk
from tests.helpers import bodies
from tests.helpers.servers import HOST, ROOT, Gunicorn


class Corrections(threading.Thread):
    """Posts `rate` corrections a second to `port` until `seconds` pass; .latencies (s),
    .statuses (each answer's)."""

    def __init__(self, port: int, rate: float, seconds: float):
        super().__init__(daemon=True)
        self.port, self.rate, self.seconds = port, rate, seconds
        self.latencies: list[float] = []
        self.statuses: list[int] = []

    def run(self) -> None:
        body, conn = bodies.digit_png(), None
        start = time.monotonic()
        for i in range(int(self.rate * self.seconds)):
            delay = start + i / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            conn = conn or http.client.HTTPConnection(HOST, self.port, timeout=10)
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/feedback?label=7", body=body,
                             headers={"Content-Type": "image/png"})
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn, status = None, -1
            else:
                status = resp.status
            self.latencies.append(time.perf_counter() - t0)
            self.statuses.append(status)


def one(side: str, case: tuple, args, tmp: Path) -> dict:
    store = "off" if side == "off" else f"sqlite:///{tmp / side}-{time.time_ns()}.db"
    server = Gunicorn(model_dir=ROOT / "models" / "default", workers=2,
                      env={"FEEDBACK_DB": store, "GRPC_PORT": "0"})
    try:
        wrk(server.port, case, seconds=1, connections=16)  # warm-up
        sender = Corrections(server.port, args.rate, args.seconds)
        sender.start()
        result = wrk(server.port, case, seconds=args.seconds, connections=16)
        sender.join(args.seconds + 30)
    finally:
        server.stop()
        server.remove_logs()
    lat = sorted(sender.latencies)
    return {"predict_rps": result["ok"] / result["seconds"], "predict_p99_ms": result["p99_ms"],
            "feedback_p50_ms": 1000 * lat[len(lat) // 2],
            "feedback_p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "feedback": f"{sender.statuses.count(201 if side == 'on' else 404)}/"
                        f"{len(sender.statuses)}"}


def cpu_costs(tmp: Path, count: int = 400) -> None:
    """Server CPU ms per request (master + worker, from /proc), one worker, `count`
    sequential requests after 30 to warm up: /predict, and /feedback off (404) and on
    (201). CPU time, unlike throughput, says something on a machine shared with others."""
    body = bodies.digit_png()
    print("| FEEDBACK_DB | request | status | server CPU ms a request |")
    print("|---|---|---|---:|")
    for store in ("off", f"sqlite:///{tmp / 'cpu.db'}"):
        server = Gunicorn(model_dir=ROOT / "models" / "default", workers=1,
                          env={"FEEDBACK_DB": store, "GRPC_PORT": "0"})
        try:
            conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
            for path in ("/predict", "/feedback?label=7"):
                for i in range(30 + count):
                    if i == 30:
                        cpu = server.cpu_seconds()
                    conn.request("POST", path, body=body, headers={"Content-Type": "image/png"})
                    resp = conn.getresponse()
                    resp.read()
                used = 1000 * (server.cpu_seconds() - cpu) / count
                print(f"| {store.split(':')[0]} | POST {path} | {resp.status} | {used:.2f} |")
        finally:
            server.stop()
            server.remove_logs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--cpu", action="store_true",
                        help="only the server's CPU time per request, on and off")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="feedback-cost-") as tmp:
        if args.cpu:
            cpu_costs(Path(tmp))
            return
        body = Path(tmp) / "digit.png"
        body.write_bytes(bodies.digit_png())
        case = (body, "image/png")
        runs = {"off": [], "on": []}
        for _ in range(args.repeats):
            for side, done in runs.items():
                done.append(one(side, case, args, Path(tmp)))
                print(side, done[-1], file=sys.stderr)
    table(runs, args)


def table(runs: dict, args) -> None:
    med = {side: {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "feedback"}
           for side, rs in runs.items()}
    print(f"| feedback | /predict req/s (median of {args.repeats}) | /predict p99 ms | "
          f"corrections/s | correction p50 ms | correction p99 ms | answered |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for side, m in med.items():
        answered = ", ".join(r["feedback"] for r in runs[side])
        print(f"| {side} | {m['predict_rps']:.0f} | {m['predict_p99_ms']:.1f} | {args.rate:g} | "
              f"{m['feedback_p50_ms']:.1f} | {m['feedback_p99_ms']:.1f} | {answered} |")
    change = med["on"]["predict_rps"] / med["off"]["predict_rps"] - 1
    print(f"\n/predict throughput with feedback on: {100 * change:+.1f}% against off.")


if __name__ == "__main__":
    main()
