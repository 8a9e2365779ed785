"""The command line's options: `python -m trainer --help`, and each command's --help.

`train`'s defaults are run.config.Config's field defaults, read from the dataclass.
"""

import argparse
import dataclasses
from pathlib import Path

from trainer.cli.types import bounded, hidden_sizes, kinds
from trainer.data import augment, idx
from trainer.nn import optim, schedule
from trainer.run.config import Config

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
DESCRIPTION = "Offline trainer: a NumPy multilayer perceptron for 28x28 digit images."
SEED = (0, 2**63)  # the range of --seed


class CleanParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + error."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CleanParser(prog="python -m trainer", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=CleanParser)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary,
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    fetch = command("fetch", "download and verify the IDX files")
    train = command("train", "train an MLP and export the artifact")
    for p in (fetch, train):
        _data_options(p)
        p.add_argument("--dataset", choices=idx.DATASETS, default=Config.dataset,
                       help="which IDX files to fetch and train on")
    _train_options(train)
    _evaluate_options(command("evaluate", "test accuracy, confusion matrix, plots, robustness"))
    _export_options(command("export-onnx",
                            "write DIR/model.onnx and, optionally, a Triton repository"))
    _preview_options(command("augment-preview", "a PNG grid of distorted training digits"))
    _pair_options(command("pair", "train the pair network (two touching digits, for /read) "
                          "and attach it to an existing model directory"))
    _feedback_options(command("export-feedback", "write the feedback store's corrections "
                              "as a folder DIR/0..9,none/*.png, to look through and clean"))
    return parser


def _pair_options(pp: argparse.ArgumentParser) -> None:
    from trainer.run.pair import PairConfig

    pp.add_argument("--model", type=Path, required=True,
                    help="the model directory (model.npz + model.json) to attach it to; "
                         "its digit network stays as it is")
    pp.add_argument("--from", dest="source", type=Path, metavar="DIR",
                    help="attach the pair network of the artifact in DIR instead of "
                         "training one (after retraining the digit network, say); the "
                         "number's confidence is calibrated anew either way")
    pp.add_argument("--data-dir", type=Path, help="default $MNIST_DATA_DIR, else "
                    "~/.cache/mnist-mlp/mnist (the training split only)")
    pp.add_argument("--pairs", type=bounded(int, 100, 10**6), default=PairConfig.pairs,
                    help="touching pairs to train on (and half as many non-pairs)")
    pp.add_argument("--validation", type=bounded(int, 100, 10**5),
                    default=PairConfig.validation, help="pairs to validate on")
    pp.add_argument("--hidden", type=hidden_sizes, default=PairConfig.hidden,
                    help="hidden layer sizes, comma-separated")
    pp.add_argument("--epochs", type=bounded(int, 1, 1000), default=PairConfig.epochs,
                    help="passes over the pairs")
    pp.add_argument("--lr", type=bounded(float, 1e-6, 1.0), default=PairConfig.lr,
                    help="Adam's peak learning rate (cosine schedule)")
    pp.add_argument("--seed", type=bounded(int, *SEED), default=PairConfig.seed,
                    help="random seed: the pairs drawn and the weights")


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="IDX files: default $MNIST_DATA_DIR, else "
                   "~/.cache/mnist-mlp/<dataset>. For train also a folder of your own "
                   "images, DIR/0/ .. DIR/9/ and DIR/none/ (any size: the service's MNIST "
                   "recipe), trained on beside MNIST from the default place")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the MNIST checksums (for other IDX datasets)")


def _train_options(p: argparse.ArgumentParser) -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(Config)}

    def option(flag: str, kind, text: str, **more) -> None:
        p.add_argument(flag, type=kind, default=defaults[flag[2:].replace("-", "_")],
                       help=text, **more)

    _network_options(option)
    _schedule_options(option)
    _distortion_options(option)
    _trust_options(option)
    _user_options(p, option)
    p.add_argument("--out", type=Path, default=Path("models/latest"),
                   help="the model directory to write")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run for --out")


def _network_options(option) -> None:
    option("--hidden", hidden_sizes, "hidden layer sizes, e.g. 512 or 512,256")
    option("--optimizer", str, "the update rule", choices=optim.NAMES)
    option("--lr", bounded(float, 0.0, 10.0), "learning rate")
    option("--momentum", bounded(float, 0.0, 1.0, high_open=True),
           "for --optimizer momentum and nesterov")
    option("--batch-size", bounded(int, 1, 1 << 16), "examples per step")
    option("--epochs", bounded(int, 1, 100000), "passes over the data")
    option("--weight-decay", bounded(float, 0.0, 1.0),
           "L2 coefficient on the weights (not the biases)")
    option("--dropout", bounded(float, 0.0, 1.0, high_open=True),
           "fraction of hidden units dropped in training")
    option("--seed", bounded(int, *SEED),
           "random seed: the same seed on the same machine gives the same weights")
    option("--train-limit", bounded(int, 0, 1 << 31),
           "train on the first N training examples only (0 = all); for smoke runs",
           metavar="N")


def _trust_options(option) -> None:
    option("--outliers", bounded(float, 0.0, 4.0),
           "outlier exposure: non-digits (strokes, blobs, textures, noise, fragments and "
           "pairs of digits) added to each batch, as a fraction of its size")
    option("--outlier-weight", bounded(float, 0.0, 10.0),
           "the non-digits' loss (cross-entropy to the uniform distribution) against the "
           "digits'")
    option("--refuse", bounded(float, 0.0, 0.5, high_open=True),
           "with --val-split: the share of validation digits the is_digit rule may refuse; "
           "its threshold and the confidence's temperature are chosen on the validation set")


