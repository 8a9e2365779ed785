"""Each RPC against a real gunicorn through tritonclient.grpc and a raw channel: the
answers REST gives, and every error as its gRPC status code, counted and logged."""

import json

import grpc
import numpy as np
import pytest

from tests.helpers.servers import Gunicorn
from tests.service.conftest import metric_samples
from tests.service.grpc import _client
from tests.service.grpc.conftest import LIMIT

Code = grpc.StatusCode


def test_health_and_metadata_answer_as_rest_does(tiny_server):
    client = _client.client(tiny_server.grpc_port)
    try:
        assert client.is_server_live() and client.is_server_ready()
        rest = tiny_server.get_json("/v2")
        meta = client.get_server_metadata(as_json=True)
        assert (meta["name"], meta["version"], meta["extensions"]) == \
            (rest["name"], rest["version"], rest["extensions"])
        rest = tiny_server.get_json("/v2/models/tiny-test")
        meta = client.get_model_metadata("tiny-test", as_json=True)
        for tensor in (*meta["inputs"], *meta["outputs"]):
            tensor["shape"] = [int(d) for d in tensor["shape"]]  # int64 comes as text in JSON
        assert meta == rest
        assert client.is_model_ready("tiny-test")
        assert client.is_model_ready("tiny-test", rest["versions"][0])
    finally:
        client.close()


def test_infer_fp32_and_uint8_raw_and_typed_agree(tiny_server):
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    x = (pixels / np.float32(255)).astype(np.float32).reshape(3, 784)
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        answers = []
        for request in (_client.infer_request(x), _client.infer_request(x, raw=False),
                        _client.infer_request(pixels, "UINT8"),
                        _client.infer_request(pixels, "UINT8", raw=False)):
            code, response, details, _ = raw.call("ModelInfer", request)
            assert code == Code.OK, details
            assert [o.name for o in response.outputs] == ["probabilities", "is_digit",
                                                          "confidence"]
            assert list(response.outputs[0].shape) == [3, 10]
            answers.append(_values(response))
        for other in answers[1:]:
            for name in ("probabilities", "is_digit", "confidence"):
                np.testing.assert_array_equal(answers[0][name], other[name])
    finally:
        raw.close()


def _values(response) -> dict:
    """{output name: numpy array}, from raw or typed contents."""
    out = {}
    for i, tensor in enumerate(response.outputs):
        dtype = {"FP32": "<f4", "BOOL": bool}[tensor.datatype]
        if response.raw_output_contents:
            array = np.frombuffer(response.raw_output_contents[i], dtype)
        else:
            field = {"FP32": "fp32_contents", "BOOL": "bool_contents"}[tensor.datatype]
            array = np.array(getattr(tensor.contents, field), dtype)
        out[tensor.name] = array.reshape(list(tensor.shape))
    return out


def test_asking_for_outputs_gets_those_alone_and_the_request_id_back(tiny_server):
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        request = _client.infer_request(np.zeros((2, 784), np.float32), id="call-7")
        request.outputs.add(name="confidence")
        request.outputs.add(name="is_digit")
        code, response, _, trailing = raw.call("ModelInfer", request,
                                               metadata=(("x-request-id", "grpc-rid-1"),))
        assert code == Code.OK and response.id == "call-7"
        assert [o.name for o in response.outputs] == ["confidence", "is_digit"]
        assert trailing["x-request-id"] == "grpc-rid-1"
    finally:
        raw.close()


