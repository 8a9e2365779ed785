"""The Open Inference Protocol's gRPC messages and service, from its .proto, and those of
the standard health service (health.proto, grpc.health.v1).

Each .proto is compiled by protoc into a .binpb descriptor set (`make protos`), and the
message classes are built from those here, in a descriptor pool of their own:
tritonclient's grpc_service.proto declares the same names (inference.*) in protobuf's
default pool, and one process holding both would fail to import the second.
"""

from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = Path(__file__).resolve().parent
DESCRIPTORS = HERE / "open_inference_grpc.binpb"
HEALTH_DESCRIPTORS = HERE / "health.binpb"
SERVICE = "inference.GRPCInferenceService"
HEALTH = "grpc.health.v1.Health"

_pool = descriptor_pool.DescriptorPool()
for _set in (DESCRIPTORS, HEALTH_DESCRIPTORS):
    for _file in descriptor_pb2.FileDescriptorSet.FromString(_set.read_bytes()).file:
        _pool.Add(_file)
SERVICE_DESCRIPTOR = _pool.FindServiceByName(SERVICE)


def message(name: str, package: str = "inference"):
    """The message class `<package>.<name>` (nested types as Outer.Inner)."""
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"{package}.{name}"))


def methods() -> dict[str, tuple]:
    """{RPC name: (request class, response class)} of the service, in the .proto's order."""
    return {m.name: (message_factory.GetMessageClass(m.input_type),
                     message_factory.GetMessageClass(m.output_type))
            for m in SERVICE_DESCRIPTOR.methods}
