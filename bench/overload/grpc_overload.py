"""Overload through gRPC: ModelInfer from 16 and 1,024 connections, as overload.py does over HTTP.

    .venv/bin/python bench/overload/grpc_overload.py [--seconds 8] [--max-inflight 64]
        [--processes 2]

Each run starts its own gunicorn (service/server/conf.py, 2 workers, models/default,
127.0.0.1) serving gRPC on a port of its own, warms it for a second with 16 connections,
then calls ModelInfer for `--seconds` from `--processes` client processes (grpc.aio),
each connection a channel of its own (its own TCP connection) calling back to back: one
MNIST digit (examples/digit_7.png's pixels) as raw FP32. Answers are counted by status
code: OK, RESOURCE_EXHAUSTED (the worker held MAX_INFLIGHT, service/grpc/calls.py) and
the rest; latency percentiles are over every answer. "before" is MAX_INFLIGHT=0.
Traffic goes to 127.0.0.1 only, and every run is bounded in time. Prints a Markdown
table for RELIABILITY.md. The clients are Python: at 1,024 connections they take CPU
from the server, so compare the rows with one another, not with wrk's.
"""

import argparse
import asyncio
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path

import grpc
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from service.grpc import protocol
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


def run(bound: int, connections: int, args) -> dict:
    server = Gunicorn(model_dir=ROOT / "models" / "default", workers=2,
                      env={"MAX_INFLIGHT": str(bound)})
    try:
        load(server.grpc_port, 16, 1.0, 1)  # warm-up, never shed
        return load(server.grpc_port, connections, args.seconds, args.processes)
    finally:
        server.stop()
        server.remove_logs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-inflight", type=int, nargs="+", default=[64])
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    sides = {"before": 0, **{f"MAX_INFLIGHT={n}": n for n in args.max_inflight}}
    print(f"ModelInfer of 1 digit, {args.processes} grpc.aio client processes, "
          f"{args.seconds:g} s per run; 2 gunicorn workers\n")
    print("| connections | server | OK/s | RESOURCE_EXHAUSTED/s | other | p50 ms | p99 ms |\n"
          "|---|---|---|---|---|---|---|")
    for connections in CONNECTIONS:
        for side, bound in sides.items():
            r = run(bound, connections, args)
            print(f"| {connections} | {side} | {r['ok_rate']:.0f} | {r['shed_rate']:.0f} | "
                  f"{r['other'] or 0} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
