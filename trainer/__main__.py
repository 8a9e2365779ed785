"""Command line: `python -m trainer fetch|train|evaluate|export-onnx|augment-preview ...`.

Every expected failure (bad option, bad data, bad model, divergence,
interruption) ends with one line on stderr and a non-zero exit status.
"""

import dataclasses
import os
import sys

from trainer import data
from trainer.options import EXIT_ERROR, EXIT_INTERRUPTED, build_parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from trainer.artifact import ArtifactError
    from trainer.checkpoint import CheckpointError
    from trainer.loop import TrainError
    from trainer.onnx_export import OnnxMissing
    from trainer.train import Interrupted

    try:
        return _dispatch(parser, args)
    except Interrupted as e:
        print(f"{parser.prog} {args.command}: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (data.DataError, ArtifactError, CheckpointError, TrainError, OnnxMissing) as e:
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
    if args.command == "export-onnx":
        from trainer import onnx_export, triton

        print(f"wrote {onnx_export.export(args.model)}", file=sys.stderr)
        if args.triton:
            print(f"wrote {triton.write_repository(args.model, args.triton)}", file=sys.stderr)
        return 0
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
    fields = {f.name for f in dataclasses.fields(train.Config)}
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
