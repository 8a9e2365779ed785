"""Training speed: the NumPy trainer against PyTorch, and against the GEMM floor.

    .venv/bin/python bench/train_vs_torch.py [--repeats 3] [--epochs 3] [--configs default]
    .venv/bin/python bench/train_vs_torch.py --update [--repeats 5] [--configs default]

Both sides train the same network with the same optimizer, batch size and float32
data over the full MNIST training set, each run in a fresh process with the
machine's default threads; the sides alternate run by run, so drift in the
machine's speed hits both alike. The trainer is timed twice: its epoch loop called
from here (`NumPy`), and `python -m trainer train` run as a user runs it (`CLI`: the
seconds per epoch it writes to OUT/metrics.jsonl, its manifest's test accuracy).
Every side's first epoch is left out (it compiles the numba kernels or loads them
from numba's cache, and warms the caches); the other epochs of every run are pooled.
Reported per config:

- the median seconds per epoch of each side, and the ratios to PyTorch;
- the GEMM floor: the time of exactly the matrix products one epoch of that
  network does (forward, the weight gradients and the hidden deltas, at the same
  batch size), and what fraction of the trainer's epoch it is;
- each side's test accuracy after the same epochs (the check that both did the
  same work).

`--time-to-accuracy` instead trains each side up to 10 epochs, scoring the test
set after each, and reports the training seconds until the first epoch that ends
at 0.98 or more. `--update` times only the optimizer's steps of one epoch, the fused
numba kernel against the NumPy passes, taking turns in this process (no PyTorch).
Needs `pip install torch==2.13.0` and the MNIST files.
"""

import argparse
import dataclasses
import importlib.util
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._train_sides import CONFIGS, gemm_floor, numpy_run, torch_run  # noqa: E402
from bench.training.trainer_sides import cli_run, update_epoch  # noqa: E402


def one(framework: str, config: str, epochs: int, target: float | None) -> dict:
    """Runs one side in a fresh process, so neither inherits the other's thread pools."""
    cmd = [sys.executable, __file__, "--worker", framework, "--config", config,
           "--epochs", str(epochs)]
    if target is not None:
        cmd += ["--target", str(target)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the {framework} run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def speed_table(args) -> None:
    print("| config | NumPy s/epoch | PyTorch s/epoch | PyTorch / NumPy | GEMM floor s "
          "| floor / NumPy | NumPy test acc | PyTorch test acc | CLI s/epoch | PyTorch / CLI "
          "| CLI test acc |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for config in args.configs.split(","):
        runs = {"numpy": [], "cli": [], "torch": [], "floor": []}
        for _ in range(args.repeats):
            for framework, done in runs.items():
                done.append(one(framework, config, args.epochs, None))
        med = {f: statistics.median(s for r in rs for s in _steady(r["seconds"]))
               for f, rs in runs.items()}
        acc = {f: statistics.median(r["test_accuracy"] for r in rs)
               for f, rs in runs.items() if f != "floor"}
        print(f"| {config} | {med['numpy']:.3f} | {med['torch']:.3f} | "
              f"{med['torch'] / med['numpy']:.2f} | {med['floor']:.3f} | "
              f"{med['floor'] / med['numpy']:.2f} | {acc['numpy']:.4f} | {acc['torch']:.4f} | "
              f"{med['cli']:.3f} | {med['torch'] / med['cli']:.2f} | {acc['cli']:.4f} |",
              flush=True)


def _steady(seconds: list[float]) -> list[float]:
    """The epochs after the first, when there are any."""
    return seconds[1:] or seconds


def accuracy_table(args) -> None:
    print("| config | side | seconds to 0.98 | epoch | test accuracy then |")
    print("|---|---|---|---|---|")
    for config in args.configs.split(","):
        for _ in range(args.repeats):
            for framework in ("numpy", "torch"):
                r = one(framework, config, 10, 0.98)
                print(f"| {config} | {framework} | {r.get('seconds_to_target', 'not reached')} "
                      f"| {r.get('epoch_of_target', '-')} | {r['test_accuracy']:.4f} |",
                      flush=True)


def update_table(args) -> None:
    """Seconds per epoch of exactly the optimizer's steps, the fused kernel against the
    NumPy passes it replaces, taking turns in this process."""
    print("| config | fused update s/epoch | NumPy passes s/epoch | NumPy / fused |")
    print("|---|---|---|---|")
    for config in args.configs.split(","):
        times = {"fused": [], "numpy": []}
        for _ in range(args.repeats):
            for side, done in times.items():
                done.append(update_epoch(CONFIGS[config], fused=side == "fused"))
        fused, passes = (statistics.median(times[side]) for side in ("fused", "numpy"))
        print(f"| {config} | {fused:.3f} | {passes:.3f} | {passes / fused:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--configs", default="default,shipped")
    parser.add_argument("--time-to-accuracy", action="store_true")
    parser.add_argument("--update", action="store_true",
                        help="time only the optimizer's update, fused against NumPy")
    parser.add_argument("--worker", choices=("numpy", "cli", "torch", "floor"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--target", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        cfg = dataclasses.replace(CONFIGS[args.config], epochs=args.epochs)
        run = {"numpy": numpy_run, "cli": cli_run, "torch": torch_run,
               "floor": gemm_floor}[args.worker]
        print(json.dumps(run(cfg, args.target)))
        return
    if args.update:
        update_table(args)
        return
    if importlib.util.find_spec("torch") is None:
        raise SystemExit("PyTorch is not installed: .venv/bin/python -m pip install torch==2.13.0")
    (accuracy_table if args.time_to_accuracy else speed_table)(args)


if __name__ == "__main__":
    main()
