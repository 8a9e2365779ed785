"""Overload through gRPC: ModelInfer from 16 and 1,024 connections, as overload.py does over HTTP.

    .venv/bin/python bench/overload/grpc_overload.py [--seconds 8] [--max-inflight N ...]
        [--client h2load|python] [--processes 2]

Each run starts its own gunicorn (service/server/conf.py, 2 workers, models/default,
127.0.0.1) serving gRPC on a port of its own, warms it for a second with 16 connections,
then calls ModelInfer for `--seconds` from `--processes` client processes (grpc.aio),
each connection a channel of its own (its own TCP connection) calling back to back: one
MNIST digit (examples/digit_7.png's pixels) as raw FP32. Answers are counted by status
code: OK, RESOURCE_EXHAUSTED (the worker held MAX_INFLIGHT, service/grpc/calls.py) and
the rest; latency percentiles are over every answer. "before" is MAX_INFLIGHT=0.
Traffic goes to 127.0.0.1 only, and every run is bounded in time. Prints a Markdown
table for RELIABILITY.md.

`--client h2load` (the default; Debian's nghttp2-client) is the load generator in C, as
wrk is for HTTP: one thread, each connection one stream calling back to back, the gRPC
frame posted as the body. It sees HTTP/2 only, so each answer's gRPC code is counted
by the service itself (grpc_server_handled_total on /metrics, before and after), and
the latencies come from its per-request log. `--client python` (grpc.aio, `--processes`
of them) reads each code itself, but at 1,024 connections the Python clients take most
of the 2 cores from the server: compare its rows with one another only.
"""

import argparse
import asyncio
import multiprocessing
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import grpc
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from service.grpc import protocol
from service.settings import SERVER
from tests.helpers.servers import ROOT, Gunicorn

METHOD = f"/{protocol.SERVICE}/ModelInfer"
CONNECTIONS = (16, 1024)
TIMEOUT = 10.0  # seconds, as wrk's --timeout in overload.py


def infer_request() -> bytes:
    """A ModelInferRequest of one digit, raw FP32 pixels on 0..1."""
    pixels = np.asarray(Image.open(ROOT / "examples" / "digit_7.png").convert("L"), np.float32)
    request = protocol.message("ModelInferRequest")(model_name="mnist-mlp")
    request.inputs.add(name="pixels", datatype="FP32", shape=[1, 784])
    request.raw_input_contents.append((pixels.reshape(1, 784) / 255).tobytes())
    return request.SerializeToString()


def _client(args) -> tuple[list[float], Counter]:
    """`channels` connections calling back to back for `seconds` from the client's start
    (a process's start takes a while on a busy machine: a common deadline could pass)."""
    port, channels, seconds, body = args
    latencies, codes = [], Counter()
    deadline = time.time() + seconds

    async def one(i: int) -> None:
        # A subchannel pool of its own: channels to one address share no connection.
        options = [("grpc.use_local_subchannel_pool", 1), ("grpc.channel_id", i)]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            call = channel.unary_unary(METHOD, request_serializer=bytes,
                                       response_deserializer=bytes)
            while time.time() < deadline:
                t0 = time.perf_counter()
                try:
                    await call(body, timeout=TIMEOUT)
                    codes["OK"] += 1
                except grpc.aio.AioRpcError as e:
                    codes[e.code().name] += 1
                latencies.append(time.perf_counter() - t0)

    async def every() -> None:
        await asyncio.gather(*(one(i) for i in range(channels)))

    asyncio.run(every())
    return latencies, codes


def load(port: int, connections: int, seconds: float, processes: int) -> dict:
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    body = infer_request()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_client, [(port, n, seconds, body) for n in shares if n])
    latencies = np.sort(np.concatenate([np.asarray(lat) for lat, _ in results])) * 1e3
    codes = sum((c for _, c in results), Counter())
    return {"ok_rate": codes.pop("OK", 0) / seconds,
            "shed_rate": codes.pop("RESOURCE_EXHAUSTED", 0) / seconds, "other": dict(codes),
            "p50_ms": float(np.percentile(latencies, 50)),
            "p99_ms": float(np.percentile(latencies, 99))}


