"""What each `python -m trainer` command does, and how its failures end.

Every expected failure (bad option, bad data, bad model, divergence,
interruption) ends with one line on stderr and a non-zero exit status.
"""

import dataclasses
import os
import sys
from pathlib import Path

from trainer.artifact.integrity import ArtifactError
from trainer.cli.options import EXIT_ERROR, EXIT_INTERRUPTED, build_parser
from trainer.data.fetch import default_data_dir, fetch
from trainer.data.idx import DataError


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from trainer.publish.onnx_file import OnnxMissing
    from trainer.run.checkpoint import CheckpointError
    from trainer.run.loop import TrainError
    from trainer.run.train import Interrupted

    try:
        return COMMANDS[args.command](parser, args)
    except Interrupted as e:
        print(f"{parser.prog} {args.command}: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (DataError, ArtifactError, CheckpointError, TrainError, OnnxMissing) as e:
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


def _fetch(parser, args) -> int:
    directory = args.data_dir or default_data_dir(args.dataset)
    for name, path in fetch(directory, args.dataset, args.verify).items():
        print(f"{name}: {path}")
    return 0


def _evaluate(parser, args) -> int:
    from trainer.eval import evaluate

    _need_opencv(parser, "--robustness", args.robustness)

    result = evaluate.score(args.model, args.data_dir, args.verify, limit=args.limit)
    print(evaluate.report(result))
    if args.plots is not None:
        from trainer.eval import plots

        for path in plots.write_all(Path(args.model), result, args.plots):
            print(f"wrote {path}", file=sys.stderr)
    if args.robustness:
        from trainer.eval import robustness

        images, labels = evaluate.test_split(result["model"], args.data_dir, args.verify,
                                             args.limit)
        print("\nrobustness (test accuracy under each change):")
        print(robustness.report(robustness.table(_models(result["model"], args), images,
                                                 labels)))
    if args.trust:
        _trust(result["model"], args)
    return 0


def _need_opencv(parser, option: str, wanted) -> None:
    """Stops with one line, before any work, when `option` is given and OpenCV is missing."""
    from trainer.data import resample

    if wanted and not resample.available():
        parser.error(f"{option} needs OpenCV, which is not installed: "
                     "pip install -e '.[train]' (or opencv-python-headless)")


def _models(model, args) -> dict:
    """{column name: model}: the model, and --compare's."""
    from trainer.artifact import store

    models = {f"{model.name} {model.version}": model}
    if args.compare is not None:
        other = store.load(args.compare)
        models[f"{other.name} {other.version} (--compare)"] = other
    return models


def _trust(model, args) -> None:
    from trainer.eval import evaluate, heldout, trust

    digits = evaluate.test_split(model, args.data_dir, args.verify, args.limit)
    n = min(len(digits[0]), 1000)
    print("\ntrust (held-out non-digits, split 'final'; a model without a verdict "
          "accepts everything):")
    print(trust.report(trust.table(_models(model, args), digits, heldout.families(n, "final"),
                                   heldout.real_digits(n, "final"))))
    result = trust.reliability(model, digits)
    print(f"\nconfidence on the test digits: expected calibration error {result['ece']:.2%} "
          f"({len(result['bins'])} bins of {trust.calibrate.BINS})")
    if args.plots is not None:
        from trainer.eval import plots

        args.plots.mkdir(parents=True, exist_ok=True)
        path = plots.reliability_diagram(result, args.plots / "reliability.png")
        print(f"wrote {path}", file=sys.stderr)


def _export_onnx(parser, args) -> int:
    from trainer.publish import onnx_file, triton

    print(f"wrote {onnx_file.export(args.model)}", file=sys.stderr)
    if args.triton:
        print(f"wrote {triton.write_repository(args.model, args.triton)}", file=sys.stderr)
    return 0


def _augment_preview(parser, args) -> int:
    from trainer.data import augment
    from trainer.eval import preview

    directory = args.data_dir or default_data_dir("mnist")
    fetch(directory)
    out = preview.write(args.out, directory, augment.Distortion(kinds=args.augment),
                        seed=args.seed, rows=args.rows, per_row=args.per_row)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _train(parser, args) -> int:
    from trainer.run import train

    if args.patience and not args.val_split:
        parser.error("--patience needs a validation set: add --val-split, e.g. 0.1")
    _need_opencv(parser, "--augment", args.augment)
    fields = {f.name for f in dataclasses.fields(train.Config)}
    cfg = train.Config(**{k: v for k, v in vars(args).items() if k in fields})
    directory, users = _training_data(args)
    if args.verify or args.dataset != "mnist":
        # Downloads what is missing; with --no-verify a custom directory is used as it is.
        fetch(directory, args.dataset, args.verify)
    manifest = train.train(cfg, args.out, directory, resume=args.resume, users=users,
                           log=lambda msg: print(msg, file=sys.stderr, flush=True))
    if "compare" in manifest["metrics"]:
        from trainer.run import compare

        print(compare.report(manifest["metrics"]["compare"]))
    print(f"test accuracy {manifest['metrics']['test_accuracy']:.4f}; "
          f"model {manifest['version']} written to {args.out}")
    return 0


def _pair(parser, args) -> int:
    from trainer.run import pair

    cfg = pair.PairConfig(**{f.name: getattr(args, f.name) if hasattr(args, f.name) else f.default
                             for f in dataclasses.fields(pair.PairConfig)})
    directory = args.data_dir or default_data_dir()
    fetch(directory, "mnist", True)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    manifest = (pair.train(cfg, args.model, directory, log=log) if args.source is None
                else pair.attach_from(args.model, args.source, directory, log=log))
    print(f"pair network {manifest['pair']['weights_sha256'][:12]} (validation accuracy "
          f"{manifest['pair']['metrics']['validation_accuracy']:.4f}) attached to "
          f"{args.model}; model.npz sha256 {manifest['files']['model.npz']['sha256'][:12]}")
    return 0


def _training_data(args):
    """(the IDX directory, the users' examples or None): --data-dir is either, told apart
    by its layout (a folder of images trains beside MNIST from the default place)."""
    from trainer.data import users
    from trainer.data.users import folder

    mine = None
    directory = args.data_dir or default_data_dir(args.dataset)
    if args.data_dir is not None and folder.layout(args.data_dir) == "folder":
        mine = users.from_folder(args.data_dir)
        directory = default_data_dir(args.dataset)
    if args.feedback_db:
        stored = users.from_store(args.feedback_db)
        mine = stored if mine is None else mine + stored
    return directory, mine


def _export_feedback(parser, args) -> int:
    from trainer.data import users
    from trainer.data.users import folder

    rows = users.store_rows(args.feedback_db)
    pixels, labels = users.feedback_arrays(args.feedback_db, rows)
    names = [f"{row.id:06d}_model-{row.model_label}" for row in rows]
    folder.write(args.out, pixels, labels, names)
    counts = ", ".join(f"{label}: {labels.count(label)}" for label in folder.CLASSES)
    print(f"wrote {len(rows)} corrections to {args.out} ({counts})")
    return 0


COMMANDS = {"fetch": _fetch, "train": _train, "evaluate": _evaluate,
            "export-onnx": _export_onnx, "augment-preview": _augment_preview, "pair": _pair,
            "export-feedback": _export_feedback}
