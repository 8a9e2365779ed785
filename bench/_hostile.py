"""A fixed mix of hostile /predict requests: every one should get a 4xx JSON error."""

import json
import zlib

import numpy as np

from tests.helpers.bodies import PNG_SIGNATURE, png, png_chunk, png_header


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of under 100 bytes whose header claims width x height."""
    return png_header(width, height, zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")


def requests(digit_png: bytes, seed: int = 0) -> list[tuple[str, bytes, dict]]:
    """(path, body, headers) of every hostile kind, random ones drawn from `seed`."""
    rng = np.random.default_rng(seed)
    as_png = {"Content-Type": "image/png"}
    as_json = {"Content-Type": "application/json"}
    out = [
        ("/predict", digit_png[: len(digit_png) // 2], as_png),  # truncated
        ("/predict", PNG_SIGNATURE + rng.bytes(500), as_png),  # bad chunks
        ("/predict", png_claiming(50_000, 50_000), as_png),  # bomb
        ("/predict", png_claiming(1, 20_000_000), as_png),
        ("/predict", png(np.zeros((64, 64), np.uint8)), as_png),  # wrong size
        ("/predict", png(np.zeros((64, 64), np.uint8)), {"Content-Type": "image/gif"}),
        ("/predict?normalize=mnist", png(np.full((40, 30), 255, np.uint8)), as_png),  # blank
        ("/predict", b"\0" * (9 * 1024 * 1024), as_png),  # over 8 MiB
        ("/predict", b"hello", {"Content-Type": "text/plain"}),
        ("/predict", b"", as_png),
        ("/predict", b"{", as_json),
        ("/predict", b"[" * 100_000 + b"]" * 100_000, as_json),                   # deep nesting
        ("/predict", b'{"instances": [[' + b"0," * 783 + b"NaN]]}", as_json),
        ("/predict", json.dumps({"instances": [[300] * 784]}).encode(), as_json),
        ("/predict", json.dumps({"instances": [[0] * 783]}).encode(), as_json),
        ("/predict", json.dumps({"instances": [[0] * 784] * 257}).encode(), as_json),
        ("/predict", json.dumps({"instances": "7"}).encode(), as_json),
        ("/predict", b"--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\n1\r\n--x--\r\n",
         {"Content-Type": "multipart/form-data; boundary=x"}),
        ("/predict", b"--x\r\ngarbage", {"Content-Type": "multipart/form-data; boundary=x"}),
        ("/predict?normalize=zzz", digit_png, as_png),
    ]
    for kind in ("image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp",
                 "image/tiff", "application/json"):
        for size in (1, 16, 300, 5000):
            out.append(("/predict", rng.bytes(size), {"Content-Type": kind}))
    return out