def h2load(server: Gunicorn, connections: int, seconds: float) -> dict:
    """h2load's calls for `seconds`: each answer's latency from its log, each code from the
    service's own count of what it answered meanwhile."""
    message = infer_request()
    before = grpc_codes(server)
    with tempfile.TemporaryDirectory(prefix="h2load-") as tmp:
        body, log = Path(tmp) / "frame", Path(tmp) / "log"
        body.write_bytes(b"\0" + len(message).to_bytes(4, "big") + message)  # gRPC's frame
        subprocess.run(["h2load", "-t1", f"-c{connections}", "-m1", f"-D{seconds:g}",
                        "-d", str(body), "--log-file", str(log),
                        "-H", "content-type: application/grpc", "-H", "te: trailers",
                        f"http://127.0.0.1:{server.grpc_port}{METHOD}"],
                       check=True, capture_output=True, timeout=seconds + 120)
        # Each line: start (µs since the epoch), HTTP status, latency in µs.
        rows = np.loadtxt(log, dtype=np.int64, ndmin=2)
    codes = grpc_codes(server) - before
    latencies = np.sort(rows[:, 2]) / 1e3 if len(rows) else np.zeros(1)
    return {"ok_rate": codes.pop("OK", 0) / seconds,
            "shed_rate": codes.pop("RESOURCE_EXHAUSTED", 0) / seconds,
            "other": {k: v for k, v in codes.items() if v},
            "p50_ms": float(np.percentile(latencies, 50)),
            "p99_ms": float(np.percentile(latencies, 99))}


def grpc_codes(server: Gunicorn) -> Counter:
    """ModelInfer's answers so far by gRPC code, from the service's /metrics."""
    _, _, text = server.get("/metrics")
    codes = Counter()
    for labels, value in re.findall(rb"^grpc_server_handled_total\{([^}]*)\} (\S+)$", text,
                                    re.M):
        found = dict(re.findall(rb'(\w+)="([^"]*)"', labels))
        if found.get(b"grpc_method") == b"ModelInfer":
            codes[found[b"grpc_code"].decode()] += int(float(value))
    return codes


def run(bound: int, connections: int, args) -> dict:
    server = Gunicorn(model_dir=ROOT / "models" / "default", workers=2,
                      env={"MAX_INFLIGHT": str(bound)})
    try:
        load(server.grpc_port, 16, 1.0, 1)  # warm-up, never shed
        if args.client == "h2load":
            return h2load(server, connections, args.seconds)
        return load(server.grpc_port, connections, args.seconds, args.processes)
    finally:
        server.stop()
        server.remove_logs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-inflight", type=int, nargs="+",
                        default=[SERVER["MAX_INFLIGHT"][0]])  # the service's default
    parser.add_argument("--client", choices=("h2load", "python"), default="h2load")
    parser.add_argument("--processes", type=int, default=2, help="python clients")
    args = parser.parse_args()
    if args.client == "h2load" and shutil.which("h2load") is None:
        raise SystemExit("h2load is missing: apt-get install nghttp2-client")
    sides = {"before": 0, **{f"MAX_INFLIGHT={n}": n for n in args.max_inflight}}
    clients = ("h2load, one thread" if args.client == "h2load"
               else f"{args.processes} grpc.aio client processes")
    print(f"ModelInfer of 1 digit, {clients}, {args.seconds:g} s per run; 2 gunicorn "
          "workers\n")
    print("| connections | server | OK/s | RESOURCE_EXHAUSTED/s | other | p50 ms | p99 ms |\n"
          "|---|---|---|---|---|---|---|")
    for connections in CONNECTIONS:
        for side, bound in sides.items():
            r = run(bound, connections, args)
            print(f"| {connections} | {side} | {r['ok_rate']:.0f} | {r['shed_rate']:.0f} | "
                  f"{r['other'] or 0} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
