"""This checkout against an earlier revision, side by side: serving under wrk, and training.

    .venv/bin/python bench/versus.py serve --base REV [--seconds 8] [--repeats 3]
    .venv/bin/python bench/versus.py instructions --base REV
    .venv/bin/python bench/versus.py train --base REV [--repeats 3] [-- TRAIN OPTIONS]

REV is checked out into a temporary git worktree and run with this venv, the two
sides taking turns so that the machine's drift hits both alike; each line gives
the median of `--repeats` runs and the ratio this / REV.

- serve: each side under its own gunicorn config, 2 workers, models/default of this
  checkout (so both serve the same weights; `--model base` serves REV's own
  models/default on both sides, for a REV that cannot read today's artifact); wrk -t1
  over 16 kept-alive connections (bench/serve_floor.py's), for one PNG, 256 PNGs in
  one multipart body and 64 JSON instances. Every answer must be a 200.
- instructions: what wrk's timings cannot settle on these machines (they drift by
  tens of percent): the CPU instructions one request costs each side, counted by
  valgrind's callgrind in the Flask test client (1 PNG, 64 JSON instances), from
  the difference between a run of N requests and a run of none.
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
CASES = {"png": "1 PNG, raw body", "batch": "256 PNGs, multipart", "json": "64 JSON instances"}


def served_model(choice: str, base: Path) -> Path:
    """The models/default both sides serve: this checkout's, or ("base") the one of the
    revision checked out at `base`, for a revision that cannot read today's artifact."""
    return base / "models" / "default" if choice == "base" else MODEL


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
        names = args.cases.split(",") if args.cases else list(CASES)
        bodies = {CASES[k]: bodies[CASES[k]] for k in names}
        with worktree(args.base) as base:
            sides = {"this": ROOT, args.base: base}
            args.model_dir = served_model(args.model, base)
            print(f"| request | this req/s | {args.base} req/s | this / {args.base} "
                  f"| this p99 ms | {args.base} p99 ms | CPU ms / request, this and "
                  f"{args.base} |\n|---|---|---|---|---|---|---|")
            for name, case in bodies.items():
                runs = {side: [] for side in sides}
                for i in range(args.repeats):
                    # Each side goes first in every other round: no side always warms up.
                    for side, root in list(sides.items())[::1 if i % 2 == 0 else -1]:
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
    server = Gunicorn(model_dir=args.model_dir, workers=2, root=root)
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


CALLGRIND_SCRIPT = """
import contextlib, io, json, os, sys
root, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
os.chdir(root)
from service import create_app
client = create_app({"MODEL_DIR": sys.argv[4]}).test_client()
if kind == "png":
    body, content_type = open(sys.argv[5], "rb").read(), "image/png"
else:
    body = json.dumps({"instances": [[(7 * i + j) % 256 for j in range(784)]
                                     for i in range(64)]}).encode()
    content_type = "application/json"
with contextlib.redirect_stdout(io.StringIO()):
    for _ in range(3 + n):
        assert client.post("/predict", data=body, content_type=content_type).status_code == 200
"""


def instructions(args) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: apt-get install valgrind")
    with worktree(args.base) as base:
        print(f"| request | this instructions | {args.base} | this / {args.base} |\n"
              "|---|---|---|---|")
        for kind, n in (("png", 100), ("json", 20)):
            count = {side: (_instructions(root, kind, n) - _instructions(root, kind, 0)) / n
                     for side, root in (("this", ROOT), (args.base, base))}
            print(f"| {CASES[kind]} | {count['this'] / 1e6:.3f} M | "
                  f"{count[args.base] / 1e6:.3f} M | {count['this'] / count[args.base]:.3f} |",
                  flush=True)


def _instructions(root: Path, kind: str, n: int) -> int:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                              sys.executable, "-c", CALLGRIND_SCRIPT, str(root), kind, str(n),
                              str(MODEL), str(ROOT / "examples" / "digit_7.png")],
                             capture_output=True, text=True, env=env, check=True, timeout=1800)
    return int(run.stderr.split("Collected :")[1].split()[0])


def train(args) -> None:
    options = args.options or ["--epochs", "2"]
    with worktree(args.base) as base:
        sides = {"this": ROOT, args.base: base}
        runs = {side: [] for side in sides}
        for i in range(args.repeats):
            for side, root in list(sides.items())[::1 if i % 2 == 0 else -1]:
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
    parser.add_argument("what", choices=("serve", "instructions", "train"))
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", choices=("this", "base"), default="this",
                        help="serve: whose models/default both sides serve")
    parser.add_argument("--cases", help=f"serve: some of {','.join(CASES)} (default: all)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.options = argv[cut + 1:]  # train: the options for `trainer train`
    if args.what == "serve" and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    {"serve": serve, "instructions": instructions, "train": train}[args.what](args)


if __name__ == "__main__":
    main()
