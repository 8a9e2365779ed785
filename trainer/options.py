"""The command line's options: `python -m trainer --help`, and each command's --help."""

import argparse
from pathlib import Path

from trainer import augment, data, optim

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
DESCRIPTION = "Offline trainer: a NumPy multilayer perceptron for 28x28 digit images."


class CleanParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + error."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not comma-separated integers") from e
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be >= 1")
    return sizes


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(p.strip() for p in text.split(",") if p.strip() not in ("", "none"))
    unknown = sorted(set(kinds) - {"affine", "elastic"})
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)}: choose affine, elastic, "
                                         "affine,elastic or none")
    return tuple(k for k in ("affine", "elastic") if k in kinds)


def _bounded(kind, low, high=None, high_open=False):
    def parse(text):
        try:
            value = kind(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from e
        too_high = high is not None and (value >= high if high_open else value > high)
        if not low <= value or too_high:  # also rejects NaN
            bracket = ")" if high_open else "]"
            raise argparse.ArgumentTypeError(f"{text!r} is outside [{low}, {high}{bracket}")
        return value
    return parse


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
        p.add_argument("--dataset", choices=data.DATASETS, default="mnist",
                       help="which IDX files to fetch and train on")
    _train_options(train.add_argument)
    ev = command("evaluate", "test accuracy, confusion matrix, plots, robustness")
    ev.add_argument("--model", type=Path, required=True,
                    help="the model directory (model.npz + model.json) to score")
    _data_options(ev)
    ev.add_argument("--plots", type=Path, help="write PNG plots into this directory")
    ev.add_argument("--robustness", action="store_true",
                    help="also score shifted, rotated, scaled, thickened and thinned digits "
                         "(needs scipy)")
    ev.add_argument("--compare", type=Path, metavar="DIR",
                    help="with --robustness: a second model for the table, e.g. the old one")
    ev.add_argument("--limit", type=_bounded(int, 0, 1 << 31), default=0, metavar="N",
                    help="score the first N test images only (0 = all)")
    ox = command("export-onnx", "write DIR/model.onnx and, optionally, a Triton repository")
    ox.add_argument("--model", type=Path, required=True,
                    help="the model directory (model.npz + model.json) to export; "
                         "model.onnx is written beside them and recorded in model.json")
    ox.add_argument("--triton", type=Path, metavar="REPO",
                    help="also write a Triton model repository here: "
                         "REPO/<name>/config.pbtxt and REPO/<name>/1/model.onnx")
    pv = command("augment-preview", "a PNG grid of distorted training digits")
    pv.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    pv.add_argument("--data-dir", type=Path, help="default $MNIST_DATA_DIR, else "
                    "~/.cache/mnist-mlp/mnist")
    pv.add_argument("--augment", type=_kinds, default=("affine", "elastic"), metavar="KINDS",
                    help="the distortions to draw (their ranges are train's defaults)")
    pv.add_argument("--seed", type=_bounded(int, 0, 2**63), default=0, help="random seed")
    pv.add_argument("--rows", type=_bounded(int, 1, 100), default=8, help="digits, one a row")
    pv.add_argument("--per-row", type=_bounded(int, 1, 100), default=10,
                    help="distortions of each digit")
    return parser


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="default $MNIST_DATA_DIR, else "
                   "~/.cache/mnist-mlp/<dataset>")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the MNIST checksums (for other IDX datasets)")


def _train_options(t) -> None:
    d = augment.Distortion
    t("--hidden", type=_hidden, default=(512,), help="hidden layer sizes, e.g. 512 or 512,256")
    t("--optimizer", choices=optim.NAMES, default="rmsprop", help="the update rule")
    t("--lr", type=_bounded(float, 0.0, 10.0), default=1e-3, help="learning rate")
    t("--momentum", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.9,
      help="for --optimizer momentum and nesterov")
    t("--batch-size", type=_bounded(int, 1, 1 << 16), default=128, help="examples per step")
    t("--epochs", type=_bounded(int, 1, 100000), default=5, help="passes over the data")
    t("--weight-decay", type=_bounded(float, 0.0, 1.0), default=0.0,
      help="L2 coefficient on the weights (not the biases)")
    t("--dropout", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.0,
      help="fraction of hidden units dropped in training")
    t("--lr-schedule", choices=("constant", "step", "cosine"), default="constant",
      help="how the learning rate changes over the run")
    t("--warmup", type=_bounded(float, 0.0, 100000.0), default=0.0, metavar="EPOCHS",
      help="linear learning-rate warm-up over this many epochs")
    t("--lr-step", type=_bounded(int, 1, 100000), default=10, help="epochs per step decay")
    t("--lr-gamma", type=_bounded(float, 0.0, 1.0), default=0.1, help="step decay factor")
    t("--val-split", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.0,
      help="fraction of the training set held out for validation")
    t("--patience", type=_bounded(int, 0, 100000), default=0,
      help="early stopping after this many epochs without a better val loss (0 = off)")
    t("--seed", type=_bounded(int, 0, 2**63), default=0,
      help="random seed: the same seed on the same machine gives the same weights")
    t("--train-limit", type=_bounded(int, 0, 1 << 31), default=0, metavar="N",
      help="train on the first N training examples only (0 = all); for smoke runs")
    t("--augment", type=_kinds, default=(), metavar="KINDS",
      help="distort every training image afresh each epoch: affine, elastic, "
           "affine,elastic or none (needs scipy)")
    t("--rotate", type=_bounded(float, 0.0, 180.0), default=d.rotate, metavar="DEG",
      help="affine: rotation drawn from [-DEG, DEG]")
    t("--scale", type=_bounded(float, 0.0, 1.0, high_open=True), default=d.scale,
      help="affine: scale drawn from [1 - SCALE, 1 + SCALE]")
    t("--shear", type=_bounded(float, 0.0, 2.0), default=d.shear,
      help="affine: shear drawn from [-SHEAR, SHEAR]")
    t("--shift", type=_bounded(float, 0.0, 14.0), default=d.shift, metavar="PX",
      help="affine: translation drawn from [-PX, PX] on each axis")
    t("--elastic-alpha", type=_bounded(float, 0.0, 1000.0), default=d.alpha, metavar="PX",
      help="elastic: displacement scale (Simard et al.: 34)")
    t("--elastic-sigma", type=_bounded(float, 0.1, 100.0), default=d.sigma, metavar="PX",
      help="elastic: width of the smoothing Gaussian (Simard et al.: 4)")
    t("--out", type=Path, default=Path("models/latest"), help="the model directory to write")
    t("--resume", action="store_true", help="continue the interrupted run for --out")
