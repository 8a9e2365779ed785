"""gRPC calls for the tests: tritonclient.grpc's own client, and a raw channel that sends
what tritonclient never would (tritonclient's messages: the same wire format as ours)."""

import json

import grpc
import numpy as np
import pytest

grpcclient = pytest.importorskip("tritonclient.grpc")
service_pb2 = pytest.importorskip("tritonclient.grpc.service_pb2")

PATH = "/inference.GRPCInferenceService/"
TIMEOUT = 20.0  # seconds: a call that has no answer by then is a hung stream
# README.md's retry policy: a call a stopping worker had taken in but not yet started is
# cancelled by grpcio's shutdown; ModelInfer is safe to send again.
RETRY = ("grpc.service_config", json.dumps({"methodConfig": [{
    "name": [{"service": "inference.GRPCInferenceService"}],
    "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.01s", "maxBackoff": "0.1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["CANCELLED", "UNAVAILABLE"]}}]}))


def client(port: int):
    return grpcclient.InferenceServerClient(f"127.0.0.1:{port}")


def pixels(x: np.ndarray, datatype: str = "FP32", name: str = "pixels"):
    inp = grpcclient.InferInput(name, list(x.shape), datatype)
    inp.set_data_from_numpy(x)
    return inp


def outputs(*names: str):
    return [grpcclient.InferRequestedOutput(name) for name in names]


class Raw:
    """A channel to the service; `call` returns (code, response, details, trailing metadata)."""

    def __init__(self, port: int, retry: bool = False):
        options = [("grpc.max_send_message_length", -1), *([RETRY] if retry else [])]
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)

    def call(self, method: str, request, metadata=None, timeout: float = TIMEOUT):
        response_class = getattr(service_pb2, f"{method}Response")
        serialize = request if isinstance(request, bytes) else request.SerializeToString()
        stub = self.channel.unary_unary(PATH + method, request_serializer=lambda b: b,
                                        response_deserializer=response_class.FromString)
        try:
            response, call = stub.with_call(serialize, metadata=metadata, timeout=timeout)
        except grpc.RpcError as e:
            return e.code(), None, e.details(), dict(e.trailing_metadata() or ())
        return grpc.StatusCode.OK, response, None, dict(call.trailing_metadata() or ())

    def close(self) -> None:
        self.channel.close()


def infer_request(x: np.ndarray, datatype: str = "FP32", raw: bool = True, **fields):
    """A ModelInferRequest for the tiny test model with `x` as its one input."""
    request = service_pb2.ModelInferRequest(**{"model_name": "tiny-test", **fields})
    tensor = request.inputs.add(name="pixels", datatype=datatype, shape=x.shape)
    if raw:
        request.raw_input_contents.append(x.tobytes())
    elif datatype == "FP32":
        tensor.contents.fp32_contents.extend(x.ravel().tolist())
    else:
        tensor.contents.uint_contents.extend(x.ravel().tolist())
    return request
