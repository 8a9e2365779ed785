"""Request bodies for /predict: PNG files, multipart uploads and JSON instances."""

import io
import json
import struct
import uuid
import zlib

import numpy as np
from PIL import Image

from tests.helpers import ROOT

DIGIT_7 = ROOT / "examples" / "digit_7.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def digit_png() -> bytes:
    """examples/digit_7.png: the first MNIST test image, a 7."""
    return DIGIT_7.read_bytes()


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def png(pixels: np.ndarray) -> bytes:
    """uint8 (H, W) grayscale -> PNG bytes."""
    return encode(Image.fromarray(np.asarray(pixels, dtype=np.uint8)))


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload, CRC."""
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_header(width: int, height: int, idat: bytes = b"\x00" * 64) -> bytes:
    """A PNG claiming width x height (8-bit grey): valid IHDR, then an IDAT of `idat`."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)


def multipart(blobs: list[bytes], field: str = "image") -> tuple[bytes, str]:
    """(body, Content-Type) of a multipart/form-data upload of `blobs` as PNG files."""
    boundary = uuid.uuid4().hex
    parts = [(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
              f"filename=\"{i}.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + blob + b"\r\n"
             for i, blob in enumerate(blobs)]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def instances_json(count: int, seed: int = 0) -> bytes:
    """{"instances": [...]} of `count` random 784-pixel images on 0..255."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(count, 784))
    return json.dumps({"instances": pixels.tolist()}).encode()
