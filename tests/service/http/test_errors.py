"""Every refusal is the JSON error shape with the documented status, never a 500."""

import json
import struct

import numpy as np
import pytest
from PIL import Image, ImageFile
from werkzeug.test import EnvironBuilder, run_wsgi_app

from service import create_app
from tests.service._fixtures import (
    RESOURCES,
    assert_error,
    encode,
    png,
    png_header,
    post_files,
    post_image,
    post_json,
    random_digits,
)


@pytest.fixture
def digit_png():
    return png(random_digits(1, seed=0)[0])


# --- 400 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"not an image at all",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    b"GIF89a" + b"\xff" * 20,
    b"BM" + b"\x00" * 60,
])
def test_undecodable_bytes_are_400(client, data):
    assert_error(post_image(client, data), 400, "undecodable_image")


def test_truncated_image_is_400(client, digit_png):
    # Cut inside the pixel data (IDAT); the trailing 12-byte IEND chunk carries no pixels.
    for cut in (len(digit_png) // 2, len(digit_png) - 40, 60):
        assert_error(post_image(client, digit_png[:cut]), 400, "undecodable_image")


def test_no_image_is_400(client, digit_png):
    assert_error(post_image(client, b""), 400, "no_image")
    assert_error(post_json(client, {"instances": []}), 400, "no_image")
    assert_error(post_files(client, [digit_png], field="picture"), 400, "no_image")
    # A part without a filename arrives as a text field; say how to send it.
    resp = client.post("/predict", data={"image": "iVBORw0KGgo="},
                       content_type="multipart/form-data")
    assert "file upload" in assert_error(resp, 400, "no_image")["message"]


@pytest.mark.parametrize("body", [
    b"{", b"[1, 2", b'{"instances": [[0, 1,]]}', b"\xff\xfe\x00garbage", b"",
    b"[" * 100_000 + b"]" * 100_000,
])
def test_malformed_json_is_400(client, body):
    resp = client.post("/predict", data=body, content_type="application/json")
    assert_error(resp, 400, "malformed_json")


@pytest.mark.parametrize("body", [[], {"inputs": [[0] * 784]}, {"instances": 3}, "x", 7])
def test_json_without_instances_is_400(client, body):
    assert_error(post_json(client, body), 400, "malformed_json")


def test_unknown_normalize_is_400(client, digit_png):
    assert_error(post_image(client, digit_png, query="?normalize=emnist"), 400, "bad_parameter")


# --- 413 ---------------------------------------------------------------------------------

def test_body_over_the_limit_is_413_json_that_says_what_to_do(client):
    big = b"\x00" * (8 * 1024 * 1024 + 1)  # the default limit takes a phone photo (8 MiB)
    error = assert_error(post_image(client, big), 413, "payload_too_large")
    assert "8388608" in error["message"] and "8.0 MiB" in error["message"]
    assert "shrink" in error["message"] and "MAX_CONTENT_LENGTH" in error["message"]
    assert_error(client.post("/predict", data=big, content_type="application/json"), 413)
    assert_error(post_files(client, [big]), 413, "payload_too_large")


def test_small_limit_applies_to_multipart_batches(tiny_model_dir, digit_png):
    app = create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True,
                      "MAX_CONTENT_LENGTH": 4 * len(digit_png)})
    assert_error(post_files(app.test_client(), [digit_png] * 8), 413, "payload_too_large")


# --- 415 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", [
    "text/plain", "image/svg+xml", "application/x-www-form-urlencoded",
    "application/octet-stream", "", "image/x-icon",
])
def test_unsupported_content_type_is_415(client, digit_png, content_type):
    resp = client.post("/predict", data=digit_png, content_type=content_type)
    assert "multipart/form-data" in assert_error(resp, 415, "unsupported_media_type")["message"]


# --- 422 ---------------------------------------------------------------------------------

def test_wrong_size_is_422_naming_the_size(client):
    resp = post_image(client, png(np.zeros((30, 27), dtype=np.uint8)))
    assert "27x30" in assert_error(resp, 422, "wrong_size")["message"]


@pytest.mark.parametrize(("instance", "code"), [
    ([0] * 783, "wrong_shape"),
    ([[0] * 28] * 27, "wrong_shape"),
    ([[0] * 27] * 28, "wrong_shape"),
    ([[[0] * 28] * 28], "wrong_shape"),
    ("0" * 784, "wrong_shape"),
    ([0] * 783 + [256], "out_of_range"),
    ([0] * 783 + [-1], "out_of_range"),
    ([0] * 783 + [10**400], "out_of_range"),
    ([0] * 783 + [True], "not_a_number"),
    ([0] * 783 + ["7"], "not_a_number"),
    ([0] * 783 + [None], "not_a_number"),
    ([[0] * 28] * 27 + [[0] * 27 + [False]], "not_a_number"),
])
def test_bad_json_instances_are_422(client, instance, code):
    error = assert_error(post_json(client, {"instances": [[0] * 784, instance]}), 422, code)
    assert "instances[1]" in error["message"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_json_numbers_are_422(client, literal):
    body = b'{"instances": [[' + b"0," * 783 + literal + b"]]}"
    resp = client.post("/predict", data=body, content_type="application/json")
    assert_error(resp, 422, "out_of_range")


def test_too_many_images_is_422(tiny_model_dir, digit_png):
    app = create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True, "MAX_BATCH": 3})
    client = app.test_client()
    assert_error(post_files(client, [digit_png] * 4), 422, "batch_too_large")
    assert_error(post_json(client, {"instances": [[0] * 784] * 4}), 422, "batch_too_large")
    assert post_files(client, [digit_png] * 3).status_code == 200


