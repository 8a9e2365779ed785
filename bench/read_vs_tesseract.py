"""Reading whole numbers: POST /read against Tesseract 5 on the same photos.

    .venv/bin/python bench/read_vs_tesseract.py [--numbers 400] [--seed 9001]
    .venv/bin/python bench/read_vs_tesseract.py --time 200   # 4-digit numbers, /read alone

The photos are tests/helpers/numbers.py's: numbers of 3 to 6 MNIST test digits
written side by side (dark ink on light paper, vertical jitter, gaps from overlapping
to wide), and numbers typed in handwriting-style fonts. Tesseract runs as a new user
would run it on a line of digits: `tesseract IMAGE stdout --psm 7 -c
tessedit_char_whitelist=0123456789` (Debian's tesseract-ocr). A number counts as read
when the whole text is right. /read runs in process, through the Flask test client and
the shipped model; its time is the median over the 4-digit numbers, request to answer.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import numbers
from tests.helpers.servers import ROOT


def tesseract(photo: bytes, tmp: Path) -> str:
    path = tmp / "number.jpg"
    path.write_bytes(photo)
    out = subprocess.run(["tesseract", str(path), "stdout", "--psm", "7", "-c",
                          "tessedit_char_whitelist=0123456789"],
                         capture_output=True, text=True, check=False, timeout=60)
    return "".join(out.stdout.split())


def ours(client, photo: bytes) -> tuple[str, float]:
    t0 = time.perf_counter()
    resp = client.post("/read", data=photo, content_type="image/jpeg")
    seconds = time.perf_counter() - t0
    return (resp.get_json()["text"] if resp.status_code == 200 else ""), seconds


def cases(args) -> dict[str, list]:
    from trainer.data import idx
    from trainer.data.fetch import default_data_dir

    images, labels = idx.load(default_data_dir(), "test")
    written = numbers.numbers(images, labels, args.numbers, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    typed = [numbers.typed("".join(map(str, rng.integers(0, 10, int(rng.integers(3, 7))))),
                           rng) for _ in range(args.numbers // 2)]
    return {"MNIST digits, none touching": [n for n in written if not n.touching],
            "MNIST digits, some touching": [n for n in written if n.touching],
            "MNIST digits, all": written,
            "typed in handwriting fonts": typed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=400)
    parser.add_argument("--seed", type=int, default=9001, help="not the tests' seeds")
    parser.add_argument("--time", type=int, default=0, metavar="N",
                        help="only time /read on N numbers of 4 digits, nothing beside it")
    args = parser.parse_args()
    if args.time:
        return timing(args)
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract is missing: apt-get install tesseract-ocr")
    from service import create_app

    client = create_app({"MODEL_DIR": str(ROOT / "models" / "default"),
                         "LOG_LEVEL": "WARNING"}).test_client()
    print("| numbers | count | /read | Tesseract 5 | /read / Tesseract |\n|---|---|---|---|---|")
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, found in cases(args).items():
            read = [ours(client, n.photo) for n in found]
            timings += [s for (_, s), n in zip(read, found, strict=True) if len(n.text) == 4]
            mine = np.mean([text == n.text for (text, _), n in zip(read, found, strict=True)])
            theirs = np.mean([tesseract(n.photo, Path(tmp)) == n.text for n in found])
            ratio = f"{mine / theirs:.1f}x" if theirs else "-"
            print(f"| {name} | {len(found)} | {mine:.1%} | {theirs:.1%} | {ratio} |",
                  flush=True)
    print(f"\n/read in process, numbers of 4 digits: median {statistics.median(timings) * 1e3:.1f}"
          f" ms ({len(timings)} requests)")


def timing(args) -> None:
    """Median and 90th percentile of /read on `args.time` photos of 4 MNIST test digits."""
    from service import create_app
    from trainer.data import idx
    from trainer.data.fetch import default_data_dir

    images, labels = idx.load(default_data_dir(), "test")
    rng = np.random.default_rng(args.seed)
    found = [numbers.written(images[p], labels[p], rng)
             for p in (rng.choice(len(images), 4, replace=False) for _ in range(args.time))]
    client = create_app({"MODEL_DIR": str(ROOT / "models" / "default"),
                         "LOG_LEVEL": "WARNING"}).test_client()
    for n in found[:10]:  # warm: the first requests load what the rest reuse
        ours(client, n.photo)
    seconds = [ours(client, n.photo)[1] for n in found]
    print(f"/read in process, {len(found)} numbers of 4 digits: median "
          f"{np.median(seconds) * 1e3:.1f} ms, 90th percentile "
          f"{np.quantile(seconds, 0.9) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
