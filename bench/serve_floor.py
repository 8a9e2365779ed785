"""Serving cost against the web framework's floor and a Flask + PyTorch peer, under wrk.

    .venv/bin/python bench/serve_floor.py [--seconds 10] [--connections 16] [--repeats 3]

Every server runs under service/server/conf.py on 127.0.0.1 with 2 workers: the
real service (models/default) and bench/floor_app.py (the same Flask and gunicorn
configuration, no model work) with the config's gevent workers, and
bench/torch_app.py (what a user would write with Flask and PyTorch, same weights)
with gunicorn's usual gthread workers, 2 threads each. wrk (Debian package `wrk`, one
thread) sends the same request over `--connections` kept-alive connections, the sides
taking turns in rounds (the order reversed every other round), and the median of
`--repeats` runs is reported, with each round's own ratios. Every answer must be a
200. The server's CPU milliseconds per request (master and workers, from /proc) is
measured with one worker, the way the request path's cost is tracked.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import bodies
from tests.helpers.servers import ROOT, Gunicorn

LUA = ROOT / "bench" / "wrk" / "post.lua"
APPS = {"service": "service:create_app()", "floor": "bench.floor_app:create_app()",
        "torch": "bench.torch_app:create_app()"}
# The peer as its user would run it: gunicorn's thread workers, 2 threads each.
FLAGS = {"torch": "--worker-class gthread --threads 2"}


def wrk(port: int, body_file: Path, content_type: str, *, seconds: float,
        connections: int, delay_ms: float = 0.0) -> dict:
    """One wrk run against /predict; the JSON line bench/wrk/post.lua prints."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(LUA), f"http://127.0.0.1:{port}/predict", "--", str(body_file),
           content_type, str(delay_ms)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["non_2xx"] or result["socket_errors"]:
        raise SystemExit(f"not every answer was a 200: {result}")
    result["rate"] = result["requests"] / result["seconds"]
    return result


def measure(side: str, case: tuple, args, *, workers=2, delay_ms=0.0) -> dict:
    body_file, content_type, _ = case
    server = Gunicorn(APPS[side], workers=workers,
                      env={"GUNICORN_CMD_ARGS": FLAGS.get(side, ""), "GRPC_PORT": "0"})
    try:
        wrk(server.port, body_file, content_type, seconds=1, connections=args.connections)
        cpu0 = server.cpu_seconds()
        result = wrk(server.port, body_file, content_type, seconds=args.seconds,
                     connections=args.connections, delay_ms=delay_ms)
        result["cpu_ms"] = (server.cpu_seconds() - cpu0) * 1e3 / max(result["requests"], 1)
    finally:
        server.stop()
        server.remove_logs()
    return result


def cases(tmp: Path) -> dict:
    """name -> (body file, Content-Type, images per request)."""
    made = {"1 PNG, raw body": (bodies.digit_png(), "image/png", 1),
            "1 PNG, multipart": (*bodies.multipart([bodies.digit_png()]), 1),
            "256 PNGs, multipart": (*bodies.multipart([bodies.digit_png()] * 256), 256),
            "64 JSON instances": (bodies.instances_json(64), "application/json", 64)}
    out = {}
    for i, (name, (body, content_type, count)) in enumerate(made.items()):
        path = tmp / f"body{i}"
        path.write_bytes(body)
        out[name] = (path, content_type, count)
    return out


def _median(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in ("rate", "p50_ms", "p99_ms",
                                                                 "cpu_ms")}


def rounds(case, sides, args) -> dict[str, list[dict]]:
    """{side: its runs}: a run of each side per round, the order reversed every other
    round, so that neither drift nor going first favours a side."""
    runs = {side: [] for side in sides}
    for i in range(args.repeats):
        for side in sides[::1 if i % 2 == 0 else -1]:
            runs[side].append(measure(side, case, args))
    return runs


def side_by_side(case, sides, args) -> dict:
    return {side: _median(rs) for side, rs in rounds(case, sides, args).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="bench-bodies-"))
    try:
        report(cases(tmp), args)
    finally:
        shutil.rmtree(tmp)


def report(all_cases: dict, args) -> None:
    print(f"wrk -t1 -c{args.connections}, {args.seconds:g} s per run, median of "
          f"{args.repeats} alternating runs; 2 gunicorn workers\n")
    print("| request | service req/s | floor req/s | PyTorch peer req/s | service / floor "
          "| service / peer | service p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|")
    png = all_cases["1 PNG, raw body"]
    runs = rounds(png, ("service", "floor", "torch"), args)
    m = {side: _median(rs) for side, rs in runs.items()}
    s, f, t = m["service"], m["floor"], m["torch"]
    print(f"| 1 PNG, raw body | {s['rate']:.0f} | {f['rate']:.0f} | {t['rate']:.0f} | "
          f"{s['rate'] / f['rate']:.2f} | {s['rate'] / t['rate']:.2f} | "
          f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} |", flush=True)
    print("\nOne-run ratios, round by round (service / floor, service / peer): " + ", ".join(
        f"{a['rate'] / b['rate']:.2f} and {a['rate'] / c['rate']:.2f}"
        for a, b, c in zip(runs["service"], runs["floor"], runs["torch"], strict=True)))
    print("\n| request | service req/s | images/s | p50 / p99 ms |\n|---|---|---|---|")
    for name in ("1 PNG, multipart", "256 PNGs, multipart", "64 JSON instances"):
        r = side_by_side(all_cases[name], ("service",), args)["service"]
        count = all_cases[name][2]
        print(f"| {name} | {r['rate']:.0f} | {r['rate'] * count:.0f} | "
              f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} |", flush=True)
    half_load(png, f["rate"] / 2, args)
    cpu_per_request(png, args)


def half_load(case, target_rate: float, args) -> None:
    """p99 with the offered load at half the floor's saturating rate (think time per
    connection in wrk's delay(): closed loop, so a slow answer also delays the next)."""
    delay = max(0.0, args.connections / target_rate * 1e3)
    r = measure("service", case, args, delay_ms=delay)
    print(f"\nAt half the floor's rate ({target_rate:.0f} req/s offered, "
          f"{r['rate']:.0f} achieved): service p50 {r['p50_ms']:.2f} ms, "
          f"p99 {r['p99_ms']:.2f} ms", flush=True)


def cpu_per_request(case, args) -> None:
    """Server CPU ms per 1-PNG request, one worker, 8 connections."""
    conns = argparse.Namespace(**{**vars(args), "connections": 8})
    cpu = {side: [] for side in APPS}
    for i in range(args.repeats):
        for side in list(APPS)[::1 if i % 2 == 0 else -1]:
            cpu[side].append(measure(side, case, conns, workers=1)["cpu_ms"])
    print("\nServer CPU ms per 1-PNG request (1 worker, wrk -c8): " + ", ".join(
        f"{side} {statistics.median(v):.2f}" for side, v in cpu.items()))


if __name__ == "__main__":
    main()
