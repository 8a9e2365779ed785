"""Training speed: the NumPy trainer against PyTorch on the same epochs, side by side.

    .venv/bin/python bench/train_vs_torch.py [--repeats 3] [--epochs 1]

Both sides train the same network with the same optimizer, batch size and float32
data, for the same number of epochs over the full MNIST training set, each in a fresh
process with the machine's default threads (runs alternate, so drift in the machine's
speed hits both alike). Reported: the median seconds per epoch of each, their ratio and
each side's test accuracy after training (the check that both did the same work).
Needs `pip install torch==2.13.0` and the MNIST files (`python -m trainer fetch`).
"""

import argparse
import dataclasses
import importlib.util
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainer import artifact, data, network, optim  # noqa: E402
from trainer.loop import StopFlag, evaluate_arrays, run_epoch  # noqa: E402
from trainer.train import Config, flatten  # noqa: E402

# name -> (trainer options, PyTorch optimizer); "default" is `python -m trainer train`,
# "shipped" one epoch of what `make model` runs, without the cosine schedule.
CONFIGS = {
    "default": Config(),
    "shipped": Config(hidden=(1024, 1024), optimizer="adam", dropout=0.3),
}


def mnist():
    directory = data.default_data_dir()
    (xtr, ytr), (xte, yte) = (data.load(directory, split) for split in ("train", "test"))
    return (artifact.as_inputs(xtr), ytr.astype(np.intp),
            artifact.as_inputs(xte), yte.astype(np.intp))


def numpy_run(cfg: Config, epochs: int) -> dict:
    x, y, xte, yte = mnist()
    rng = np.random.default_rng(cfg.seed)
    params = network.init([784, *cfg.hidden, 10], rng)
    opt = optim.make(cfg.optimizer, flatten(params))
    cfg = dataclasses.replace(cfg, epochs=epochs)  # the LR schedule spans these epochs
    seconds = []
    with StopFlag() as stop:
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            run_epoch(cfg, params, opt, (x, y), rng, epoch=epoch, stop=stop)
            seconds.append(time.perf_counter() - t0)
    return {"seconds": seconds, "test_accuracy": evaluate_arrays(params, xte, yte)[1]}


def torch_run(cfg: Config, epochs: int) -> dict:
    import torch

    torch.manual_seed(cfg.seed)
    x, y, xte, yte = (torch.from_numpy(a) for a in mnist())
    layers, sizes = [], [784, *cfg.hidden, 10]
    for i in range(len(sizes) - 1):
        if i > 0:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(cfg.dropout)]
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    model = torch.nn.Sequential(*layers)
    opt = (torch.optim.RMSprop(model.parameters(), lr=cfg.lr, alpha=0.9, eps=1e-7)
           if cfg.optimizer == "rmsprop"
           else torch.optim.Adam(model.parameters(), lr=cfg.lr, eps=1e-7))
    seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(len(x))
        for step in range(math.ceil(len(x) / cfg.batch_size)):
            idx = perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        accuracy = (model(xte).argmax(1) == yte).double().mean().item()
    return {"seconds": seconds, "test_accuracy": accuracy, "threads": torch.get_num_threads()}


def one(framework: str, config: str, epochs: int) -> dict:
    """Runs one side in a fresh process, so neither inherits the other's thread pools."""
    out = subprocess.run([sys.executable, __file__, "--worker", framework, "--config", config,
                          "--epochs", str(epochs)], check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the {framework} run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--configs", default="default,shipped")
    parser.add_argument("--worker", choices=("numpy", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run = numpy_run if args.worker == "numpy" else torch_run
        print(json.dumps(run(CONFIGS[args.config], args.epochs)))
        return
    if importlib.util.find_spec("torch") is None:
        raise SystemExit("PyTorch is not installed: .venv/bin/python -m pip install torch==2.13.0")
    print("| config | NumPy s/epoch | PyTorch s/epoch | PyTorch / NumPy | "
          "NumPy test acc | PyTorch test acc |")
    print("|---|---|---|---|---|---|")
    for config in args.configs.split(","):
        runs = {"numpy": [], "torch": []}
        for _ in range(args.repeats):
            for framework, done in runs.items():
                done.append(one(framework, config, args.epochs))
        med = {f: statistics.median(s for r in rs for s in r["seconds"]) for f, rs in runs.items()}
        acc = {f: statistics.median(r["test_accuracy"] for r in rs) for f, rs in runs.items()}
        print(f"| {config} | {med['numpy']:.2f} | {med['torch']:.2f} | "
              f"{med['torch'] / med['numpy']:.2f} | {acc['numpy']:.4f} | {acc['torch']:.4f} |",
              flush=True)


if __name__ == "__main__":
    main()