def _user_options(p: argparse.ArgumentParser, option) -> None:
    option("--init", str, "start from this model directory's weights (its hidden sizes must "
           "be --hidden's); MNIST stays in the mix, so it does not forget", metavar="MODEL_DIR")
    p.add_argument("--feedback-db", metavar="URL",
                   help="also train on the corrections in the service's feedback store "
                        "(its FEEDBACK_DB: sqlite:///path or postgresql://user@host/db)")
    option("--user-share", bounded(float, 0.0, 1.0, high_open=True),
           "your examples' share of each batch (oversampled: drawn with replacement), "
           "from --data-dir DIR/0..9,none and --feedback-db")
    option("--user-holdout", bounded(float, 0.0, 1.0, high_open=True),
           "the share of your examples held out (the same ones on every run: chosen by a "
           "hash of each) to score the old and new models on")


def _schedule_options(option) -> None:
    option("--lr-schedule", str, "how the learning rate changes over the run",
           choices=schedule.SCHEDULES)
    option("--warmup", bounded(float, 0.0, 100000.0),
           "linear learning-rate warm-up over this many epochs", metavar="EPOCHS")
    option("--lr-step", bounded(int, 1, 100000), "epochs per step decay")
    option("--lr-gamma", bounded(float, 0.0, 1.0), "step decay factor")
    option("--val-split", bounded(float, 0.0, 1.0, high_open=True),
           "fraction of the training set held out for validation")
    option("--patience", bounded(int, 0, 100000),
           "early stopping after this many epochs without a better val loss (0 = off)")


def _distortion_options(option) -> None:
    option("--augment", kinds, "distort every training image afresh each epoch: "
           f"{', '.join(augment.KINDS)} (comma-separated) or none (needs OpenCV: the train extra)",
           metavar="KINDS")
    option("--rotate", bounded(float, 0.0, 180.0), "affine: rotation drawn from [-DEG, DEG]",
           metavar="DEG")
    option("--scale", bounded(float, 0.0, 1.0, high_open=True),
           "affine: scale drawn from [1 - SCALE, 1 + SCALE]")
    option("--shear", bounded(float, 0.0, 2.0), "affine: shear drawn from [-SHEAR, SHEAR]")
    option("--shift", bounded(float, 0.0, 14.0),
           "affine: translation drawn from [-PX, PX] on each axis", metavar="PX")
    option("--elastic-alpha", bounded(float, 0.0, 1000.0),
           "elastic: displacement scale (Simard et al.: 34)", metavar="PX")
    option("--elastic-sigma", bounded(float, 0.1, 100.0),
           "elastic: width of the smoothing Gaussian (Simard et al.: 4)", metavar="PX")


def _evaluate_options(ev: argparse.ArgumentParser) -> None:
    ev.add_argument("--model", type=Path, required=True,
                    help="the model directory (model.npz + model.json) to score")
    _data_options(ev)
    ev.add_argument("--plots", type=Path, help="write PNG plots into this directory")
    ev.add_argument("--robustness", action="store_true",
                    help="also score shifted, rotated, scaled, thickened and thinned digits "
                         "(needs OpenCV: the train extra)")
    ev.add_argument("--trust", action="store_true",
                    help="also score the verdict: MNIST test digits refused, held-out "
                         "non-digits accepted by family, and the confidence's calibration "
                         "(with --plots, its reliability diagram)")
    ev.add_argument("--compare", type=Path, metavar="DIR",
                    help="with --robustness or --trust: a second model for the tables, e.g. "
                         "the old one")
    ev.add_argument("--limit", type=bounded(int, 0, 1 << 31), default=0, metavar="N",
                    help="score the first N test images only (0 = all)")


def _export_options(ox: argparse.ArgumentParser) -> None:
    ox.add_argument("--model", type=Path, required=True,
                    help="the model directory (model.npz + model.json) to export; "
                         "model.onnx is written beside them and recorded in model.json")
    ox.add_argument("--triton", type=Path, metavar="REPO",
                    help="also write a Triton model repository here: "
                         "REPO/<name>/config.pbtxt and REPO/<name>/1/model.onnx")


def _feedback_options(fb: argparse.ArgumentParser) -> None:
    fb.add_argument("--feedback-db", metavar="URL", required=True,
                    help="the service's FEEDBACK_DB (a SQLAlchemy URL)")
    fb.add_argument("--out", type=Path, required=True,
                    help="a new directory; `train --data-dir` reads it back")


def _preview_options(pv: argparse.ArgumentParser) -> None:
    pv.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    pv.add_argument("--data-dir", type=Path, help="default $MNIST_DATA_DIR, else "
                    "~/.cache/mnist-mlp/mnist")
    pv.add_argument("--augment", type=kinds, default=augment.KINDS, metavar="KINDS",
                    help="the distortions to draw (their ranges are train's defaults)")
    pv.add_argument("--seed", type=bounded(int, *SEED), default=0, help="random seed")
    pv.add_argument("--rows", type=bounded(int, 1, 100), default=8, help="digits, one a row")
    pv.add_argument("--per-row", type=bounded(int, 1, 100), default=10,
                    help="distortions of each digit")
