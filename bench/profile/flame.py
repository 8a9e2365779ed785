"""Where a worker's time goes under wrk: py-spy samples it, native frames included.

    .venv/bin/python bench/profile/flame.py --out docs/profile.svg [--seconds 10]
        [--format flamegraph|raw] [--case png] [--root DIR]

A gunicorn (service/server/conf.py, 1 gevent worker, GRPC_PORT=0, models/default) serves
wrk (one thread, 8 kept-alive connections, bench/wrk/post.lua); after a second of
warm-up, `py-spy record --native` samples the worker for `--seconds` (py-spy: `pip
install py-spy`; it needs ptrace, allowed by default for one's own children), frames
merged by function (`--function`), which keeps the SVG small. `--format raw` writes
collapsed stacks, which `shares()` below turns into the table of BENCHMARKS.md: the
share of samples under each of a few frames. py-spy pauses the worker for each sample;
on a machine that other jobs load, most samples fail (its "Errors") and the shares move.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.profile.cost import body_of
from tests.helpers.servers import ROOT, Gunicorn

LUA = ROOT / "bench" / "wrk" / "post.lua"
# Frames whose share of the samples the table gives: (name, a substring of the frame).
PARTS = (("the forward pass and verdict (inference.predict)",
          "predict (trainer/artifact/inference"),
         ("decoding (codec.decode)", "decode (service/codec/predict"),
         ("of it, JSON instances (orjson, np.array)", "instances (service/codec/instances"),
         ("reading the body, multipart split included (http/body)", "service/http/body"),
         ("the JSON answer (codec.answer)", "answer (service/codec/predict"),
         ("metrics (Metrics.count, .predicted)", "service/observe/metrics"),
         ("access hooks (_start, _finish)", "service/observe/access"),
         ("the Flask app, all of it (wsgi_app)", "wsgi_app (flask/app"),
         ("gunicorn around the app (handle_request)", "handle_request (gunicorn/workers"),
         ("sending the answer (send(2), the kernel's loopback TCP)", "sock_send"),
         ("gevent's hub waiting (epoll)", "epoll"))


def record(args) -> None:
    with tempfile.TemporaryDirectory(prefix="flame-") as tmp:
        body, content_type = body_of(args.case)
        path = Path(tmp) / "body"
        path.write_bytes(body)
        server = Gunicorn(model_dir=ROOT / "models" / "default", workers=1, root=args.root,
                          env={"GRPC_PORT": "0"})
        try:
            worker = server.workers()[0]
            wrk = subprocess.Popen(
                ["wrk", "-t1", "-c8", f"-d{args.seconds + 3}s", "-s", str(LUA),
                 f"http://127.0.0.1:{server.port}/predict", "--", str(path), content_type],
                stdout=subprocess.DEVNULL)
            time.sleep(1)
            subprocess.run([str(Path(sys.executable).parent / "py-spy"), "record", "--native",
                            "--pid", str(worker), "--duration",
                            str(args.seconds), "--rate", "250", "--function",
                            "--format", args.format,
                            "--output", str(args.out)], check=True)
            wrk.wait(args.seconds + 60)
        finally:
            server.stop()
            server.remove_logs()


def shares(collapsed: Path) -> dict[str, float]:
    """{part: share of all samples} of a py-spy raw (collapsed) file: a stack's samples
    count for every part named in one of its frames."""
    total, counts = 0, dict.fromkeys((name for name, _ in PARTS), 0)
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        for name, frame in PARTS:
            if frame in stack:
                counts[name] += int(n)
    return {name: count / max(total, 1) for name, count in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--format", choices=("flamegraph", "raw"), default="flamegraph")
    parser.add_argument("--case", choices=("png", "json", "batch"), default="png")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to profile")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    record(args)
    if args.format == "raw":
        print("| frame | share of the worker's samples |\n|---|---|")
        for name, share in shares(args.out).items():
            print(f"| {name} | {share:.0%} |")


if __name__ == "__main__":
    main()
