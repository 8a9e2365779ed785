"""The verdict's methods compared (BENCHMARKS.md): each method's share of every held-out
family accepted as a digit, at a threshold refusing `--refuse` of MNIST's test digits.

    .venv/bin/python bench/trust/verdicts.py [--model models/default] [--count 500]

The hidden-layer space is fitted on 20,000 training digits (trainer/eval/verdicts.py);
the families are trainer/eval/heldout/'s `dev` split, and the trainer's own validation
non-digits (its training families, another seed). Real digits are "accepted" too:
there, higher is better.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from trainer.artifact import inference, store
from trainer.data import idx, outliers
from trainer.data.fetch import default_data_dir
from trainer.eval import heldout, verdicts


def scores_of(model, space, pixels: np.ndarray) -> dict:
    return verdicts.all_scores(space, *verdicts.features(model.params,
                                                         inference.as_inputs(pixels)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--refuse", type=float, default=0.008)
    args = parser.parse_args()
    model = store.load(args.model)
    train, labels, _ = idx.load_split(default_data_dir(), "train", True, "mnist")
    test, _, _ = idx.load_split(default_data_dir(), "test", True, "mnist")
    pick = np.random.default_rng(0).choice(len(train), 20000, replace=False)
    h, _ = verdicts.features(model.params, inference.as_inputs(train[pick]))
    space = verdicts.fit_space(h, labels[pick].astype(np.intp))
    own = outliers.pool(1000, np.random.default_rng([99, 2]), train[:5000])
    families = {"(the trainer's families, another seed)": scores_of(model, space, own)}
    for name, pixels in heldout.families(args.count, "dev").items():
        families[name] = scores_of(model, space, pixels)
    for kind, (pixels, _) in heldout.real_digits(args.count, "dev").items():
        families[f"{kind} (real digits)"] = scores_of(model, space, pixels)
    result = verdicts.table(scores_of(model, space, test), families, args.refuse)
    methods = list(next(iter(result.values())))
    print("| family | " + " | ".join(methods) + " |")
    print("|---" * (len(methods) + 1) + "|")
    for family, row in result.items():
        print(f"| {family} | " + " | ".join(f"{row[m]:.1%}" for m in methods) + " |")


if __name__ == "__main__":
    main()
