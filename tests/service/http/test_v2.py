"""The Open Inference Protocol (V2) routes: the protocol's JSON shapes, its errors, and the
real tritonclient against a real gunicorn, which must get /predict's probabilities."""

import json

import numpy as np
import pytest

from tests.helpers.bodies import multipart, png
from tests.helpers.servers import ROOT, Gunicorn, request
from tests.service._fixtures import default_model_dir
from trainer.artifact.inference import as_inputs

INFER = "/v2/models/tiny-test/infer"


def tensor(x, datatype="FP32", name="pixels", shape=None):
    return {"name": name, "datatype": datatype, "shape": list(shape or x.shape),
            "data": x.tolist()}


def test_server_and_model_metadata_and_health(client, app):
    version = app.extensions["predictor"].model.version
    assert client.get("/v2").get_json()["extensions"] == ["binary_tensor_data"]
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    for path in ("/v2/models/tiny-test", f"/v2/models/tiny-test/versions/{version}"):
        meta = client.get(path).get_json()
        assert meta["name"] == "tiny-test" and meta["versions"] == [version]
        assert meta["inputs"] == [{"name": "pixels", "datatype": "FP32", "shape": [-1, 784]}]
        assert meta["outputs"] == [
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]},
            {"name": "is_digit", "datatype": "BOOL", "shape": [-1]},
            {"name": "confidence", "datatype": "FP32", "shape": [-1]}]
        assert client.get(f"{path}/ready").status_code == 200


def test_infer_answers_the_model_for_fp32_uint8_flat_and_nested(client, app):
    model = app.extensions["predictor"].model
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    want = model.predict(as_inputs(pixels))
    bodies = [tensor(as_inputs(pixels)), tensor(as_inputs(pixels).reshape(3, 28, 28)),
              tensor(pixels, "UINT8"), {**tensor(pixels.reshape(3, 784), "UINT8"),
                                        "data": pixels.ravel().tolist()}]
    for inp in bodies:
        resp = client.post(INFER, json={"id": "r1", "inputs": [inp]})
        assert resp.status_code == 200, resp.get_json()
        out = resp.get_json()
        assert out["model_name"] == "tiny-test" and out["model_version"] == model.version
        assert out["id"] == "r1"
        probs, is_digit, confidence = out["outputs"]  # none asked for: all of them
        assert probs["name"] == "probabilities" and probs["datatype"] == "FP32"
        assert probs["shape"] == [3, 10]
        np.testing.assert_array_equal(np.float32(probs["data"]).reshape(3, 10),
                                      want.probabilities)
        assert (is_digit["name"], is_digit["datatype"], is_digit["shape"]) == \
            ("is_digit", "BOOL", [3])
        assert is_digit["data"] == want.is_digit.tolist()
        assert (confidence["name"], confidence["datatype"]) == ("confidence", "FP32")
        np.testing.assert_array_equal(np.float32(confidence["data"]), want.confidence)


def test_asking_for_probabilities_alone_gets_them_alone(client, app):
    x = np.random.default_rng(3).random((2, 784), dtype=np.float32)
    resp = client.post(INFER, json={"inputs": [tensor(x)],
                                    "outputs": [{"name": "probabilities"}]})
    (probs,) = resp.get_json()["outputs"]
    assert probs["name"] == "probabilities" and probs["shape"] == [2, 10]


@pytest.mark.parametrize(("body", "says"), [
    ({"inputs": [tensor(np.zeros((1, 784)), "FP64")]}, "expected FP32"),
    ({"inputs": [tensor(np.zeros((1, 783)))]}, "expected [batch, 784]"),
    ({"inputs": [tensor(np.zeros((1, 784)), name="image")]}, "input is 'pixels'"),
    ({"inputs": [tensor(np.full((1, 784), 255.0))]}, "scaled to [0, 1]"),
    ({"inputs": [{**tensor(np.zeros((1, 784))), "data": [0] * 10}]}, "10 values"),
    ({"inputs": [tensor(np.zeros((1, 784)))], "outputs": [{"name": "logits"}]},
     "outputs are 'probabilities', 'is_digit', 'confidence'"),
    ({"inputs": []}, "expected 1 input"),
])
def test_a_wrong_request_is_a_400_saying_what_was_expected(client, body, says):
    resp = client.post(INFER, json=body)
    assert resp.status_code == 400 and set(resp.get_json()) == {"error"}
    assert says in resp.get_json()["error"]


