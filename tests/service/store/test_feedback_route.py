"""POST /feedback through the app on both real backends: what it stores is what /predict's
model saw and said for the same request, refused requests write nothing and get a 4xx,
and the token, the off switch and the metrics do what the README says."""

import io

import numpy as np
import pytest
from PIL import Image

from service import create_app
from tests.helpers.bodies import digit_png, png
from tests.helpers.stores import rows
from tests.service._fixtures import assert_error
from tests.service.conftest import instances_body, metric_samples


def post(client, blobs, query="", headers=None, **fields):
    files = [(io.BytesIO(b), f"{i}.png") for i, b in enumerate(blobs)]
    return client.post(f"/feedback{query}", data={"image": files, **fields},
                       content_type="multipart/form-data", headers=headers or {})


@pytest.mark.parametrize("query", ["", "?normalize=mnist"])
def test_it_stores_what_predict_saw_and_said(feedback_app, db_url, query):
    client = feedback_app.test_client()
    seen = client.post(f"/predict{query}{'&' if query else '?'}return_input=true",
                       data=digit_png(), content_type="image/png").get_json()
    said = seen["predictions"][0]
    resp = post(client, [digit_png()], query, label="7", request_id="abc-123")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    [row] = rows(db_url)
    assert body["id"] == row.id and body["label"] == row.label == "7"
    want = np.rint(np.asarray(said["input"], np.float64)).astype(np.uint8)
    np.testing.assert_array_equal(np.frombuffer(row.pixels, np.uint8).reshape(28, 28), want)
    assert (row.model_label, row.model_is_digit) == (str(said["label"]), said["is_digit"])
    assert row.model_confidence == pytest.approx(said["confidence"], abs=1e-6)
    assert row.model_version == seen["model"]["version"] and row.request_id == "abc-123"
    assert body["model_right"] is (said["is_digit"] and said["label"] == 7)


def test_every_form_predict_accepts(feedback_app, db_url):
    client = feedback_app.test_client()
    seven = np.asarray(Image.open(io.BytesIO(digit_png())).convert("L"))
    answers = [
        client.post("/feedback?label=none", data=digit_png(), content_type="image/png"),
        client.post("/feedback?label=3", data=instances_body(1, 9),
                    content_type="application/json"),
        post(client, [png(seven)], label=" None "),
    ]
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert [r.label for r in rows(db_url)] == ["none", "3", "none"]
    assert bytes(rows(db_url)[1].pixels) == bytes([9]) * 784


BAD = [  # (why, request kwargs, status, code)
    ("no image", {"data": {"label": "7"}, "content_type": "multipart/form-data"}, 400,
     "no_image"),
    ("not an image", {"data": b"not a png", "content_type": "image/png",
                      "query_string": {"label": "7"}}, 400, None),
    ("plain text", {"data": b"7", "content_type": "text/plain"}, 415, None),
    ("wrong shape", {"json": {"instances": [[1, 2, 3]]}, "query_string": {"label": "7"}}, 422,
     None),
    ("two images", {"data": instances_body(2), "content_type": "application/json",
                    "query_string": {"label": "7"}}, 422, "batch_too_large"),
    ("unknown recipe", {"data": digit_png(), "content_type": "image/png",
                        "query_string": {"label": "7", "normalize": "x"}}, 400, None),
    ("no label", {"data": digit_png(), "content_type": "image/png"}, 400, "no_label"),
]
LABELS = ["10", "seven", "-1", "", "7.0", "nan", "0x7"]
IDS = ["a b", "x" * 129, "é", "id;drop"]


@pytest.mark.parametrize("bad", BAD, ids=[b[0] for b in BAD])
def test_predicts_bad_inputs_are_refused_and_write_nothing(feedback_app, db_url, bad):
    _why, kwargs, status, code = bad
    assert_error(feedback_app.test_client().post("/feedback", **kwargs), status, code)
    assert rows(db_url) == []