@pytest.mark.parametrize(("change", "code", "says"), [
    ({"model_name": "other"}, Code.NOT_FOUND, "this server serves 'tiny-test'"),
    ({"model_version": "0"}, Code.NOT_FOUND, "has no version '0'"),
    ({"shape": [2, 783]}, Code.INVALID_ARGUMENT, "expected [batch, 784]"),
    ({"datatype": "FP64"}, Code.INVALID_ARGUMENT, "expected FP32"),
    ({"name": "image"}, Code.INVALID_ARGUMENT, "the model's input is 'pixels'"),
    ({"raw": b"\0" * 10}, Code.INVALID_ARGUMENT, "10 bytes of raw contents"),
    ({"value": 2.0}, Code.INVALID_ARGUMENT, "scaled to [0, 1]"),
    ({"output": "logits"}, Code.INVALID_ARGUMENT, "outputs are 'probabilities'"),
    ({"shape": [300, 784]}, Code.INVALID_ARGUMENT, "MAX_BATCH"),
    ({"images": 21}, Code.RESOURCE_EXHAUSTED, "V2_MAX_CONTENT_LENGTH"),
])
def test_each_wrong_call_gets_its_code_and_a_message_saying_what_to_send(tiny_server, change,
                                                                         code, says):
    x = np.full((change.get("images", 2), 784), change.get("value", 0.5), np.float32)
    request = _client.infer_request(x)
    tensor = request.inputs[0]
    if "shape" in change:
        tensor.ClearField("shape")
        tensor.shape.extend(change["shape"])
    request.model_name = change.get("model_name", "tiny-test")
    request.model_version = change.get("model_version", "")
    tensor.datatype = change.get("datatype", "FP32")
    tensor.name = change.get("name", "pixels")
    if "raw" in change:
        request.raw_input_contents[0] = change["raw"]
    if "output" in change:
        request.outputs.add(name=change["output"])
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        got, _, details, trailing = raw.call("ModelInfer", request)
    finally:
        raw.close()
    assert (got, says in details) == (code, True), details
    assert trailing.get("x-request-id")


def test_a_message_far_over_the_limit_is_refused_by_grpc_itself(tiny_server):
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        blob = b"\0" * (LIMIT + 16 * 1024 * 1024 + 1)
        code, _, details, _ = raw.call("ModelInfer", blob)
    finally:
        raw.close()
    assert code == Code.RESOURCE_EXHAUSTED, details


def test_calls_are_counted_and_logged_with_their_request_id(tiny_server):
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        for rid in ("count-me-1", "count-me-2"):
            raw.call("ModelInfer", _client.infer_request(np.zeros((1, 784), np.float32)),
                     metadata=(("x-request-id", rid),))
        raw.call("ModelMetadata", _client.service_pb2.ModelMetadataRequest(name="nope"))
    finally:
        raw.close()
    _, _, body = tiny_server.get("/metrics")
    samples = metric_samples(body.decode())
    labels = {"grpc_type": "unary", "grpc_service": "inference.GRPCInferenceService"}

    def handled(method, code):
        key = tuple(sorted({**labels, "grpc_method": method, "grpc_code": code}.items()))
        return samples.get(("grpc_server_handled_total", key), 0)

    assert handled("ModelInfer", "OK") >= 2 and handled("ModelMetadata", "NOT_FOUND") >= 1
    lines = [r for r in tiny_server.log_records() if r.get("method") == "GRPC"]
    mine = [r for r in lines if r.get("request_id", "").startswith("count-me-")]
    assert [r["grpc_code"] for r in mine] == ["OK", "OK"]
    assert mine[0]["path"] == "/inference.GRPCInferenceService/ModelInfer"
    assert mine[0]["remote_addr"] == "127.0.0.1" and mine[0]["duration_ms"] > 0


def test_while_no_model_is_ready_infer_is_unavailable(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.json").write_text(json.dumps({"name": "broken"}))
    server = Gunicorn(model_dir=tmp_path / "model", log_dir=tmp_path, ready_path="/healthz")
    client = _client.client(server.grpc_port)
    try:
        assert client.is_server_live() and not client.is_server_ready()
        assert not client.is_model_ready("tiny-test")
        with pytest.raises(_client.grpcclient.InferenceServerException) as e:
            client.infer("tiny-test", [_client.pixels(np.zeros((1, 784), np.float32))])
        assert e.value.status() == "StatusCode.UNAVAILABLE"
        assert "model not ready" in e.value.message()
    finally:
        client.close()
        server.stop()
