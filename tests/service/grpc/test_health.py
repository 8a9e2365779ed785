"""grpc.health.v1.Health against a real gunicorn: SERVING while the model is ready,
NOT_SERVING while it is not, NOT_FOUND for another service; Watch's first answer.

Messages are written and read as bytes by hand here, from the protocol buffers wire
format (field 1, a string or an enum), not by the service's own message classes."""

import json

import grpc

from tests.helpers.servers import Gunicorn

CHECK = "/grpc.health.v1.Health/Check"
WATCH = "/grpc.health.v1.Health/Watch"
SERVICE = "inference.GRPCInferenceService"
SERVING, NOT_SERVING, SERVICE_UNKNOWN = b"\x08\x01", b"\x08\x02", b"\x08\x03"
TIMEOUT = 20.0


def _request(service: str) -> bytes:
    """HealthCheckRequest{service}: field 1, length-delimited (empty: the empty message)."""
    data = service.encode()
    return b"\x0a" + bytes([len(data)]) + data if data else b""


def _check(port: int, service: str):
    """(code, the response's bytes or None)."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(CHECK, request_serializer=bytes, response_deserializer=bytes)
        try:
            return grpc.StatusCode.OK, call(_request(service), timeout=TIMEOUT)
        except grpc.RpcError as e:
            return e.code(), None


def _first_watched(port: int, service: str) -> bytes:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_stream(WATCH, request_serializer=bytes,
                                    response_deserializer=bytes)
        stream = call(_request(service), timeout=TIMEOUT)
        first = next(stream)
        stream.cancel()
        return first


def test_a_ready_server_is_serving_as_a_whole_and_for_its_service(tiny_server):
    port = tiny_server.grpc_port
    assert _check(port, "") == (grpc.StatusCode.OK, SERVING)
    assert _check(port, SERVICE) == (grpc.StatusCode.OK, SERVING)
    assert _check(port, "no.such.Service") == (grpc.StatusCode.NOT_FOUND, None)
    assert _first_watched(port, SERVICE) == SERVING
    assert _first_watched(port, "no.such.Service") == SERVICE_UNKNOWN


def test_while_no_model_is_ready_the_server_is_not_serving(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.json").write_text(json.dumps({"name": "broken"}))
    server = Gunicorn(model_dir=tmp_path / "model", log_dir=tmp_path, ready_path="/healthz")
    try:
        assert server.get("/readyz")[0] == 503
        assert _check(server.grpc_port, "") == (grpc.StatusCode.OK, NOT_SERVING)
        assert _check(server.grpc_port, SERVICE) == (grpc.StatusCode.OK, NOT_SERVING)
        assert _first_watched(server.grpc_port, "") == NOT_SERVING
    finally:
        server.stop()
