"""Mistakes a new user made on first use: each gets an answer that says what to do."""

import json
import re

import numpy as np
from PIL import Image, ImageDraw

from tests.helpers.bodies import ROOT
from tests.service._fixtures import assert_error, default_model_dir, encode, post_image, post_json


def test_a_forgotten_outer_list_is_named_as_one_image(client):
    error = assert_error(post_json(client, {"instances": [0] * 784}), 422, "wrong_shape")
    assert "looks like one image" in error["message"] and "[[784 numbers]]" in error["message"]
    rows = {"instances": [[0] * 28] * 28}
    assert "looks like one image" in assert_error(post_json(client, rows), 422)["message"]


def test_pixels_scaled_to_0_1_are_refused_not_misread(client):
    digit = np.asarray(Image.open(ROOT / "examples" / "digit_7.png"), dtype=np.float64) / 255
    error = assert_error(post_json(client, {"instances": [digit.ravel().tolist()]}), 422,
                         "wrong_scale")
    assert "0..1" in error["message"] and "0..255" in error["message"]
    assert "multiply by 255" in error["message"]
    # Whole numbers within 0..1 are valid 0..255 pixels (a nearly black image), not a scale.
    assert post_json(client, {"instances": [[0, 1] * 392]}).status_code == 200


def test_a_text_file_sent_as_an_image_gets_no_internal_repr(client):
    error = assert_error(post_image(client, b"hello, this is a text file\n"), 400,
                         "undecodable_image")
    assert not re.search(r"<[^>]*object at 0x", error["message"]), error["message"]
    assert "PNG, JPEG" in error["message"]


def _phone_photo() -> bytes:
    """A 4000x3000 JPEG of a dark 3 on noisy paper, about 3 MB like a phone's."""
    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(200, 12, (3000, 4000)), 0, 255).astype(np.uint8)
    im = Image.fromarray(paper)
    ImageDraw.Draw(im).arc((1400, 700, 2600, 2300), 270, 150, fill=30, width=120)
    return encode(im.convert("RGB"), "JPEG", quality=92)


def test_a_phone_photo_fits_under_the_default_limit(client):
    photo = _phone_photo()
    assert 2_500_000 < len(photo) < 8 * 1024 * 1024, len(photo)
    resp = post_image(client, photo, "image/jpeg", query="?normalize=mnist")
    assert resp.status_code == 200, resp.get_json()


def test_the_readme_json_example_reads_a_7():
    from service import create_app

    client = create_app({"MODEL_DIR": str(default_model_dir()), "TESTING": True}).test_client()
    body = (ROOT / "examples" / "digit_7.json").read_bytes()
    resp = client.post("/predict", data=body, content_type="application/json")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["predictions"][0]["label"] == 7
    assert len(json.loads(body)["instances"]) == 1
