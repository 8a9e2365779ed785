"""This checkout against an earlier revision, side by side: serving under wrk, and training.

    .venv/bin/python bench/versus.py serve --base REV [--seconds 8] [--repeats 3]
    .venv/bin/python bench/versus.py train --base REV [--repeats 3] [-- TRAIN OPTIONS]

REV is checked out into a temporary git worktree and run with this venv, the two
sides taking turns so that the machine's drift hits both alike; each line gives
the median of `--repeats` runs and the ratio this / REV.

- serve: each side under its own gunicorn config, 2 workers, models/default of this
  checkout (so both serve the same weights); wrk -t1 over 16 kept-alive connections
  (bench/serve_floor.py's), for one PNG, 256 PNGs in one multipart body and 64 JSON
  instances. Every answer must be a 200.
- train: `python -m trainer train` of each side, in a fresh process, with the options
  after `--` (default: the defaults, 2 epochs); the seconds per epoch are the
  trainer's own (OUT/metrics.jsonl), after the first epoch, which warms caches.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve_floor import cases, wrk
from tests.helpers.servers import ROOT, Gunicorn

MODEL = ROOT / "models" / "default"


@contextmanager
def worktree(rev: str):
    """A checkout of `rev` in a temporary directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="versus-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT,
                   check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                       check=False, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)


def serve(args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="versus-bodies-"))
    try:
        bodies = cases(tmp)
        bodies = {k: bodies[k] for k in ("1 PNG, raw body", "256 PNGs, multipart",
                                          "64 JSON instances")}
        with worktree(args.base) as base:
            sides = {"this": ROOT, args.base: base}
            print(f"| request | this req/s | {args.base} req/s | this / {args.base} "
                  f"| this p99 ms | {args.base} p99 ms | CPU ms / request, this and "
                  f"{args.base} |\n|---|---|---|---|---|---|---|")
            for name, case in bodies.items():
                runs = {side: [] for side in sides}
                for _ in range(args.repeats):
                    for side, root in sides.items():
                        runs[side].append(_serve_once(root, case, args))
                rate = {s: statistics.median(r["rate"] for r in rs) for s, rs in runs.items()}
                p99 = {s: statistics.median(r["p99_ms"] for r in rs) for s, rs in runs.items()}
                cpu = {s: statistics.median(r["cpu_ms"] for r in rs) for s, rs in runs.items()}
                print(f"| {name} | {rate['this']:.0f} | {rate[args.base]:.0f} | "
                      f"{rate['this'] / rate[args.base]:.3f} | {p99['this']:.1f} | "
                      f"{p99[args.base]:.1f} | {cpu['this']:.2f}, {cpu[args.base]:.2f} |",
                      flush=True)
    finally:
        shutil.rmtree(tmp)


def _serve_once(root: Path, case: tuple, args) -> dict:
    body_file, content_type, _ = case
    server = Gunicorn(model_dir=MODEL, workers=2, root=root)
    try:
        wrk(server.port, body_file, content_type, seconds=1, connections=args.connections)
        cpu0 = server.cpu_seconds()
        result = wrk(server.port, body_file, content_type, seconds=args.seconds,
                     connections=args.connections)
        result["cpu_ms"] = (server.cpu_seconds() - cpu0) * 1e3 / max(result["requests"], 1)
        return result
    finally:
        server.stop()
        server.remove_logs()


def train(args) -> None:
    options = args.options or ["--epochs", "2"]
    with worktree(args.base) as base:
        sides = {"this": ROOT, args.base: base}
        runs = {side: [] for side in sides}
        for _ in range(args.repeats):
            for side, root in sides.items():
                runs[side] += _train_once(root, options)
        med = {s: statistics.median(v) for s, v in runs.items()}
        print(f"`python -m trainer train {' '.join(options)}`, seconds per epoch after the "
              f"first, median of {args.repeats} runs each: this {med['this']:.3f}, "
              f"{args.base} {med[args.base]:.3f}, this / {args.base} "
              f"{med['this'] / med[args.base]:.3f}")


def _train_once(root: Path, options: list[str]) -> list[float]:
    out = Path(tempfile.mkdtemp(prefix="versus-train-")) / "m"
    try:
        env = {**os.environ, "PYTHONPATH": str(root)}
        subprocess.run([sys.executable, "-m", "trainer", "train", *options, "--out", str(out)],
                       cwd=root, env=env, check=True, capture_output=True, timeout=3600)
        rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        return [r["seconds"] for r in rows[1:]] or [rows[0]["seconds"]]
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("serve", "train"))
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("options", nargs="*", help="train: options for `trainer train`")
    args = parser.parse_args()
    if args.what == "serve" and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    (serve if args.what == "serve" else train)(args)


if __name__ == "__main__":
    main()
