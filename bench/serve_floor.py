"""Serving cost against the web framework's floor, side by side under one gunicorn config.

    .venv/bin/python bench/serve_floor.py [--seconds 10] [--clients 4] [--repeats 2]

For each request kind, the real service (models/default) and bench/floor_app.py (the
same Flask and gunicorn, no model work) take the same load in turn: `--clients`
processes, one kept-alive connection each, for `--seconds`. Reported per side:
requests per second, median and 99th-percentile latency, and the server's CPU
milliseconds per request (master and workers, from /proc), which the load generator's
own CPU use, on the same two cores, does not touch. Every answer must be a 200.
"""

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

# As in each gunicorn worker (service/gunicorn.conf.py), for the in-process timing.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._load import ROOT, Gunicorn, load

DIGIT = (ROOT / "examples" / "digit_7.png").read_bytes()


def _multipart(blob: bytes) -> tuple[bytes, dict]:
    boundary = "benchboundary7d1e"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"digit.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + blob + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _instances(count: int) -> tuple[bytes, dict]:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(count, 784)).tolist()
    return json.dumps({"instances": pixels}).encode(), {"Content-Type": "application/json"}


CASES = {
    "1 PNG, raw body": lambda: (DIGIT, {"Content-Type": "image/png"}),
    "1 PNG, multipart": lambda: _multipart(DIGIT),
    "JSON, 1 instance": lambda: _instances(1),
    "JSON, 64 instances": lambda: _instances(64),
}
APPS = {"service": "service:create_app()", "floor": "bench.floor_app:create_app()"}


def measure(app: str, body: bytes, headers: dict, args) -> dict:
    server = Gunicorn(app, workers=args.workers)
    try:
        load(server.port, "/predict", body, headers, clients=args.clients, seconds=1.0)  # warm
        cpu0 = server.cpu_seconds()
        result = load(server.port, "/predict", body, headers, clients=args.clients,
                      seconds=args.seconds)
        result["cpu_ms"] = (server.cpu_seconds() - cpu0) * 1e3 / max(result["requests"], 1)
    finally:
        server.stop()
    if set(result["outcomes"]) != {200}:
        raise SystemExit(f"{app}: not every answer was a 200: {result['outcomes']}")
    return result


def in_process(n: int = 2000) -> dict:
    """ms per 1-PNG /predict through Flask's test client, and per forward pass alone."""
    from service import create_app

    sys.stdout.flush()
    saved = os.dup(1)  # the access log line is part of the cost; its text goes nowhere
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        return _time_calls(create_app(), n)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)


def _time_calls(app, n: int) -> dict:
    import time

    client, model = app.test_client(), app.extensions["predictor"].current()
    x = np.zeros((1, 784), np.float32)
    timings = {}
    for name, call in (("request", lambda: client.post("/predict", data=DIGIT,
                                                       content_type="image/png")),
                       ("forward", lambda: model.probabilities(x))):
        for _ in range(n // 10):
            call()
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        timings[name] = (time.perf_counter() - t0) * 1e3 / n
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    ms = in_process()
    print(f"In process (Flask test client, one BLAS thread, no HTTP): a 1-PNG /predict takes "
          f"{ms['request']:.3f} ms, of which the model's forward pass is {ms['forward']:.3f} ms"
          "\n")
    print(f"{args.workers} gunicorn workers, {args.clients} clients, {args.seconds:g} s per "
          f"run, median of {args.repeats} runs per side\n")
    print("| request | service req/s | floor req/s | service / floor | service p50 / p99 ms "
          "| floor p50 / p99 ms | service CPU ms/req | floor CPU ms/req |")
    print("|---|---|---|---|---|---|---|---|")
    for name, make in CASES.items():
        body, headers = make()
        runs = {side: [] for side in APPS}
        for _ in range(args.repeats):
            for side, app in APPS.items():
                runs[side].append(measure(app, body, headers, args))
        med = {side: {k: statistics.median(r[k] for r in rs)
                      for k in ("rate", "p50_ms", "p99_ms", "cpu_ms")}
               for side, rs in runs.items()}
        s, f = med["service"], med["floor"]
        print(f"| {name} | {s['rate']:.0f} | {f['rate']:.0f} | {s['rate'] / f['rate']:.2f} | "
              f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} | {f['p50_ms']:.1f} / {f['p99_ms']:.1f} | "
              f"{s['cpu_ms']:.2f} | {f['cpu_ms']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
