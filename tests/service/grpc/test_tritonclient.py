"""The real tritonclient.grpc against a real gunicorn serving the shipped model: on 1,000
MNIST test digits it gets /predict's answers, through raw FP32, raw UINT8 and typed
contents alike."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import ROOT
from tests.helpers.servers import Gunicorn, request
from tests.service._fixtures import default_model_dir
from tests.service.grpc import _client
from trainer.artifact.inference import as_inputs

pytestmark = pytest.mark.slow
BATCH = 200


def _predict(port: int, images: np.ndarray) -> list[dict]:
    body = json.dumps({"instances": images.reshape(len(images), -1).tolist()}).encode()
    status, _, answer = request(port, "POST", "/predict", body,
                                headers={"Content-Type": "application/json"})
    assert status == 200, answer[:300]
    return json.loads(answer)["predictions"]


def _check(got: dict, want: list[dict]) -> None:
    np.testing.assert_allclose(got["probabilities"], [p["probabilities"] for p in want],
                               rtol=0, atol=1e-5)
    assert got["is_digit"].tolist() == [p["is_digit"] for p in want]
    np.testing.assert_allclose(got["confidence"], [p["confidence"] for p in want], atol=1e-5)


def test_tritonclient_grpc_gets_the_answers_of_predict(mnist_test, tmp_path):
    images = mnist_test[0][:1000]
    model_dir = default_model_dir()
    name = json.loads((model_dir / "model.json").read_text())["name"]
    server = Gunicorn(model_dir=model_dir, workers=2, log_dir=tmp_path)
    client, raw = _client.client(server.grpc_port), _client.Raw(server.grpc_port)
    try:
        assert client.is_model_ready(name)
        names = ("probabilities", "is_digit", "confidence")
        for start in range(0, len(images), BATCH):
            batch = images[start:start + BATCH]
            want = _predict(server.port, batch)
            for x, datatype in ((as_inputs(batch), "FP32"), (batch.reshape(-1, 784), "UINT8")):
                result = client.infer(name, [_client.pixels(x, datatype)],
                                      outputs=_client.outputs(*names))
                _check({n: result.as_numpy(n) for n in names}, want)
            typed = _client.infer_request(batch.reshape(-1, 784), "UINT8", raw=False,
                                          model_name=name)
            code, response, details, _ = raw.call("ModelInfer", typed)
            assert response is not None, (code, details)
            contents = {o.name: o.contents for o in response.outputs}
            _check({"probabilities": np.reshape(contents["probabilities"].fp32_contents,
                                                (-1, 10)),
                    "is_digit": np.array(contents["is_digit"].bool_contents),
                    "confidence": np.array(contents["confidence"].fp32_contents)}, want)
        _run_the_readmes_example(server.grpc_port)
    finally:
        client.close()
        raw.close()
        server.stop()


def _run_the_readmes_example(port: int) -> None:
    """README.md's tritonclient.grpc example, as pasted, against this server's port."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The Open Inference Protocol over gRPC"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert '"127.0.0.1:8001"' in code
    code = code.replace("127.0.0.1:8001", f"127.0.0.1:{port}")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("[") >= 3, out.stdout
