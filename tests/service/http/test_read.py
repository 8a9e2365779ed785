"""POST /read through the app: whole numbers read left to right, boxes in the uploaded
image's pixels, the limits and errors of /predict, metrics, and the documented shapes."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from service import create_app
from tests.helpers import numbers
from tests.service._fixtures import default_model_dir
from tests.service.conftest import metric_samples
from tests.service.http.test_openapi import check
from trainer.artifact import pair, store

SEED = 20  # the tests' numbers; bench/read_vs_tesseract.py draws others


@pytest.fixture(scope="module")
def shipped():
    return create_app({"MODEL_DIR": str(default_model_dir()), "TESTING": True})


@pytest.fixture(scope="module")
def written(mnist_test):
    images, labels = mnist_test
    return numbers.numbers(images, labels, 40, SEED)


def read(client, photo: bytes, query: str = ""):
    return client.post("/read" + query, data=photo, content_type="image/jpeg")


def test_numbers_of_separate_digits_are_read_whole(shipped, written):
    client = shipped.test_client()
    apart = [n for n in written if not n.touching]
    right = [read(client, n.photo).get_json()["text"] == n.text for n in apart]
    # The benchmark measures the rate (target 95%); this guards against breaking it.
    assert len(apart) >= 15 and np.mean(right) >= 0.85, (np.mean(right), len(apart))


def test_digits_come_left_to_right_with_boxes_in_the_uploaded_pixels(shipped, written):
    client = shipped.test_client()
    number, body = next((n, b) for n in written if not n.touching
                        if (b := read(client, n.photo).get_json())["text"] == n.text)
    width, height = Image.open(io.BytesIO(number.photo)).size
    boxes = np.array([d["box"] for d in body["digits"]])
    assert len(boxes) == len(number.text)
    assert (boxes[:, 0] < boxes[:, 2]).all() and (boxes[:, 1] < boxes[:, 3]).all()
    assert boxes.min() >= 0 and boxes[:, 2].max() <= width and boxes[:, 3].max() <= height
    assert (np.diff(boxes[:, 0] + boxes[:, 2]) > 0).all()
    # The same photo twice as large: the same digits, boxes twice as far out.
    big = Image.open(io.BytesIO(number.photo)).resize((2 * width, 2 * height))
    out = io.BytesIO()
    big.save(out, "PNG")
    twice = shipped.test_client().post("/read", data=out.getvalue(), content_type="image/png")
    assert twice.get_json()["text"] == body["text"]
    assert np.abs(np.array([d["box"] for d in twice.get_json()["digits"]]) - 2 * boxes).max() <= 8


def drawn(text: str, dash_after: int | None = None) -> bytes:
    """`text` drawn as thick strokes of a few shapes the tests know: 1 and 7."""
    canvas = Image.new("L", (90 * len(text) + 60, 200), 255)
    draw = ImageDraw.Draw(canvas)
    for i, ch in enumerate(text):
        x = 40 + 90 * i
        if ch == "1":
            draw.line([(x + 30, 40), (x + 30, 160)], fill=0, width=12)
        else:  # 7
            draw.line([(x, 40), (x + 60, 40), (x + 20, 160)], fill=0, width=12)
        if i == dash_after:
            draw.line([(x + 68, 100), (x + 84, 100)], fill=0, width=10)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def test_return_input_gives_each_digit_the_28x28_image_it_became(shipped):
    body = shipped.test_client().post("/read?return_input=true", data=drawn("717"),
                                      content_type="image/png").get_json()
    assert body["text"] == "717"
    for digit in body["digits"]:
        seen = np.array(digit["input"])
        assert seen.shape == (28, 28) and seen.min() >= 0 and seen.max() == 255
        assert set(digit) == {"label", "is_digit", "confidence", "box", "probabilities", "input"}


def test_limits_and_errors_are_those_of_predict(shipped, tiny_model_dir):
    client = create_app({"MODEL_DIR": str(default_model_dir()), "TESTING": True,
                         "MAX_DIGITS": 2}).test_client()
    resp = client.post("/read", data=drawn("717"), content_type="image/png")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "too_many_digits"
    assert "MAX_DIGITS" in resp.get_json()["error"]["message"]
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ReadResponse"]["properties"]["digits"]["maxItems"] == 2
    client = shipped.test_client()
    two = {"image": [(io.BytesIO(drawn("1")), "a.png"), (io.BytesIO(drawn("7")), "b.png")]}
    resp = client.post("/read", data=two, content_type="multipart/form-data")
    assert resp.status_code == 422 and "one number from one image" in resp.get_json()[
        "error"]["message"]
    blank = io.BytesIO()
    Image.new("L", (300, 100), 230).save(blank, "PNG")
    resp = client.post("/read", data=blank.getvalue(), content_type="image/png")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "no_digit"
    assert client.post("/read", data=b"x", content_type="text/plain").status_code == 415
    assert client.post("/read", data=b"\x89PNG", content_type="image/png").status_code == 400
    one = {"image": [(io.BytesIO(drawn("17")), "n.png")]}
    resp = client.post("/read", data=one, content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["text"] == "17"


def test_read_is_counted_and_documented(shipped):
    client = shipped.test_client()
    before = metric_samples(client.get("/metrics").get_data(as_text=True))
    resp = client.post("/read", data=drawn("177"), content_type="image/png")
    after = metric_samples(client.get("/metrics").get_data(as_text=True))
    images = ("predict_images_total", ())
    assert after[images] - before.get(images, 0) == 3
    requests = [k for k in after if k[0] == "http_requests_total" and ("route", "/read") in k[1]]
    assert requests, sorted(k for k in after if k[0] == "http_requests_total")
    doc = client.get("/openapi.json").get_json()
    check(doc, "/read", "post", resp)
    check(doc, "/read", "post", client.post("/read", data=b"x", content_type="text/plain"))


def test_a_mark_that_is_no_digit_is_a_question_mark_and_the_number_is_not_sure(shipped):
    body = shipped.test_client().post("/read", data=drawn("17", dash_after=0),
                                      content_type="image/png").get_json()
    assert set(body) == {"model", "text", "confidence", "digits"}
    assert body["text"] == "1?7" and body["confidence"] == 0.0
    assert [d["is_digit"] for d in body["digits"]] == [True, False, True]
    sure = shipped.test_client().post("/read", data=drawn("17"), content_type="image/png")
    assert sure.get_json()["text"] == "17" and 0.0 < sure.get_json()["confidence"] <= 1.0


def test_a_candidate_the_pair_network_reads_is_two_digits_in_halves_of_its_box(
        tiny_model_dir):
    # A pair network that reads anything as "42", sure of it: each ring drawn is wide
    # enough to be a pair, and the tiny digit network is far less sure of any digit.
    layers = [(np.zeros((pair.PIXELS, 4), np.float32), np.zeros(4, np.float32)),
              (np.zeros((4, len(pair.LABELS)), np.float32), np.zeros(len(pair.LABELS),
                                                                     np.float32))]
    layers[1][1][42] = 30.0
    store.attach_pair(tiny_model_dir, layers, temperature=1.0)
    client = create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True}).test_client()
    canvas = Image.new("L", (420, 200), 255)
    for x in (40, 240):
        ImageDraw.Draw(canvas).ellipse([x, 40, x + 130, 160], outline=0, width=12)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    body = client.post("/read", data=out.getvalue(), content_type="image/png").get_json()
    assert body["text"] == "4242"
    boxes = [d["box"] for d in body["digits"]]
    assert boxes[0][2] == boxes[1][0] and boxes[2][2] == boxes[3][0]  # split in the middle
    assert boxes[0][0] < boxes[0][2] < boxes[1][2] <= boxes[2][0]
    assert body["digits"][0]["probabilities"][4] == pytest.approx(1.0, abs=1e-6)
    assert body["digits"][1]["probabilities"][2] == pytest.approx(1.0, abs=1e-6)


def test_predict_and_v2_serve_the_digit_network_alone_beside_the_pair(shipped):
    client = shipped.test_client()
    resp = client.post("/predict", data=_seven(), content_type="image/png")
    assert resp.status_code == 200
    assert len(resp.get_json()["predictions"][0]["probabilities"]) == 10
    meta = client.get("/v2/models/mnist-mlp").get_json()
    assert meta["inputs"][0]["shape"] == [-1, 784] and meta["outputs"][0]["shape"] == [-1, 10]


def _seven() -> bytes:
    """A 28x28 PNG of a 7, white on black as /predict takes it without normalize."""
    canvas = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(canvas).line([(7, 6), (21, 6), (11, 23)], fill=255, width=3)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()
