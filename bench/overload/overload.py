"""Overload: wrk at 16 and 1,024 connections, without load shedding and with it, side by side.

    .venv/bin/python bench/overload/overload.py [--seconds 8] [--max-inflight N ...]

Each run starts its own gunicorn (service/server/conf.py, 2 workers, models/default) on
127.0.0.1, warms it for a second, then runs wrk (one thread, --timeout 10s) with
bench/wrk/statuses.lua for `--seconds`: one 28x28 PNG per request, or 256 of them in a
multipart upload. "before" is MAX_INFLIGHT=0 (no bound, as before issue 22), "after" each
`--max-inflight` value given. Every run is bounded in time and goes to 127.0.0.1 only.

The server-side time of a 503 is the worker's own: from the request's head parsed to
the 503 written (service/server/shedding.py logs how many took over 5 ms, and the
slowest). Prints a Markdown table for RELIABILITY.md.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from service.settings import SERVER
from tests.helpers import bodies
from tests.helpers.servers import ROOT, Gunicorn

LUA = ROOT / "bench" / "wrk" / "statuses.lua"
CONNECTIONS = (16, 1024)


def cases(tmp: Path) -> dict:
    """name -> (body file, Content-Type)."""
    made = {"1 PNG": (bodies.digit_png(), "image/png"),
            "256 PNGs": bodies.multipart([bodies.digit_png()] * 256)}
    out = {}
    for i, (name, (body, content_type)) in enumerate(made.items()):
        path = tmp / f"body{i}"
        path.write_bytes(body)
        out[name] = (path, content_type)
    return out


def wrk(port: int, case: tuple, *, seconds: float, connections: int) -> dict:
    """One wrk run against /predict: the JSON line statuses.lua prints."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(LUA), f"http://127.0.0.1:{port}/predict", "--", str(case[0]), case[1]]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def shed_log(server: Gunicorn) -> dict:
    """What the workers logged of their 503s: how many, how many over 5 ms, the slowest."""
    totals = {"shed": 0, "over_5ms": 0, "slowest_ms": 0.0}
    for record in server.log_records():
        summary = record.get("shed")
        if isinstance(summary, dict):
            totals["shed"] += summary["count"]
            totals["over_5ms"] += summary["over_5ms"]
            totals["slowest_ms"] = max(totals["slowest_ms"], summary["slowest_ms"])
    return totals


def run(bound: int, case: tuple, connections: int, seconds: float) -> dict:
    server = Gunicorn(model_dir=ROOT / "models" / "default", workers=2,
                      env={"MAX_INFLIGHT": str(bound), "GRPC_PORT": "0"})
    try:
        wrk(server.port, case, seconds=1, connections=16)  # warm-up, never shed
        result = wrk(server.port, case, seconds=seconds, connections=connections)
    finally:
        server.stop()
    result.update(shed_log(server))
    server.remove_logs()
    result["ok_rate"] = result["ok"] / result["seconds"]
    result["shed_rate"] = result["shed"] / result["seconds"]
    return result


def row(name: str, connections: int, side: str, r: dict) -> str:
    errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    server = (f"{r['over_5ms']} of {r['shed']} over 5 ms, slowest {r['slowest_ms']:.1f} ms"
              if r["shed"] else "")
    return (f"| {name} | {connections} | {side} | {r['ok_rate']:.0f} | {r['shed_rate']:.0f} | "
            f"{r['other']} | {errors} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {server} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-inflight", type=int, nargs="+",
                        default=[SERVER["MAX_INFLIGHT"][0]])  # the service's default
    parser.add_argument("--cases", nargs="+", default=["1 PNG", "256 PNGs"])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    sides = {"before": 0, **{f"MAX_INFLIGHT={n}": n for n in args.max_inflight}}
    print(f"wrk -t1, --timeout 10s, {args.seconds:g} s per run; 2 gunicorn workers\n")
    print("| request | connections | server | 200/s | 503/s | other | socket errors | "
          "p50 ms | p99 ms | 503s server side |\n|---|---|---|---|---|---|---|---|---|---|")
    tmp = Path(tempfile.mkdtemp(prefix="bench-overload-"))
    try:
        made = cases(tmp)
        for name in args.cases:
            for connections in CONNECTIONS:
                for side, bound in sides.items():  # side by side, one after the other
                    r = run(bound, made[name], connections, args.seconds)
                    print(row(name, connections, side, r), flush=True)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
