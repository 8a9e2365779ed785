"""ModelInfer over gRPC against REST V2 with binary tensors, side by side in one run.

    .venv/bin/python bench/protocols/grpc_vs_rest.py --seconds 5 --repeats 3

One gunicorn (the shipped model, WEB_CONCURRENCY=--workers) on 127.0.0.1; --clients
processes of tritonclient, each calling back to back, .grpc or .http (binary inputs
and outputs, as tritonclient sends by default), 1 image or 64 a call. The two protocols
alternate, in turns of --seconds, --repeats times; a table of the median rates goes to
stdout, with the server's CPU per call (the workers' and the master's user + system).
"""

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout
from tests.helpers import ROOT
from tests.helpers.servers import Gunicorn

MODEL = ROOT / "models" / "default"
NAMES = ("probabilities", "is_digit", "confidence")


def _client(protocol: str, port: int):
    """(client, infer(x) -> None) for tritonclient's `protocol` module."""
    if protocol == "grpc":
        import tritonclient.grpc as lib
    else:
        import tritonclient.http as lib
    client = lib.InferenceServerClient(f"127.0.0.1:{port}")
    name = json.loads((MODEL / "model.json").read_text())["name"]

    def infer(x: np.ndarray) -> None:
        inp = lib.InferInput("pixels", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        outputs = [lib.InferRequestedOutput(n) for n in NAMES]
        result = client.infer(name, [inp], outputs=outputs)
        assert result.as_numpy("probabilities").shape == (len(x), 10)

    return client, infer


def calls_for(protocol: str, port: int, batch: int, seconds: float) -> int:
    """Back-to-back calls of `batch` images for `seconds` (after a warm-up); the count."""
    client, infer = _client(protocol, port)
    x = np.random.default_rng(batch).random((batch, 784), dtype=np.float32)
    for _ in range(20):
        infer(x)
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        infer(x)
        count += 1
    client.close()
    return count


def turn(pool, server: Gunicorn, protocol: str, batch: int, args) -> dict:
    port = server.grpc_port if protocol == "grpc" else server.port
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    counts = pool.starmap(calls_for, [(protocol, port, batch, args.seconds)] * args.clients)
    wall, cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
    calls = sum(counts)
    return {"calls/s": calls / args.seconds, "images/s": calls * batch / args.seconds,
            "server CPU ms/call": 1000 * cpu / calls, "wall": wall}


def run(args) -> dict:
    results: dict = {}
    server = Gunicorn(model_dir=MODEL, workers=args.workers)
    try:
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            for repeat in range(args.repeats):
                for batch in (1, 64):
                    order = ("grpc", "rest") if repeat % 2 == 0 else ("rest", "grpc")
                    for protocol in order:
                        got = turn(pool, server, protocol, batch, args)
                        results.setdefault((batch, protocol), []).append(got)
                        print(f"repeat {repeat} batch {batch} {protocol}: "
                              f"{got['calls/s']:.0f} calls/s", file=sys.stderr)
    finally:
        server.stop()
        server.remove_logs()
    return results


def table(results: dict) -> str:
    lines = ["| images a call | protocol | calls/s | images/s | server CPU ms a call |",
             "|---|---|---|---|---|"]
    for (batch, protocol), runs in sorted(results.items(), key=lambda kv: (kv[0][0],
                                                                         kv[0][1] != "grpc")):
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        label = "gRPC" if protocol == "grpc" else "REST, binary tensors"
        lines.append(f"| {batch} | {label} | {med['calls/s']:,.0f} | {med['images/s']:,.0f} "
                     f"| {med['server CPU ms/call']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(table(run(args)))


if __name__ == "__main__":
    main()
