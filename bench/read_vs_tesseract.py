"""Reading whole numbers: POST /read against Tesseract 5 on the same photos.

    .venv/bin/python bench/read_vs_tesseract.py [--numbers 400] [--another 200] [--seed 9001]
    .venv/bin/python bench/read_vs_tesseract.py --time 200   # 4-digit numbers, /read alone

The photos are tests/helpers/numbers.py's: numbers of 3 to 6 MNIST test digits
written side by side (dark ink on light paper, vertical jitter, gaps from overlapping
to wide), numbers typed in handwriting-style fonts, and numbers of test digits built
another way (resized, half of them slid until they touch), read through a running
gunicorn server over HTTP. Beside each accuracy: how many of the numbers /read
answers with a confidence of SURE or more are right, and what share they are.
Tesseract runs as a new user would run it on a line of digits: `tesseract IMAGE
stdout --psm 7 -c tessedit_char_whitelist=0123456789` (Debian's tesseract-ocr). A
number counts as read when the whole text is right. /read runs in process, through the
Flask test client and --model (the shipped one by default); its time is the median over
the 4-digit numbers, request to answer.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import numbers
from tests.helpers.servers import ROOT, Gunicorn
from tests.helpers.servers import request as server_request

SURE = 0.9  # the confidence from which a number is taken as read (issue 27)


def tesseract(photo: bytes, tmp: Path) -> str:
    path = tmp / "number.jpg"
    path.write_bytes(photo)
    out = subprocess.run(["tesseract", str(path), "stdout", "--psm", "7", "-c",
                          "tessedit_char_whitelist=0123456789"],
                         capture_output=True, text=True, check=False, timeout=60)
    return "".join(out.stdout.split())


def ours(client, photo: bytes) -> tuple[str, float, float]:
    """(text, confidence, seconds) of /read in process; ("", 0, s) on an error."""
    t0 = time.perf_counter()
    resp = client.post("/read", data=photo, content_type="image/jpeg")
    seconds = time.perf_counter() - t0
    body = resp.get_json() if resp.status_code == 200 else {"text": "", "confidence": 0.0}
    return body["text"], body.get("confidence", 0.0), seconds


def served(server, photo: bytes) -> tuple[str, float, float]:
    """The same through a running server (gunicorn, over HTTP on 127.0.0.1)."""
    t0 = time.perf_counter()
    status, _, body = server_request(server.port, "POST", "/read", photo,
                                     headers={"Content-Type": "image/jpeg"})
    seconds = time.perf_counter() - t0
    got = json.loads(body) if status == 200 else {"text": "", "confidence": 0.0}
    return got["text"], got.get("confidence", 0.0), seconds


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


def another_way(args) -> list:
    """Numbers built another way (tests/helpers/numbers.py another_way), from test digits."""
    from trainer.data import idx
    from trainer.data.fetch import default_data_dir

    images, labels = idx.load(default_data_dir(), "test")
    return numbers.numbers(images, labels, args.another, args.seed + 2, numbers.another_way)


HEADER = ("| numbers | count | /read | Tesseract 5 | /read / Tesseract | right at confidence "
          ">= 0.9 | share with confidence >= 0.9 |\n|---|---|---|---|---|---|---|")


def row(name: str, found: list, read: list, tess: Path | None) -> str:
    """One line of the table: whole-number accuracy, Tesseract's, and the confidence's."""
    right = np.array([text == n.text for (text, _, _), n in zip(read, found, strict=True)])
    sure = np.array([c >= SURE for _, c, _ in read])
    theirs = (np.mean([tesseract(n.photo, tess) == n.text for n in found])
              if tess is not None else None)
    ratio = f"{right.mean() / theirs:.1f}x" if theirs else "-"
    at_sure = f"{right[sure].mean():.1%}" if sure.any() else "-"
    return (f"| {name} | {len(found)} | {right.mean():.1%} | "
            f"{'-' if theirs is None else f'{theirs:.1%}'} | {ratio} | {at_sure} | "
            f"{sure.mean():.1%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=400)
    parser.add_argument("--another", type=int, default=200, metavar="N",
                        help="numbers built another way, read through a running server")
    parser.add_argument("--seed", type=int, default=9001, help="not the tests' seeds")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--no-tesseract", action="store_true")
    parser.add_argument("--time", type=int, default=0, metavar="N",
                        help="only time /read on N numbers of 4 digits, nothing beside it")
    args = parser.parse_args()
    if args.time:
        return timing(args)
    if not args.no_tesseract and shutil.which("tesseract") is None:
        raise SystemExit("tesseract is missing: apt-get install tesseract-ocr")
    from service import create_app

    client = create_app({"MODEL_DIR": str(args.model), "LOG_LEVEL": "WARNING"}).test_client()
    print(HEADER)
    with tempfile.TemporaryDirectory() as tmp:
        tess = None if args.no_tesseract else Path(tmp)
        for name, found in cases(args).items():
            print(row(name, found, [ours(client, n.photo) for n in found], tess), flush=True)
        if args.another:
            found = another_way(args)
            server = Gunicorn(model_dir=args.model, env={"GRPC_PORT": "0"})
            try:
                read = [served(server, n.photo) for n in found]
            finally:
                server.stop()
            print(row("built another way, through the server", found, read, tess))
            touching = [i for i, n in enumerate(found) if n.touching]
            print(row("... of which some touching", [found[i] for i in touching],
                      [read[i] for i in touching], tess), flush=True)


def timing(args) -> None:
    """Median and 90th percentile of /read on `args.time` photos of 4 MNIST test digits."""
    from service import create_app
    from trainer.data import idx
    from trainer.data.fetch import default_data_dir

    images, labels = idx.load(default_data_dir(), "test")
    rng = np.random.default_rng(args.seed)
    found = [numbers.written(images[p], labels[p], rng)
             for p in (rng.choice(len(images), 4, replace=False) for _ in range(args.time))]
    client = create_app({"MODEL_DIR": str(args.model), "LOG_LEVEL": "WARNING"}).test_client()
    for n in found[:10]:  # warm: the first requests load what the rest reuse
        ours(client, n.photo)
    seconds = [ours(client, n.photo)[2] for n in found]
    print(f"/read in process, {len(found)} numbers of 4 digits: median "
          f"{np.median(seconds) * 1e3:.1f} ms, 90th percentile "
          f"{np.quantile(seconds, 0.9) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
