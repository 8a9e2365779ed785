"""deploy/nginx/nginx.conf in front of a real gunicorn, all on 127.0.0.1, with Debian's
nginx: answers and the service's 413 and 503 (with Retry-After) pass through unchanged,
and 64 trickling clients delay nobody. Without nginx these tests skip, unless
REQUIRE_TOOLS=1 (CI)."""

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.bodies import digit_png
from tests.helpers.servers import ROOT, Gunicorn, free_port, request
from tests.helpers.slow import Held, Tricklers

pytestmark = pytest.mark.slow
CONF = ROOT / "deploy" / "nginx" / "nginx.conf"


def _nginx_binary() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                     else None)
    if path is None:
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail("REQUIRE_TOOLS=1 but nginx is not installed (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return path


@contextlib.contextmanager
def _proxy(service: Gunicorn, tmp: Path):
    """nginx with deploy/nginx/nginx.conf in front of `service`: (port, gRPC port)."""
    binary = _nginx_binary()
    port, grpc_port = free_port(), free_port()
    text = (CONF.read_text().replace("server service:8000;", f"server 127.0.0.1:{service.port};")
            .replace("listen 8080;", f"listen 127.0.0.1:{port};")
            .replace("server service:8001;", f"server 127.0.0.1:{service.grpc_port};")
            .replace("listen 8081 http2;", f"listen 127.0.0.1:{grpc_port} http2;")
            .replace("/tmp/nginx", str(tmp / "nginx")))
    (tmp / "nginx.conf").write_text(text)
    user = "user root;" if os.geteuid() == 0 else ""  # workers must write the temp dirs
    proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                             "-g", f"daemon off; {user}"], stderr=subprocess.PIPE)
    try:
        _wait_until_up(port, proc)
        yield port, grpc_port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(service port, proxy port, proxy gRPC port): gunicorn (the shipped model) behind
    nginx."""
    _nginx_binary()
    tmp = tmp_path_factory.mktemp("nginx")
    service = Gunicorn(model_dir=ROOT / "models" / "default", workers=2, log_dir=tmp)
    try:
        with _proxy(service, tmp) as (port, grpc_port):
            yield service.port, port, grpc_port
    finally:
        service.stop()


def _wait_until_up(port: int, proc) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"nginx exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if request(port, "GET", "/readyz", timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("nginx did not answer within 20 s")


def test_the_config_is_valid():
    binary = _nginx_binary()
    out = subprocess.run([binary, "-t", "-c", str(CONF), "-g", "daemon off;"],
                         capture_output=True, text=True, check=False, timeout=30)
    # `service` does not resolve outside compose; everything else must be accepted.
    assert out.returncode == 0 or "host not found in upstream" in out.stderr, out.stderr


def test_an_answer_passes_through_unchanged_with_the_request_id(stack):
    direct, proxied, _ = stack
    headers = {"Content-Type": "image/png", "X-Request-ID": "through-nginx-1"}
    status, got_headers, body = request(proxied, "POST", "/predict", digit_png(),
                                        headers=headers)
    _, _, direct_body = request(direct, "POST", "/predict", digit_png(), headers=headers)
    assert status == 200 and got_headers["X-Request-ID"] == "through-nginx-1"
    assert json.loads(body) == json.loads(direct_body)


def test_the_services_413_passes_through_unchanged(stack):
    _, proxied, _ = stack
    status, _, body = request(proxied, "POST", "/predict", b"\0" * (8 * 1024 * 1024 + 512),
                              headers={"Content-Type": "image/png"}, timeout=60)
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "payload_too_large" and "MAX_CONTENT_LENGTH" in error["message"]


def test_the_services_503_passes_through_unchanged_with_retry_after(tmp_path):
    """A worker over MAX_INFLIGHT: nginx hands its 503 on as it is, and does not retry it."""
    _nginx_binary()
    service = Gunicorn(model_dir=ROOT / "models" / "default", workers=1,
                       env={"MAX_INFLIGHT": "1"}, log_dir=tmp_path)
    try:
        with _proxy(service, tmp_path) as (port, _), Held(service.port, 1):
            answers = {}
            for path in ("/predict", "/v2/models/mnist-mlp/infer"):
                for side in (service.port, port):
                    answers[path, side] = request(side, "POST", path, digit_png(), headers={
                        "Content-Type": "image/png", "X-Request-ID": "shed-through-nginx"})
    finally:
        service.stop()
    for path in ("/predict", "/v2/models/mnist-mlp/infer"):
        (status, headers, body), direct = answers[path, port], answers[path, service.port]
        assert status == direct[0] == 503
        assert headers["Retry-After"] == direct[1]["Retry-After"] == "1"
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Request-ID"] == "shed-through-nginx"
        assert body == direct[2]
    assert sum(r["shed"]["count"] for r in service.log_records() if "shed" in r) == 5


def test_64_trickling_clients_through_the_proxy_delay_nobody(stack):
    _, proxied, _ = stack
    slowest = 0.0
    with Tricklers(proxied, count=64, interval=0.5) as slow:
        for _ in range(5):
            t0 = time.monotonic()
            assert request(proxied, "GET", "/healthz", timeout=5)[0] == 200
            status, _, _ = request(proxied, "POST", "/predict", digit_png(),
                                   headers={"Content-Type": "image/png"}, timeout=5)
            slowest = max(slowest, time.monotonic() - t0)
            assert status == 200 and slowest < 1.0
        assert len(slow.socks) >= 60
    print(f"\n64 trickling clients through nginx: slowest healthz + predict {slowest:.3f} s")


def test_grpc_passes_through_with_the_request_id(stack):
    import grpc
    import numpy as np

    from tests.service.grpc import _client

    direct, _, proxied = stack
    name = json.loads((ROOT / "models" / "default" / "model.json").read_text())["name"]
    x = np.full((2, 784), 0.3, np.float32)
    raw = _client.Raw(proxied)
    try:
        infer = _client.infer_request(x, model_name=name)
        code, response, details, trailing = raw.call(
            "ModelInfer", infer, metadata=(("x-request-id", "through-nginx-grpc"),))
        assert code == grpc.StatusCode.OK, details
        assert trailing["x-request-id"] == "through-nginx-grpc"
        infer.model_name = "other"
        assert raw.call("ModelInfer", infer)[0] == grpc.StatusCode.NOT_FOUND
    finally:
        raw.close()
    status, _, body = request(direct, "POST", "/v2/models/" + name + "/infer", json.dumps(
        {"inputs": [{"name": "pixels", "datatype": "FP32", "shape": [2, 784],
                     "data": x.ravel().tolist()}], "outputs": [{"name": "probabilities"}]}))
    assert status == 200
    want = json.loads(body)["outputs"][0]["data"]
    np.testing.assert_allclose(np.frombuffer(response.raw_output_contents[0], "<f4"), want)
