"""The trainer as bench/train_vs_torch.py times it beside its own loop: `python -m trainer
train` run as a user runs it, and one epoch of its optimizer's update alone."""

import dataclasses
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from trainer.artifact import PIXELS
from trainer.data.fetch import default_data_dir
from trainer.nn import network, optim
from trainer.run.config import Config


def cli_run(cfg: Config, target: float | None = None) -> dict:
    """`python -m trainer train` with cfg's options, as a user runs it: the seconds of each
    epoch are the ones it writes to OUT/metrics.jsonl, the accuracy its manifest's."""
    if target is not None:
        raise ValueError("the command line side has no --time-to-accuracy")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as out:
        cmd = [sys.executable, "-m", "trainer", "train", *cli_options(cfg),
               "--data-dir", str(default_data_dir()), "--out", out]
        done = subprocess.run(cmd, check=False, capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2])
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        rows = [json.loads(line) for line in (Path(out) / "metrics.jsonl").open()]
        manifest = json.loads((Path(out) / "model.json").read_text())
    return {"seconds": [row["seconds"] for row in rows],
            "test_accuracy": manifest["metrics"]["test_accuracy"]}


def cli_options(cfg: Config) -> list[str]:
    """The `train` options that give cfg: each field that differs from Config()'s, as
    --field-name value (tuples comma-joined)."""
    options, defaults = [], Config()
    for field in dataclasses.fields(Config):
        value = getattr(cfg, field.name)
        if value == getattr(defaults, field.name) and field.name != "epochs":
            continue
        if field.name == "verify":
            options.append("--no-verify")
            continue
        text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        options += [f"--{field.name.replace('_', '-')}", text]
    return options


def update_epoch(cfg: Config, *, fused: bool) -> float:
    """Seconds of one epoch's optimizer steps alone (as many as batches in 60,000), on the
    network's flat buffer: the fused kernel, or with fused=False the NumPy passes."""
    rng = np.random.default_rng(cfg.seed)
    params = network.init([PIXELS, *cfg.hidden, 10], rng)
    grads = network.packed(params)
    grads.buffer[...] = rng.standard_normal(grads.buffer.size, dtype=np.float32) * 1e-3
    opt = optim.make(cfg.optimizer, network.flatten(params))
    if not fused:
        opt._fused = None
    flat = (network.flatten(params), network.flatten(grads))
    opt.step(*flat, cfg.lr)  # compiles the kernel, or loads numba's cache; warms the caches
    t0 = time.perf_counter()
    for _ in range(math.ceil(60000 / cfg.batch_size)):
        opt.step(*flat, cfg.lr)
    return time.perf_counter() - t0
