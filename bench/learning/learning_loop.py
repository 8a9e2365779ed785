"""The learning loop's full run, behind the README's figures ("Learn from your users"):
the shipped model served under gunicorn, a few hundred corrections of a hand it reads
badly (tests/helpers/handwriting.py) posted to /feedback, a fine-tune from the served
model with the README's options, a HUP, and the same held-out examples and MNIST test
read through the service before and after.

    .venv/bin/python bench/learning/learning_loop.py [--corrections 300] [--held-out 500]

Prints a Markdown table, the trainer's side-by-side table, the CPU and the load average
(the machine may be shared: the figures are accuracies, not timings). tests/loop/ runs
the same loop with few epochs.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.helpers import handwriting, loop
from tests.helpers.servers import ROOT, Gunicorn
from trainer.artifact import store
from trainer.data import idx
from trainer.data.fetch import default_data_dir, fetch

# The README's fine-tuning options (README.md, "Learn from your users"): the shipped
# model's distortions, outlier exposure and verdict, a tenth of its peak learning rate.
FULL = ["--hidden", "1024,1024", "--optimizer", "adam", "--lr", "1e-4", "--epochs", "3",
        "--batch-size", "128", "--augment", "affine,elastic", "--rotate", "10",
        "--scale", "0.1", "--shear", "0.2", "--val-split", "0.1", "--outliers", "0.5",
        "--outlier-weight", "1.0", "--refuse", "0.008", "--seed", "1"]


def run(corrections: int, held_out: int) -> dict:
    fetch(default_data_dir())
    images, labels = idx.load(default_data_dir(), "test")
    taught, taught_labels = handwriting.digits(corrections, seed=1)
    held, held_labels = handwriting.digits(held_out, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = shutil.copytree(ROOT / "models" / "default", Path(tmp) / "model")
        url = f"sqlite:///{Path(tmp) / 'feedback.db'}"
        server = Gunicorn(model_dir=model_dir, workers=1, env={"FEEDBACK_DB": url})
        try:
            result = {"before": (*loop.read_right(server.port, held, held_labels),
                                 loop.mnist_accuracy(server.port, images, labels))}
            loop.post_corrections(server.port, taught, taught_labels)
            result["table"] = loop.fine_tune(model_dir, url, FULL)
            result["version"] = store.load(model_dir).version
            loop.reload(server, result["version"])
            result["after"] = (*loop.read_right(server.port, held, held_labels),
                               loop.mnist_accuracy(server.port, images, labels))
        finally:
            server.stop()
    return result


def report(result: dict, corrections: int, held_out: int) -> str:
    rows = [("femkeklaver digits, label right", 0), ("femkeklaver digits, read right "
             "(label and is_digit)", 1), ("MNIST test (10,000)", 2)]
    lines = [f"| read through the service ({held_out} held out) | shipped model | "
             f"after {corrections} corrections ({result['version']}) |", "|---|---|---|"]
    lines += [f"| {name} | {result['before'][i]:.2%} | {result['after'][i]:.2%} |"
              for name, i in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=300)
    parser.add_argument("--held-out", type=int, default=500)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    result = run(args.corrections, args.held_out)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next((line.split(":", 1)[1].strip() for line in cpu.splitlines()
                  if line.startswith("Model name")), "unknown CPU")
    print(report(result, args.corrections, args.held_out))
    print(f"\nthe trainer's own table (its held-out part of the corrections):\n"
          f"{result['table']}")
    print(f"CPU: {model}; load average (1 min) {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
