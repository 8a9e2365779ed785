"""The Open Inference Protocol's gRPC messages and service, from its .proto.

open_inference_grpc.proto is compiled by protoc into open_inference_grpc.binpb (`make
protos`), and the message classes are built from that here, in a descriptor pool of
their own: tritonclient's grpc_service.proto declares the same names (inference.*) in
protobuf's default pool, and one process holding both would fail to import the second.
"""

from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = Path(__file__).resolve().parent
DESCRIPTORS = HERE / "open_inference_grpc.binpb"
SERVICE = "inference.GRPCInferenceService"

_pool = descriptor_pool.DescriptorPool()
for _file in descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes()).file:
    _pool.Add(_file)
SERVICE_DESCRIPTOR = _pool.FindServiceByName(SERVICE)


def message(name: str):
    """The message class `inference.<name>` (nested types as Outer.Inner)."""
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"inference.{name}"))


def methods() -> dict[str, tuple]:
    """{RPC name: (request class, response class)} of the service, in the .proto's order."""
    return {m.name: (message_factory.GetMessageClass(m.input_type),
                     message_factory.GetMessageClass(m.output_type))
            for m in SERVICE_DESCRIPTOR.methods}