def test_bad_labels_ids_and_bodies_are_4xx_and_write_nothing(feedback_app, db_url):
    client = feedback_app.test_client()
    for label in LABELS:
        assert_error(post(client, [digit_png()], label=label), 400, "bad_label")
    for rid in IDS:
        assert_error(post(client, [digit_png()], label="7", request_id=rid), 400,
                     "bad_request_id")
    big = b"\0" * (feedback_app.config["MAX_CONTENT_LENGTH"] + 1)
    assert_error(client.post("/feedback?label=7", data=big, content_type="image/png"), 413)
    assert rows(db_url) == []


def test_a_token_restricts_writes(tiny_model_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    client = create_app({"MODEL_DIR": str(tiny_model_dir), "FEEDBACK_DB": url,
                         "FEEDBACK_TOKEN": "s3cret"}).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        resp = post(client, [digit_png()], label="7", headers=headers)
        assert_error(resp, 401, "unauthorized")
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert rows(url) == []
    resp = post(client, [digit_png()], label="7", headers={"Authorization": "Bearer s3cret"})
    assert resp.status_code == 201 and len(rows(url)) == 1


def test_off_is_a_404_and_predict_serves(tiny_model_dir):
    client = create_app({"MODEL_DIR": str(tiny_model_dir), "FEEDBACK_DB": "off"}).test_client()
    assert_error(post(client, [digit_png()], label="7"), 404, "feedback_off")
    assert client.post("/predict", data=digit_png(), content_type="image/png").status_code == 200


def test_a_full_store_is_a_507(tiny_model_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    client = create_app({"MODEL_DIR": str(tiny_model_dir), "FEEDBACK_DB": url,
                         "FEEDBACK_MAX_ROWS": 2}).test_client()
    assert [post(client, [digit_png()], label="7").status_code for _ in range(2)] == [201, 201]
    error = assert_error(post(client, [digit_png()], label="7"), 507, "feedback_full")
    assert "FEEDBACK_MAX_ROWS=2" in error["message"] and len(rows(url)) == 2


def test_feedback_total_counts_by_version_and_rightness(feedback_app):
    client = feedback_app.test_client()
    said = client.post("/predict", data=digit_png(), content_type="image/png").get_json()
    version, label = said["model"]["version"], said["predictions"][0]["label"]
    wrong = str((label + 1) % 10)
    for given in (wrong, wrong, str(label)):
        assert post(client, [digit_png()], label=given).status_code == 201
    samples = metric_samples(client.get("/metrics").get_data(as_text=True))
    right = said["predictions"][0]["is_digit"]

    def count(flag):
        key = ("feedback_total", (("model_right", flag), ("model_version", version)))
        return samples.get(key, 0.0)

    assert (count("false"), count("true")) == ((2.0, 1.0) if right else (3.0, 0.0))


def test_answers_match_the_openapi_document_and_its_limits(tiny_model_dir, tmp_path):
    from tests.service.http.test_openapi import check

    app = create_app({"MODEL_DIR": str(tiny_model_dir), "MAX_CONTENT_LENGTH": 123456,
                      "FEEDBACK_DB": f"sqlite:///{tmp_path / 'fb.db'}", "FEEDBACK_MAX_ROWS": 1})
    client = app.test_client()
    doc = client.get("/openapi.json").get_json()
    answers = [post(client, [digit_png()], label="7", request_id="r1"),
               post(client, [digit_png()], label="7"),
               post(client, [digit_png()], label="eleven"),
               client.post("/feedback?label=7", data=b"\0" * 123457, content_type="image/png")]
    assert [r.status_code for r in answers] == [201, 507, 400, 413]
    for resp in answers:
        check(doc, "/feedback", "post", resp)
    responses = doc["paths"]["/feedback"]["post"]["responses"]
    assert "123456 bytes" in responses["413"]["description"]
    assert "(1)" in responses["507"]["description"]