def test_default_batch_limit_is_256(client):
    assert post_json(client, {"instances": [[0] * 784] * 256}).status_code == 200
    assert_error(post_json(client, {"instances": [[0] * 784] * 257}), 422, "batch_too_large")


@pytest.mark.parametrize(("width", "height"), [(50_000, 50_000), (5000, 5000), (1, 20_000_000)])
def test_bomb_dimensions_are_refused_before_decoding(client, monkeypatch, width, height):
    def refuse(self):
        raise AssertionError("pixels decoded before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    data = png_header(width, height)
    assert len(data) < 200
    for query in ("", "?normalize=mnist"):
        error = assert_error(post_image(client, data, query=query), 422, "image_too_large")
        assert f"{width}x{height}" in error["message"] or "exceeds" in error["message"]


def test_real_large_image_over_max_pixels_is_422(tiny_model_dir):
    app = create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True,
                      "MAX_IMAGE_PIXELS": 100 * 100})
    data = encode(Image.new("L", (101, 100)))
    resp = post_image(app.test_client(), data, query="?normalize=mnist")
    assert "101x100" in assert_error(resp, 422, "image_too_large")["message"]


def test_wrong_size_is_refused_before_decoding(client, monkeypatch):
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: 1 / 0)
    assert_error(post_image(client, png_header(29, 28)), 422, "wrong_size")


@pytest.mark.parametrize(("values", "dtype"), [
    ([300.0], np.float32), ([-1.0], np.float32), ([np.nan], np.float32), ([np.inf], np.float32),
    ([70_000], np.int32), ([-5], np.int32),
])
def test_32_bit_tiff_out_of_range_is_422(client, values, dtype):
    pixels = np.zeros((28, 28), dtype=dtype)
    pixels[3, 3] = values[0]
    resp = post_image(client, encode(Image.fromarray(pixels), "TIFF"), "image/tiff")
    assert_error(resp, 422, "out_of_range")


def test_blank_image_under_normalize_is_422_no_digit(client):
    blank = (RESOURCES / "blank.png").read_bytes()
    error = assert_error(post_image(client, blank, query="?normalize=mnist"), 422, "no_digit")
    assert "no digit found" in error["message"]
    flat_grey = encode(Image.new("RGB", (28, 28), (90, 90, 90)))
    assert_error(post_image(client, flat_grey, query="?normalize=mnist"), 422, "no_digit")


def test_one_bad_file_fails_the_batch(client, digit_png):
    resp = post_files(client, [digit_png, b"garbage", digit_png])
    assert_error(resp, 400, "undecodable_image")


# --- 503 and the other routes ----------------------------------------------------------------

@pytest.fixture
def not_ready_client(tmp_path):
    app = create_app({"MODEL_DIR": str(tmp_path / "missing"), "TESTING": True})
    return app.test_client()


def test_not_ready_answers_503_with_the_reason(not_ready_client, digit_png):
    for resp in (not_ready_client.get("/readyz"), not_ready_client.get("/model"),
                 post_image(not_ready_client, digit_png)):
        error = assert_error(resp, 503, "not_ready")
        assert "missing" in error["message"] and "model.json" in error["message"]
    assert not_ready_client.get("/healthz").get_json() == {"status": "ok"}


def test_health_ready_and_model_routes(client, app):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    info = client.get("/model").get_json()
    manifest = app.extensions["predictor"].model.manifest
    assert info["name"] == "tiny-test" and info["version"] == manifest["version"]
    assert info["layer_sizes"] == [784, 16, 10]
    assert info["input"]["shape"] == [28, 28]
    assert info["metrics"] == {"test_accuracy": 0.1}
    assert info["created"] == manifest["created"]


def test_wrong_method_and_unknown_route_are_json(client):
    assert_error(client.get("/predict"), 405)
    assert_error(client.get("/nope"), 404)


@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")
def test_pillow_failure_modes_stay_4xx(client, digit_png):
    """Bytes that reach different Pillow decoders and fail inside them."""
    cases = [
        encode(Image.new("RGB", (28, 28)), "JPEG")[:200],
        encode(Image.new("L", (28, 28)), "TIFF")[:100],
        encode(Image.new("L", (28, 28)), "WEBP")[:30],
        encode(Image.new("P", (28, 28)), "GIF")[:-20],
        encode(Image.new("L", (28, 28)), "BMP")[:-100],
        b"II*\x00" + struct.pack("<I", 8) + b"\xff" * 60,
    ]
    for data in cases:
        resp = post_image(client, data)
        assert resp.status_code in (400, 422), (data[:16], resp.get_json())
        assert_error(resp, resp.status_code)
    assert post_image(client, digit_png).status_code == 200  # and the service still serves


@pytest.mark.parametrize("content_type", ["image/png", "application/json",
                                          "multipart/form-data; boundary=x"])
def test_streamed_body_over_the_limit_is_413(app, content_type):
    """Chunked upload, no Content-Length: the limit holds while reading (gunicorn's case)."""
    big = b"--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n"
    big += b"\x00" * (8 * 1024 * 1024 + 10)
    environ = EnvironBuilder(path="/predict", method="POST", content_type=content_type,
                             data=big).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True  # gunicorn sets it for chunked bodies
    body, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    assert status.startswith("413")
    assert json.loads(b"".join(body))["error"]["code"] == "payload_too_large"


def test_streamed_body_under_the_limit_is_served(app, digit_png):
    environ = EnvironBuilder(path="/predict", method="POST", content_type="image/png",
                             data=digit_png).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    body, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    assert status.startswith("200")
    assert len(json.loads(b"".join(body))["predictions"]) == 1