def test_an_unknown_model_or_version_is_a_404(client):
    body = {"inputs": [tensor(np.zeros((1, 784)))]}
    for path in ("/v2/models/other/infer", "/v2/models/tiny-test/versions/0/infer",
                 "/v2/models/other", "/v2/models/tiny-test/versions/0/ready"):
        resp = client.post(path, json=body) if path.endswith("infer") else client.get(path)
        assert resp.status_code == 404 and "error" in resp.get_json(), path


def test_binary_input_and_output(client, app):
    x = np.random.default_rng(1).random((2, 784), dtype=np.float32)
    head = json.dumps({"inputs": [{"name": "pixels", "shape": [2, 784], "datatype": "FP32",
                                   "parameters": {"binary_data_size": x.nbytes}}],
                       "outputs": [{"name": name, "parameters": {"binary_data": True}}
                                   for name in ("probabilities", "is_digit", "confidence")]}
                      ).encode()
    resp = client.post(INFER, data=head + x.tobytes(),
                       headers={"Inference-Header-Content-Length": str(len(head))})
    assert resp.status_code == 200
    n = int(resp.headers["Inference-Header-Content-Length"])
    meta, blob = json.loads(resp.data[:n]), resp.data[n:]
    sizes = [o["parameters"]["binary_data_size"] for o in meta["outputs"]]
    assert sizes == [2 * 10 * 4, 2, 2 * 4] and sum(sizes) == len(blob)
    want = app.extensions["predictor"].model.predict(x)
    np.testing.assert_array_equal(np.frombuffer(blob[:80], "<f4").reshape(2, 10),
                                  want.probabilities)
    np.testing.assert_array_equal(np.frombuffer(blob[80:82], bool), want.is_digit)
    np.testing.assert_array_equal(np.frombuffer(blob[82:], "<f4"), want.confidence)


@pytest.mark.slow
def test_tritonclient_gets_the_probabilities_of_predict(mnist_test, tmp_path):
    httpclient = pytest.importorskip("tritonclient.http")
    images = mnist_test[0][:1000]
    server = Gunicorn(model_dir=default_model_dir(), workers=2, log_dir=tmp_path)
    try:
        client = httpclient.InferenceServerClient(f"127.0.0.1:{server.port}")
        assert client.is_server_live() and client.is_server_ready()
        name = json.loads((ROOT / "models" / "default" / "model.json").read_text())["name"]
        assert client.is_model_ready(name)
        assert client.get_model_metadata(name)["inputs"][0]["shape"] == [-1, 784]
        for binary in (True, False):
            for start in range(0, len(images), 200):
                batch = images[start:start + 200]
                inp = httpclient.InferInput("pixels", [len(batch), 784], "FP32")
                inp.set_data_from_numpy(as_inputs(batch), binary_data=binary)
                outs = [httpclient.InferRequestedOutput(n, binary_data=binary)
                        for n in ("probabilities", "is_digit", "confidence")]
                got = client.infer(name, [inp], outputs=outs)
                body, content_type = multipart([png(im) for im in batch])
                _, _, answer = request(server.port, "POST", "/predict", body,
                                       headers={"Content-Type": content_type})
                want = json.loads(answer)["predictions"]
                np.testing.assert_allclose(got.as_numpy("probabilities"),
                                           np.float32([p["probabilities"] for p in want]),
                                           rtol=0, atol=1e-6)
                assert got.as_numpy("is_digit").tolist() == [p["is_digit"] for p in want]
                np.testing.assert_allclose(got.as_numpy("confidence"),
                                           [p["confidence"] for p in want], atol=1e-6)
        _, _, metrics = request(server.port, "GET", "/metrics")
        assert b'route="/v2/models/<name>/infer"' in metrics
    finally:
        server.stop()
