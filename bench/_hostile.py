"""A fixed mix of hostile /predict requests: every one should get a 4xx JSON error."""

import io
import json
import struct
import zlib

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload)))


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of under 100 bytes whose header claims width x height."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b""))


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def requests(digit_png: bytes, seed: int = 0) -> list[tuple[str, bytes, dict]]:
    """(path, body, headers) of every hostile kind, random ones drawn from `seed`."""
    rng = np.random.default_rng(seed)
    png = {"Content-Type": "image/png"}
    as_json = {"Content-Type": "application/json"}
    out = [
        ("/predict", digit_png[: len(digit_png) // 2], png),                      # truncated
        ("/predict", PNG_SIGNATURE + rng.bytes(500), png),                        # bad chunks
        ("/predict", png_claiming(50_000, 50_000), png),                          # bomb
        ("/predict", png_claiming(1, 20_000_000), png),
        ("/predict", _png(np.zeros((64, 64), np.uint8)), png),                    # wrong size
        ("/predict", _png(np.zeros((64, 64), np.uint8)), {"Content-Type": "image/gif"}),
        ("/predict?normalize=mnist", _png(np.full((40, 30), 255, np.uint8)), png),  # blank
        ("/predict", b"\0" * (3 * 1024 * 1024), png),                             # 3 MiB
        ("/predict", b"hello", {"Content-Type": "text/plain"}),
        ("/predict", b"", png),
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
        ("/predict?normalize=zzz", digit_png, png),
    ]
    for kind in ("image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp",
                 "image/tiff", "application/json"):
        for size in (1, 16, 300, 5000):
            out.append(("/predict", rng.bytes(size), {"Content-Type": kind}))
    return out
