"""Command line: `python -m trainer fetch|train|evaluate ...`.

Every expected failure (bad option, bad data, bad model, divergence,
interruption) ends with one line on stderr and a non-zero exit status.
"""

import argparse
import os
import sys
from pathlib import Path

from trainer import data, optim

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


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
    parser = CleanParser(prog="python -m trainer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=CleanParser)
    fetch = sub.add_parser("fetch", help="download and verify the IDX files")
    train = sub.add_parser("train", help="train an MLP and export the artifact")
    for p in (fetch, train):
        p.add_argument("--data-dir", type=Path, help="default $MNIST_DATA_DIR, else "
                       "~/.cache/mnist-mlp/<dataset>")
        p.add_argument("--dataset", choices=data.DATASETS, default="mnist")
        p.add_argument("--no-verify", dest="verify", action="store_false",
                       help="skip the MNIST checksums (for other IDX datasets)")
    t = train.add_argument
    t("--hidden", type=_hidden, default=(512,), help="hidden sizes, e.g. 512 or 512,256")
    t("--optimizer", choices=optim.NAMES, default="rmsprop")
    t("--lr", type=_bounded(float, 0.0, 10.0), default=1e-3)
    t("--momentum", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.9)
    t("--batch-size", type=_bounded(int, 1, 1 << 16), default=128)
    t("--epochs", type=_bounded(int, 1, 100000), default=5)
    t("--weight-decay", type=_bounded(float, 0.0, 1.0), default=0.0, help="L2 coefficient")
    t("--dropout", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.0)
    t("--lr-schedule", choices=("constant", "step", "cosine"), default="constant")
    t("--warmup", type=_bounded(float, 0.0, 100000.0), default=0.0, metavar="EPOCHS",
      help="linear learning-rate warm-up over this many epochs")
    t("--lr-step", type=_bounded(int, 1, 100000), default=10, help="epochs per step decay")
    t("--lr-gamma", type=_bounded(float, 0.0, 1.0), default=0.1, help="step decay factor")
    t("--val-split", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.0)
    t("--patience", type=_bounded(int, 0, 100000), default=0,
      help="early stopping after this many epochs without a better val loss (0 = off)")
    t("--seed", type=_bounded(int, 0, 2**63), default=0)
    t("--train-limit", type=_bounded(int, 0, 1 << 31), default=0, metavar="N",
      help="train on the first N training examples only (0 = all); for smoke runs")
    t("--augment", type=_kinds, default=(), metavar="KINDS",
      help="distort every training image afresh each epoch: affine, elastic, "
           "affine,elastic or none (needs scipy)")
    t("--rotate", type=_bounded(float, 0.0, 180.0), default=15.0, metavar="DEG",
      help="affine: rotation drawn from [-DEG, DEG]")
    t("--scale", type=_bounded(float, 0.0, 1.0, high_open=True), default=0.15,
      help="affine: scale drawn from [1 - SCALE, 1 + SCALE]")
    t("--shear", type=_bounded(float, 0.0, 2.0), default=0.3,
      help="affine: shear drawn from [-SHEAR, SHEAR]")
    t("--shift", type=_bounded(float, 0.0, 14.0), default=2.0, metavar="PX",
      help="affine: translation drawn from [-PX, PX] on each axis")
    t("--elastic-alpha", type=_bounded(float, 0.0, 1000.0), default=34.0, metavar="PX",
      help="elastic: displacement scale (Simard et al.: 34)")
    t("--elastic-sigma", type=_bounded(float, 0.0, 100.0, high_open=False), default=4.0,
      metavar="PX", help="elastic: width of the smoothing Gaussian (Simard et al.: 4)")
    t("--out", type=Path, default=Path("models/latest"))
    t("--resume", action="store_true", help="continue the interrupted run for --out")
    ev = sub.add_parser("evaluate", help="test accuracy, confusion matrix, plots")
    ev.add_argument("--model", type=Path, required=True)
    ev.add_argument("--data-dir", type=Path)
    ev.add_argument("--no-verify", dest="verify", action="store_false")
    ev.add_argument("--plots", type=Path, help="write PNG plots into this directory")
    ev.add_argument("--robustness", action="store_true",
                    help="also score shifted, rotated, scaled, thickened and thinned digits "
                         "(needs scipy)")
    ev.add_argument("--compare", type=Path, metavar="DIR",
                    help="with --robustness: a second model for the table, e.g. the old one")
    ev.add_argument("--limit", type=_bounded(int, 0, 1 << 31), default=0, metavar="N",
                    help="score the first N test images only (0 = all)")
    pv = sub.add_parser("augment-preview", help="a PNG grid of distorted training digits")
    pv.add_argument("--out", type=Path, required=True, help="the PNG file to write")
    pv.add_argument("--data-dir", type=Path)
    pv.add_argument("--augment", type=_kinds, default=("affine", "elastic"), metavar="KINDS")
    pv.add_argument("--seed", type=_bounded(int, 0, 2**63), default=0)
    pv.add_argument("--rows", type=_bounded(int, 1, 100), default=8)
    pv.add_argument("--per-row", type=_bounded(int, 1, 100), default=10)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from trainer.artifact import ArtifactError
    from trainer.checkpoint import CheckpointError
    from trainer.loop import TrainError
    from trainer.train import Interrupted

    try:
        return _dispatch(parser, args)
    except Interrupted as e:
        print(f"{parser.prog} {args.command}: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (data.DataError, ArtifactError, CheckpointError, TrainError) as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # stdout was closed early (e.g. piped into head); as the Python docs advise,
        # point it at devnull so the interpreter's final flush does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(parser, args) -> int:
    if args.command == "fetch":
        directory = args.data_dir or data.default_data_dir(args.dataset)
        for name, path in data.fetch(directory, args.dataset, args.verify).items():
            print(f"{name}: {path}")
        return 0
    if args.command == "evaluate":
        from trainer import evaluate

        return evaluate.main(args.model, args.data_dir, args.verify, args.plots,
                             robustness=args.robustness, compare=args.compare, limit=args.limit)
    if args.command == "augment-preview":
        from trainer import augment, preview

        directory = args.data_dir or data.default_data_dir("mnist")
        data.fetch(directory)
        out = preview.main(args.out, directory, augment.Distortion(kinds=args.augment),
                           seed=args.seed, rows=args.rows, per_row=args.per_row)
        print(f"wrote {out}", file=sys.stderr)
        return 0
    return _train(parser, args)


def _train(parser, args) -> int:
    from trainer import train

    if args.patience and not args.val_split:
        parser.error("--patience needs a validation set: add --val-split, e.g. 0.1")
    fields = {f.name for f in train.dataclasses.fields(train.Config)}
    cfg = train.Config(**{k: v for k, v in vars(args).items() if k in fields})
    directory = args.data_dir or data.default_data_dir(args.dataset)
    if args.verify or args.dataset != "mnist":
        # Downloads what is missing; with --no-verify a custom directory is used as it is.
        data.fetch(directory, args.dataset, args.verify)
    manifest = train.train(cfg, args.out, directory, resume=args.resume,
                           log=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(f"test accuracy {manifest['metrics']['test_accuracy']:.4f}; "
          f"model {manifest['version']} written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
