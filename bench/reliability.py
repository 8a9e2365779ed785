"""Faults under load: HUP reloads (good and broken artifact), a killed worker, SIGTERM,
and a stream of hostile input, each against a real gunicorn on 127.0.0.1.

    .venv/bin/python bench/reliability.py [--seconds 8] [--clients 4]

Each scenario starts its own server (2 workers) on a copy of models/default, sends one
MNIST digit as PNG from `--clients` kept-alive connections for `--seconds`, injects its
fault a third of the way in, and reports every request's outcome: an HTTP status, or
the name of the exception the client saw. Prints a Markdown table for RELIABILITY.md.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _hostile
from bench._load import start_load
from tests.helpers.servers import ROOT, Gunicorn, request
from trainer.artifact import integrity, store
from trainer.nn import network

DIGIT = (ROOT / "examples" / "digit_7.png").read_bytes()
PNG_REQUEST = [("/predict", DIGIT, {"Content-Type": "image/png"})]


def version(server: Gunicorn) -> str | None:
    status, _, body = server.get("/model", timeout=5)
    return json.loads(body)["version"] if status == 200 else None


def until(predicate, timeout: float = 30.0) -> float:
    """Seconds until predicate() is true (polling); nan if it never was within timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if predicate():
                return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.02)
    return float("nan")


def new_model(model_dir: Path, seed: int) -> str:
    """Writes a different valid 784-512-10 artifact into model_dir; returns its version."""
    params = network.init([784, 512, 10], np.random.default_rng(seed))
    return store.save(model_dir, params, name="reliability")["version"]


def hup(server, model_dir, args) -> dict:
    new = new_model(model_dir, seed=1)
    os.kill(server.proc.pid, signal.SIGHUP)
    return {"new version served after": until(lambda: version(server) == new)}


def hup_broken(server, model_dir, args) -> dict:
    old, booted = version(server), _ready_lines(server)
    npz = model_dir / integrity.WEIGHTS_FILE
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    os.kill(server.proc.pid, signal.SIGHUP)
    replaced = until(lambda: _ready_lines(server) >= booted + 2)
    kept = version(server) == old
    time.sleep(args.seconds / 6)
    new = new_model(model_dir, seed=2)  # the operator repairs the artifact and HUPs again
    os.kill(server.proc.pid, signal.SIGHUP)
    return {"new workers ready on the last good copy after": replaced,
            "old version still served": kept,
            "repaired one served after": until(lambda: version(server) == new)}


def _ready_lines(server) -> int:
    return sum("model ready" in line for line in server.log_lines())


def kill_worker(server, model_dir, args) -> dict:
    victim = server.workers()[0]
    os.kill(victim, signal.SIGKILL)
    return {"2 workers ready again after": until(
        lambda: len(server.workers()) == 2 and victim not in server.workers()
        and all(server.get("/readyz", timeout=5)[0] == 200 for _ in range(4)))}


def sigterm(server, model_dir, args) -> dict:
    t0 = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    code = server.proc.wait(30)
    return {"exit code": code, "exited after": time.monotonic() - t0}


def hostile(server, model_dir, args) -> dict:
    return {}


def slow_clients(server, model_dir, args, count: int = 8) -> dict:
    """`count` connections that send part of a request's headers and then go quiet."""
    import socket
    import threading

    t0, closed = time.monotonic(), []

    def stall() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=120) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            with contextlib.suppress(OSError):
                sock.recv(1)  # returns (or fails) when the server gives up on us
        closed.append(time.monotonic() - t0)

    stallers = [threading.Thread(target=stall) for _ in range(count)]
    for thread in stallers:
        thread.start()
    time.sleep(1.0)
    try:
        during = server.get("/healthz", timeout=3)[0]
    except OSError as e:
        during = type(e).__name__
    until(lambda: server.get("/healthz", timeout=1)[0] == 200, 120)
    answered = time.monotonic() - t0
    for thread in stallers:
        thread.join(120)
    return {f"/healthz 1 s into the stall of {count} connections": during,
            "/healthz answered again after": answered,
            "stalled connections closed by the server after": min(closed),
            "the last one after": max(closed)}


SCENARIOS = {
    "HUP, new artifact": hup,
    "HUP, truncated artifact, then repaired": hup_broken,
    "kill -9 one worker": kill_worker,
    "SIGTERM": sigterm,
    "hostile input only": hostile,
    "8 slow clients (headers never finished)": slow_clients,
}


def run(name: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        model_dir = Path(tmp) / "model"
        shutil.copytree(ROOT / "models" / "default", model_dir)
        server = Gunicorn(model_dir=model_dir, workers=2)
        workers = set(server.workers())
        traffic = (_hostile.requests(DIGIT) if name.startswith("hostile") else PNG_REQUEST)
        try:
            wait = start_load(server.port, traffic, clients=args.clients, seconds=args.seconds)
            time.sleep(args.seconds / 3)
            facts = SCENARIOS[name](server, model_dir, args)
            result = wait()
            if name.startswith("hostile"):
                facts["workers replaced"] = len(workers - set(server.workers()))
                facts["worker peak RSS MiB"] = max(_peak_rss_mib(p) for p in server.workers())
                facts["a digit still reads as"] = json.loads(request(
                    server.port, "POST", "/predict", DIGIT,
                    headers={"Content-Type": "image/png"})[2])["predictions"][0]["label"]
        finally:
            server.stop()
            server.remove_logs()
    return {"outcomes": result["outcomes"], **facts}


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(f"2 gunicorn workers, {args.clients} clients, {args.seconds:g} s of traffic per "
          "scenario, fault at a third of it\n")
    print("| scenario | outcomes (count) | measured |")
    print("|---|---|---|")
    for name in SCENARIOS:
        r = run(name, args)
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(r.pop("outcomes").items(),
                                                           key=lambda kv: str(kv[0])))
        facts = "; ".join(f"{k} {v:.2f} s" if isinstance(v, float) and k.endswith(("after", "for"))
                          else f"{k} {v}" for k, v in r.items())
        print(f"| {name} | {outcomes} | {facts} |", flush=True)


if __name__ == "__main__":
    main()
