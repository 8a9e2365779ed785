"""What one request costs the real service: CPU instructions in a gunicorn worker under load.

    .venv/bin/python bench/profile/cost.py [--base REV] [--requests 400] [--cases png,json]

A gunicorn (service/server/conf.py, 1 gevent worker, GRPC_PORT=0, models/default of this
checkout) runs under valgrind's callgrind. After a warm-up, `--connections` kept-alive
clients send `--requests` requests back to back, and the worker's total at its exit,
less that of a run without them, is divided by their number (callgrind_control cannot
reach a forked worker to zero its counters, so each case is a start of its own, minutes
under valgrind). It counts the whole path (gunicorn's parsing, gevent, the shedding
bound, Flask, the codec, the forward pass, metrics, the access line) and nothing else.
Unlike wrk's rates, the count does not move with the machine's load.

`--root DIR` measures the checkout at DIR instead (with this checkout's models/default).
With `--base REV` the same runs on REV follow (a temporary worktree, bench/versus.py's),
and the table gives both and their ratio. `--annotate N` prints the N costliest C
functions of each loaded worker (callgrind_annotate), inclusive. `--syscalls` counts the
worker's system calls per request instead (strace -c; no valgrind), which callgrind,
counting user space only, does not see: a send(2) on loopback runs the receiver's TCP
stack too. `--in-process` counts the app alone in Flask's test client, with valgrind's
instrumentation switched on only around the requests (a C shim, built with cc, makes
callgrind's client requests): minutes where a worker under valgrind takes an hour on a
busy machine.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers import bodies
from tests.helpers.servers import HOST, ROOT, Gunicorn

MODEL = ROOT / "models" / "default"
# A worker under valgrind boots and stops tens of times slower: the master must neither
# kill it as silent nor cut its graceful stop short (callgrind writes its counts at exit).
SLOW_WORKER = "--timeout 900 --graceful-timeout 600"
CASES = {"png": ("1 PNG, raw body", "image/png"),
         "json": ("64 JSON instances", "application/json"),
         "batch": ("256 PNGs, multipart", None)}


def body_of(case: str) -> tuple[bytes, str]:
    if case == "png":
        return bodies.digit_png(), "image/png"
    if case == "json":
        return bodies.instances_json(64), "application/json"
    return bodies.multipart([bodies.digit_png()] * 256)


def send(port: int, body: bytes, content_type: str, count: int, connections: int) -> None:
    """`count` POST /predict over `connections` kept-alive connections; each must be 200."""
    failures = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=1800)
        try:
            for _ in range(n):
                conn.request("POST", "/predict", body=body,
                             headers={"Content-Type": content_type})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    failures.append(resp.status)
        except (OSError, http.client.HTTPException) as e:  # a count short: say so
            failures.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(count // connections,))
               for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"not every answer was a 200: {failures[:5]}")


def measure(root: Path, cases: list[str], args) -> dict:
    """{case: instructions per request} of the checkout at `root`: the worker's total with
    the requests, less its total without them (the start, the warm-up and the stop)."""
    idle = _worker_total(root, None, 0, args)
    counts = {}
    for case in cases:
        n = _count(case, args)
        counts[case] = (_worker_total(root, case, n, args) - idle) / n
    return counts


def _count(case: str, args) -> int:
    n = args.requests if case != "batch" else max(args.connections, args.requests // 20)
    return n // args.connections * args.connections


def _worker_total(root: Path, case: str | None, n: int, args) -> int:
    """Instructions the worker ran in its life: a start, a warm-up of every case (2 per
    connection), `n` requests of `case`, a graceful stop."""
    with tempfile.TemporaryDirectory(prefix="cost-") as tmp:
        server = Gunicorn(model_dir=args.model_dir, workers=1, root=root, start_timeout=900,
                          env={"GRPC_PORT": "0", "GUNICORN_CMD_ARGS": SLOW_WORKER},
                          launcher=("valgrind", "--tool=callgrind",
                                    f"--callgrind-out-file={tmp}/callgrind.%p"))
        try:
            worker = server.workers()[0]
            for each in args.cases.split(","):
                send(server.port, *body_of(each), args.connections * 2, args.connections)
            if case is not None:
                send(server.port, *body_of(case), n, args.connections)
        finally:
            server.stop(timeout=600)
            server.remove_logs()
        out = Path(tmp) / f"callgrind.{worker}"
        if args.annotate and case is not None:
            _annotate(out, args.annotate)
        return int(re.search(r"^totals: (\d+)", out.read_text(errors="replace"), re.M).group(1))


TOGGLES = r"""
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void stop(void) { CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""
IN_PROCESS = """
import contextlib, ctypes, io, os, sys
root, lib, n, cases = sys.argv[1], ctypes.CDLL(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, root)
os.chdir(root)
from service import create_app
client = create_app({"MODEL_DIR": os.environ["COST_MODEL"]}).test_client()
with contextlib.redirect_stdout(io.StringIO()):
    for case in cases:
        path, kind = case.split("::", 1)
        body = open(path, "rb").read()
        for i in range(5 + n):
            if i == 5:
                lib.start()
            assert client.post("/predict", data=body, content_type=kind).status_code == 200
        lib.stop()
"""


def in_process(root: Path, cases: list[str], args) -> dict:
    """{case: instructions per request} through Flask's test client in one process: the
    app's share of the cost (no gunicorn, gevent nor socket), counted only around the
    requests (valgrind runs the start uninstrumented: minutes instead of tens of them)."""
    n = args.requests
    with tempfile.TemporaryDirectory(prefix="cost-") as tmp:
        source, lib = Path(tmp) / "toggles.c", Path(tmp) / "toggles.so"
        source.write_text(TOGGLES)
        subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(lib), str(source)],
                       check=True)
        bodies = []
        for case in cases:
            body, kind = body_of(case)
            (Path(tmp) / case).write_bytes(body)
            bodies.append(f"{Path(tmp) / case}::{kind}")
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COST_MODEL": str(args.model_dir),
               "PYTHONPATH": str(root)}
        run = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                        f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, "-c",
                        IN_PROCESS, str(root), str(lib), str(n), *bodies],
                       env=env, check=False, capture_output=True, timeout=3600)
        if run.returncode:
            raise SystemExit(f"callgrind's run of {root} failed:\n{run.stderr[-3000:]}")
        dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda d: int(d.suffix[1:]))
        totals = [int(re.search(r"^totals: (\d+)", d.read_text(errors="replace"),
                                re.M).group(1)) for d in dumps]
    return {case: total / n for case, total in zip(cases, totals, strict=True)}


