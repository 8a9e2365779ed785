"""Property-based: whatever image arrives at /read, the answer is a 4xx JSON error or a
valid reading: never a 500. Images of any size and content (noise, random strokes,
blocks, nearly blank) and random bytes are drawn by hypothesis, a bounded number each."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from tests.service._fixtures import ERROR_STATUSES, assert_error, tiny_client

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return tiny_client(tmp_path_factory, MAX_IMAGE_PIXELS=1024 * 1024, MAX_DIGITS=12)


def check(resp, size: tuple[int, int] | None) -> None:
    if resp.status_code != 200:
        assert resp.status_code in ERROR_STATUSES, (resp.status_code, resp.get_data()[:300])
        assert_error(resp, resp.status_code)
        return
    body = resp.get_json()
    assert set(body) == {"model", "text", "confidence", "digits"}
    assert 1 <= len(body["digits"]) <= 12 and 0 <= body["confidence"] <= 1
    assert body["text"] == "".join(str(d["label"]) if d["is_digit"] else "?"
                                   for d in body["digits"])
    for d in body["digits"]:
        x0, y0, x1, y1 = d["box"]
        assert 0 <= x0 < x1 and 0 <= y0 < y1, d["box"]
        assert size is None or (x1 <= size[0] + 1 and y1 <= size[1] + 1), (d["box"], size)
        assert abs(sum(d["probabilities"]) - 1) < 1e-4 and 0 <= d["confidence"] <= 1


@st.composite
def pictures(draw) -> tuple[bytes, tuple[int, int]]:
    """A PNG or JPEG of random size holding noise, strokes or blocks, or almost nothing."""
    size = (draw(st.integers(1, 700)), draw(st.integers(1, 300)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["noise", "strokes", "blocks", "blank"]))
    if kind == "noise":
        im = Image.fromarray(rng.integers(0, 256, size[::-1], dtype=np.uint8))
    else:
        im = Image.new("L", size, int(rng.integers(150, 256)))
        pen = ImageDraw.Draw(im)
        for _ in range(0 if kind == "blank" else int(rng.integers(1, 40))):
            xy = rng.uniform(0, 1, 4) * [size[0], size[1], size[0], size[1]]
            shade = int(rng.integers(0, 120))
            if kind == "strokes":
                pen.line(list(xy), fill=shade, width=int(rng.integers(1, 12)))
            else:
                pen.rectangle([min(xy[0], xy[2]), min(xy[1], xy[3]), max(xy[0], xy[2]),
                               max(xy[1], xy[3])], fill=shade)
    out = io.BytesIO()
    im.save(out, draw(st.sampled_from(["PNG", "JPEG"])))
    return out.getvalue(), size


@FUZZ
@given(picture=pictures())
def test_any_picture_is_read_or_refused(client, picture):
    data, size = picture
    check(client.post("/read", data=data, content_type="image/png"), size)


@FUZZ
@given(body=st.binary(max_size=2048),
       content_type=st.sampled_from(["image/png", "image/jpeg", "application/json",
                                     "multipart/form-data", "text/plain", ""]))
def test_random_bytes(client, body, content_type):
    check(client.post("/read", data=body, content_type=content_type), None)
