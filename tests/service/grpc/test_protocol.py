"""The gRPC contract, offline: the committed descriptor set is the .proto's, it speaks the
wire format of tritonclient's grpc_service.proto, and the errors map to gRPC codes."""

import re

import grpc
import pytest
from google.protobuf import descriptor_pb2

from service import errors
from service.grpc import calls, protocol

PROTO = protocol.HERE / "open_inference_grpc.proto"


def _ours() -> descriptor_pb2.FileDescriptorProto:
    (file,) = descriptor_pb2.FileDescriptorSet.FromString(protocol.DESCRIPTORS.read_bytes()).file
    return file


def _messages(file) -> dict[str, dict]:
    """{full message name: {field name: (number, type, label, type name)}}, nested included."""
    out = {}

    def walk(prefix, message):
        name = f"{prefix}.{message.name}"
        out[name] = {f.name: (f.number, f.type, f.label, f.type_name) for f in message.field}
        for nested in message.nested_type:
            walk(name, nested)

    for message in file.message_type:
        walk(f".{file.package}", message)
    return out


def test_the_descriptor_set_is_the_protos():
    """`make protos` was run after the last edit of the .proto: the same messages and RPCs."""
    text = re.sub(r"//[^\n]*", "", PROTO.read_text(encoding="utf-8"))
    file = _ours()
    assert file.package == "inference" and file.syntax == "proto3"
    declared = set(re.findall(r"\bmessage\s+(\w+)", text))
    assert declared == {name.rsplit(".", 1)[1] for name in _messages(file)
                        if not name.endswith("Entry")}
    (service,) = file.service
    assert f"{file.package}.{service.name}" == protocol.SERVICE
    assert [m.name for m in service.method] == re.findall(r"\brpc\s+(\w+)", text)
    fields = re.findall(r"^\s*(?:repeated\s+)?[\w.<>, ]+?\s+(\w+)\s*=\s*(\d+);", text, re.M)
    ours = {(name, number) for m in _messages(file).values()
            for name, (number, *_) in m.items()} - {("key", 1), ("value", 2)}
    assert {(name, int(number)) for name, number in fields} == ours


def test_tritonclient_speaks_the_same_wire_format():
    """Every message and RPC of ours is in Triton's grpc_service.proto, field for field."""
    service_pb2 = pytest.importorskip("tritonclient.grpc.service_pb2")
    triton = descriptor_pb2.FileDescriptorProto()
    service_pb2.DESCRIPTOR.CopyToProto(triton)
    theirs = _messages(triton)
    for name, fields in _messages(_ours()).items():
        assert name in theirs, name
        assert {k: v for k, v in theirs[name].items() if k in fields} == fields, name
    their_methods = {m.name: (m.input_type, m.output_type) for m in triton.service[0].method}
    for method in _ours().service[0].method:
        assert their_methods[method.name] == (method.input_type, method.output_type)


def test_the_messages_live_beside_tritonclients_in_one_process():
    service_pb2 = pytest.importorskip("tritonclient.grpc.service_pb2")
    ours = protocol.message("ModelInferRequest")(model_name="m", raw_input_contents=[b"\0"])
    theirs = service_pb2.ModelInferRequest.FromString(ours.SerializeToString())
    assert theirs.model_name == "m" and list(theirs.raw_input_contents) == [b"\0"]
    assert list(protocol.methods()) == ["ServerLive", "ServerReady", "ModelReady",
                                        "ServerMetadata", "ModelMetadata", "ModelInfer"]


@pytest.mark.parametrize(("error", "code"), [
    (errors.BadRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.Unprocessable, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.UnsupportedMediaType, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.RequestTimeout, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.PayloadTooLarge, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.NotReady, grpc.StatusCode.UNAVAILABLE),
    (errors.ServiceError, grpc.StatusCode.INTERNAL),
])
def test_each_error_has_its_grpc_code(error, code):
    assert calls.code_of(error("x")) == code


def test_the_reader_refuses_garbage_and_oversized_messages_with_an_error_not_a_raise():
    read = calls.reader(protocol.message("ModelInferRequest"), limit=100)
    assert read(b"").model_name == ""
    assert isinstance(read(b"\xff\xff\xff"), errors.BadRequest)
    too_large = read(b"\0" * 101)
    assert isinstance(too_large, errors.PayloadTooLarge)
    assert "V2_MAX_CONTENT_LENGTH" in too_large.message