def syscalls(root: Path, case: str, args) -> dict[str, float]:
    """{system call: calls per request} of the worker over `--requests` requests of `case`
    (strace -c attached after the warm-up): what callgrind, in user space only, misses."""
    n = _count(case, args)
    with tempfile.TemporaryDirectory(prefix="cost-") as tmp:
        server = Gunicorn(model_dir=args.model_dir, workers=1, root=root,
                          env={"GRPC_PORT": "0"})
        try:
            send(server.port, *body_of(case), args.connections * 2, args.connections)
            out = Path(tmp) / "strace"
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(out), "-p",
                                       str(server.workers()[0])], stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # attached to every thread
            send(server.port, *body_of(case), n, args.connections)
            tracer.send_signal(signal.SIGINT)
            tracer.wait(30)
        finally:
            server.stop()
            server.remove_logs()
        rows = re.findall(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$",
                          out.read_text(), re.M)
    return {name: int(calls) / n for calls, name in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a git revision to compare with")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--cases", default="png,json")
    parser.add_argument("--annotate", type=int, default=0)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--model", choices=("this", "base"), default="this",
                        help="whose models/default both sides serve (base: for a REV that "
                             "cannot read today's artifact)")
    parser.add_argument("--in-process", action="store_true",
                        help="count the app alone, in Flask's test client (minutes, not hours)")
    parser.add_argument("--syscalls", action="store_true",
                        help="count the worker's system calls per request instead (strace)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: apt-get install valgrind")
    cases = args.cases.split(",")
    args.model_dir = MODEL
    if args.syscalls:
        for case in cases:
            calls = syscalls(args.root, case, args)
            print(f"{CASES[case][0]}: " + ", ".join(
                f"{name} {n:.2f}" for name, n in sorted(calls.items(), key=lambda c: -c[1])
                if n >= 0.01))
        return
    count = in_process if args.in_process else measure
    if not args.base:
        report(cases, count(args.root, cases, args), {}, None)
        return
    from bench.versus import served_model, worktree

    with worktree(args.base) as root:
        args.model_dir = served_model(args.model, root)
        this = count(args.root, cases, args)
        report(cases, this, {}, None)  # this side's counts stand even if the base's fail
        base = count(root, cases, args)
    report(cases, this, base, args.base)


def report(cases: list[str], this: dict, base: dict, rev: str | None) -> None:
    head = "| request | this, instructions per request |"
    head += f" {rev} | this / {rev} |\n|---|---|---|---|" if rev else "\n|---|---|"
    print(head)
    for case in cases:
        line = f"| {CASES[case][0]} | {this[case] / 1e6:.3f} M |"
        if rev:
            line += f" {base[case] / 1e6:.3f} M | {this[case] / base[case]:.3f} |"
        print(line, flush=True)


def _annotate(dump: Path, top: int) -> None:
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(dump)],
                         capture_output=True, text=True, check=True).stdout
    print("\n".join(out.splitlines()[:top + 25]) + "\n")


if __name__ == "__main__":
    main()
