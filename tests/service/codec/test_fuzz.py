"""Property-based: whatever arrives at /predict, the answer is a 4xx JSON error or a valid 200.

Never a 500 and never an exception out of the app. Bytes, image headers with
random sizes and garbage pixels, multipart bodies and JSON documents are drawn
by hypothesis; each property runs a bounded number of examples.
"""

import io
import json
import struct

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.helpers.bodies import PNG_SIGNATURE, png_chunk
from tests.service._fixtures import ERROR_STATUSES, assert_error, assert_predictions, tiny_client

# Pillow warns about what it reads in hostile files; the service refuses them anyway.
pytestmark = [pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")]
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp", "image/tiff"]
CONTENT_TYPES = [*IMAGE_TYPES, "application/json", "multipart/form-data", "text/plain", "",
                 "multipart/form-data; boundary=xyz", "image/svg+xml"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # A small pixel limit keeps the decoding of "valid" random headers cheap.
    return tiny_client(tmp_path_factory, MAX_IMAGE_PIXELS=512 * 512, MAX_BATCH=8)


def check(resp) -> None:
    """A documented outcome: a JSON 4xx error, or a well-formed 200."""
    event(f"status {resp.status_code}")  # --hypothesis-show-statistics shows the spread
    if resp.status_code == 200:
        assert_predictions(resp, len(resp.get_json()["predictions"]))
    else:
        assert resp.status_code in ERROR_STATUSES, (resp.status_code, resp.get_data()[:300])
        assert_error(resp, resp.status_code)


@st.composite
def image_headers(draw) -> bytes:
    """A valid-looking header of some format claiming random dimensions, then garbage."""
    # Small sizes reach the pixel decoders; large ones the size checks.
    width = draw(st.integers(0, 64) | st.integers(0, 70_000))
    height = draw(st.integers(0, 64) | st.integers(0, 70_000))
    garbage = draw(st.binary(max_size=300))
    kind = draw(st.sampled_from(["png", "gif", "bmp", "tiff", "jpeg", "webp"]))
    if kind == "png":
        mode = draw(st.sampled_from([(8, 0), (16, 0), (8, 2), (8, 3), (8, 4), (8, 6), (1, 0)]))
        ihdr = struct.pack(">IIBBBBB", width, height, *mode, 0, 0, draw(st.integers(0, 1)))
        return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", garbage)
    if kind == "gif":
        return (b"GIF89a" + struct.pack("<HH", width % 65536, height % 65536)
                + b"\xf7\x00\x00" + b"\x00" * 768 + b",\x00\x00\x00\x00"
                + struct.pack("<HH", width % 65536, height % 65536) + b"\x00\x08" + garbage)
    if kind == "bmp":
        bits = draw(st.sampled_from([1, 4, 8, 16, 24, 32]))
        info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, 0, 0, 0, 0, 0)
        return b"BM" + struct.pack("<IHHI", 14 + 40 + len(garbage), 0, 0, 54) + info + garbage
    if kind == "tiff":
        bits = draw(st.sampled_from([1, 8, 16, 32]))
        fmt = draw(st.sampled_from([1, 2, 3]))
        tags = [(256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, 1), (262, 3, 1),
                (273, 4, 8 + 2 + 12 * 8 + 4), (277, 3, 1), (339, 3, fmt)]
        ifd = struct.pack("<H", len(tags)) + b"".join(
            struct.pack("<HHII", tag, typ, 1, value) for tag, typ, value in tags)
        return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 4 + garbage
    if kind == "jpeg":
        sof = struct.pack(">BHHB", 8, height % 65536, width % 65536, 1) + b"\x01\x11\x00"
        return (b"\xff\xd8\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof
                + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + garbage)
    vp8l = b"\x2f" + struct.pack("<I", ((width - 1) % 16384) | (((height - 1) % 16384) << 14))
    body = b"VP8L" + struct.pack("<I", len(vp8l) + len(garbage)) + vp8l + garbage
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def mutated_image(data: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    """A real image with some bytes changed and maybe cut short."""
    buf = bytearray(data)
    for pos, value in flips:
        buf[pos % len(buf)] = value
    return bytes(buf if cut is None else buf[: max(1, cut % (len(buf) + 1))])


def real_image(fmt: str, size: tuple[int, int], mode: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 200 if mode in ("L", "P") else None).save(buf, fmt)
    return buf.getvalue()


REAL = {fmt: real_image(fmt, (28, 28), "L" if fmt != "JPEG" else "RGB")
        for fmt in ("PNG", "GIF", "BMP", "TIFF", "JPEG", "WEBP")}
queries = st.sampled_from(["", "?normalize=mnist"])


@FUZZ
@given(body=st.binary(max_size=2048), content_type=st.sampled_from(CONTENT_TYPES), query=queries)
def test_random_bytes(client, body, content_type, query):
    check(client.post(f"/predict{query}", data=body, content_type=content_type))


@FUZZ
@given(data=image_headers(), mime=st.sampled_from(IMAGE_TYPES), query=queries)
def test_random_image_headers(client, data, mime, query):
    check(client.post(f"/predict{query}", data=data, content_type=mime))


@FUZZ
@given(fmt=st.sampled_from(sorted(REAL)), query=queries, cut=st.none() | st.integers(0, 10_000),
       flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6))
def test_mutated_real_images(client, fmt, query, cut, flips):
    data = mutated_image(REAL[fmt], flips, cut)
    check(client.post(f"/predict{query}", data=data, content_type="image/png"))


@FUZZ
@given(parts=st.lists(st.tuples(st.sampled_from(["image", "img", "", "image[]"]),
                                st.binary(max_size=300) | st.sampled_from(sorted(REAL.values())),
                                st.text(max_size=20) | st.none()), max_size=10),
       boundary=st.text(st.characters(codec="ascii", exclude_characters="\r\n\""), min_size=1,
                        max_size=30),
       mangle=st.integers(0, 3), query=queries)
def test_random_multipart(client, parts, boundary, mangle, query):
    lines = []
    for name, blob, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        lines += [f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n".encode(), blob, b"\r\n"]
    lines.append(f"--{boundary}--\r\n".encode())
    body = b"".join(lines)
    if mangle == 1:
        body = body[: len(body) // 2]
    elif mangle == 2:
        boundary = boundary[::-1]
    content_type = f'multipart/form-data; boundary="{boundary}"' if mangle != 3 else \
        "multipart/form-data"
    check(client.post(f"/predict{query}", data=body, content_type=content_type))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-300, 10**30) | st.text(max_size=5)
    | st.floats(allow_nan=True, allow_infinity=True),
    lambda inner: st.lists(inner, max_size=30) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=60)
pixel_rows = st.lists(st.integers(0, 255) | st.floats(0, 255) | json_values, min_size=27,
                      max_size=29)
instances = st.lists(st.lists(st.integers(0, 255), min_size=784, max_size=784)
                     | st.lists(pixel_rows, min_size=27, max_size=29)
                     | json_values, max_size=10)


@FUZZ
@given(doc=json_values | st.fixed_dictionaries({"instances": instances}) | st.fixed_dictionaries(
    {"instances": json_values}), query=queries)
def test_random_json(client, doc, query):
    body = json.dumps(doc).encode()  # allow_nan: NaN and Infinity literals go out as Python's
    check(client.post(f"/predict{query}", data=body, content_type="application/json"))
