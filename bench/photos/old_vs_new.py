"""The photo table: the MNIST recipe (?normalize=mnist) of an earlier revision against this
checkout's, on MNIST test digits made phone photos (trainer/eval/photos.py), one model.

    .venv/bin/python bench/photos/old_vs_new.py [--rev REV] [--first 7000] [--count 1000]

The digits default to 7000-7999, which the recipe was not tuned on (tuning used 0-4999,
tests/service/codec/test_photos.py uses 9000 on). The revision's service/codec/images.py
and normalize.py are read with `git show` and loaded beside this checkout's modules, so
no second checkout is needed. Each condition's photos are the same for both sides.
Without --rev, only this checkout's recipe is measured. The recipe moved into the
artifact kernel in ff80aff, and a revision before it whose normalize.py imports
service.codec.ink can no longer be loaded beside this checkout: its "before" column
stays as README.md gives it.
"""

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the checkout
from service.errors import Unprocessable  # noqa: E402
from trainer.artifact import store  # noqa: E402
from trainer.data import idx  # noqa: E402
from trainer.data.fetch import default_data_dir  # noqa: E402
from trainer.eval import photos  # noqa: E402

MAX_PIXELS = 4096 * 4096


def old_module(rev: str, path: str):
    """The module at `path` (e.g. service/codec/images.py) as it was at `rev`."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    name = "_old_" + Path(path).stem
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, None))
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
    return module


def old_reader(rev: str):
    """bytes -> float32 (28, 28), or None when refused, as /predict?normalize=mnist was."""
    images = old_module(rev, "service/codec/images.py")
    normalize = old_module(rev, "service/codec/normalize.py")

    def read(blob: bytes):
        im = images.decode_image(blob, MAX_PIXELS, exact_side=None)
        gray = images.to_gray(images.upright_and_bounded(im), background=255.0)
        try:
            return normalize.mnist(gray)
        except Unprocessable:
            return None
    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="the revision whose recipe is 'before' (none: now only)")
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--first", type=int, default=7000)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--held-out", action="store_true",
                        help="also the variations no parameter was tuned on")
    args = parser.parse_args()
    images, labels = idx.load(default_data_dir(), "test")
    chosen = slice(args.first, args.first + args.count)
    model = {"model": store.load(Path(args.model))}
    conditions = photos.CONDITIONS + (photos.HELD_OUT if args.held_out else ())
    sides = {f"before ({args.rev})": old_reader(args.rev)} if args.rev else {}
    sides["now"] = None
    result = {condition: {} for condition in conditions}
    for side, read in sides.items():
        table = photos.table(model, images[chosen], labels[chosen], conditions, args.seed,
                             read=read)
        for condition, row in table.items():
            result[condition][side] = row["model"]
        print(f"{side}: done", file=sys.stderr, flush=True)
    print(photos.report(result))


if __name__ == "__main__":
    main()
