"""gRPC calls share the worker's MAX_INFLIGHT bound with HTTP (service/server/shedding.py):
with the worker full, ModelInfer fails at once with RESOURCE_EXHAUSTED, counted and
logged, while the probes and the metadata still answer; once there is room, it is served.

One worker with MAX_INFLIGHT=2 is made full by two HTTP requests whose bodies are half
sent (tests/helpers/slow.py's Held); no assertion depends on how fast anything is.
"""

import grpc
import numpy as np

from tests.helpers.slow import Held
from tests.service.grpc import _client

BOUND = 2


def _infer(raw: _client.Raw, rid: str):
    x = np.zeros((1, 784), np.float32)
    return raw.call("ModelInfer", _client.infer_request(x), metadata=(("x-request-id", rid),))


def test_past_the_bound_model_infer_is_resource_exhausted_and_probes_answer(
        gunicorn_server, tiny_model_dir):
    server = gunicorn_server(tiny_model_dir, workers=1, env={"MAX_INFLIGHT": str(BOUND)})
    raw = _client.Raw(server.grpc_port)
    try:
        with Held(server.port, BOUND) as held:
            code, response, details, trailing = _infer(raw, "shed-me")
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and response is None
            assert "retry after 1 s" in details and trailing["x-request-id"] == "shed-me"
            service_pb2 = _client.service_pb2
            assert raw.call("ServerLive", service_pb2.ServerLiveRequest())[1].live
            assert raw.call("ServerReady", service_pb2.ServerReadyRequest())[1].ready
            metadata = service_pb2.ModelMetadataRequest(name="tiny-test")
            assert raw.call("ModelMetadata", metadata)[0] == grpc.StatusCode.OK
        assert held.statuses == [200] * BOUND
        code, response, _, _ = _infer(raw, "room-again")
        assert code == grpc.StatusCode.OK and response.model_name == "tiny-test"
    finally:
        raw.close()
    handled = {(dict(labels)["grpc_method"], dict(labels)["grpc_code"]): value
               for (name, labels), value in server.metrics().items()
               if name == "grpc_server_handled_total"}
    assert handled[("ModelInfer", "RESOURCE_EXHAUSTED")] == 1
    server.stop()
    codes = {r["request_id"]: r["grpc_code"] for r in server.log_records()
             if r.get("method") == "GRPC"}
    assert codes["shed-me"] == "RESOURCE_EXHAUSTED" and codes["room-again"] == "OK"
