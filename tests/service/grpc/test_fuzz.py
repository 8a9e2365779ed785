"""ModelInfer fuzzed with hypothesis against a real gunicorn: wrong shapes, datatypes,
names and byte counts, raw contents that do not match the declared shape, typed
contents in the wrong field, and bytes that are no message at all. Every answer is OK
or a client error's status, in time: never INTERNAL, UNKNOWN or a hung stream."""

import grpc
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.grpc import _client

Code = grpc.StatusCode
ANSWERS = {Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND, Code.RESOURCE_EXHAUSTED}
DATATYPES = ["FP32", "UINT8", "FP64", "BOOL", "INT32", "BYTES", "FP16", ""]
# Each typed contents field with values it can hold; the service must check the rest.
FIELDS = {"fp32_contents": st.floats(width=32), "fp64_contents": st.floats(),
          "uint_contents": st.integers(0, 2**32 - 1),
          "int_contents": st.integers(-(2**31), 2**31 - 1),
          "bool_contents": st.booleans(), "bytes_contents": st.binary(max_size=4)}
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

shapes = st.one_of(
    st.lists(st.integers(-2, 300), max_size=4),
    st.builds(lambda n, tail: [n, *tail], st.integers(-1, 300),
              st.sampled_from([[784], [28, 28], [783], [28], []])))


@st.composite
def contents(draw):
    """(field, values): as many values as one or two images have, or any other count."""
    field = draw(st.sampled_from(sorted(FIELDS)))
    count = draw(st.sampled_from([0, 1, 783, 784, 1568, draw(st.integers(0, 2000))]))
    return field, draw(st.lists(FIELDS[field], min_size=count, max_size=count))


@st.composite
def requests(draw):
    request = _client.service_pb2.ModelInferRequest(
        model_name=draw(st.sampled_from(["tiny-test", "tiny-test", "other", ""])),
        model_version=draw(st.sampled_from(["", "", "0"])))
    for _ in range(draw(st.integers(0, 2))):
        tensor = request.inputs.add(name=draw(st.sampled_from(["pixels", "pixels", "x", ""])),
                                    datatype=draw(st.sampled_from(DATATYPES)),
                                    shape=draw(shapes))
        if draw(st.booleans()):
            field, items = draw(contents())
            getattr(tensor.contents, field).extend(items)
    for _ in range(draw(st.integers(0, 2))):
        request.raw_input_contents.append(draw(st.binary(max_size=7000)))
    for name in draw(st.lists(st.sampled_from(["probabilities", "is_digit", "confidence",
                                               "logits", ""]), max_size=3)):
        request.outputs.add(name=name)
    if draw(st.booleans()):
        request.parameters["binary_data_output"].bool_param = draw(st.booleans())
    return request


def _assert_answered(raw, request) -> None:
    code, _, details, _ = raw.call("ModelInfer", request, timeout=_client.TIMEOUT)
    assert code in ANSWERS, (code, details)


@FUZZ
@given(request=requests())
def test_any_request_is_answered_with_a_status(tiny_server, request):
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        _assert_answered(raw, request)
    finally:
        raw.close()


@FUZZ
@given(images=st.integers(1, 4), square=st.booleans(), datatype=st.sampled_from(["FP32", "UINT8"]),
       delta=st.integers(-800, 800))
def test_raw_contents_that_miss_the_declared_shape_are_invalid(tiny_server, images, square,
                                                               datatype, delta):
    itemsize = 4 if datatype == "FP32" else 1
    size = max(0, images * 784 * itemsize + delta)
    request = _client.service_pb2.ModelInferRequest(model_name="tiny-test")
    request.inputs.add(name="pixels", datatype=datatype,
                       shape=[images, 28, 28] if square else [images, 784])
    request.raw_input_contents.append(bytes(np.zeros(size, np.uint8)))
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        code, _, details, _ = raw.call("ModelInfer", request)
    finally:
        raw.close()
    assert code == (Code.OK if delta == 0 else Code.INVALID_ARGUMENT), details


@settings(max_examples=60, deadline=None)
@given(blob=st.binary(max_size=2000))
def test_bytes_that_are_no_message_are_answered_too(tiny_server, blob):
    raw = _client.Raw(tiny_server.grpc_port)
    try:
        _assert_answered(raw, blob)
    finally:
        raw.close()


def test_after_the_fuzzing_the_server_serves_and_logged_no_unhandled_error(tiny_server):
    client = _client.client(tiny_server.grpc_port)
    try:
        assert client.is_server_ready()
    finally:
        client.close()
    assert not [r for r in tiny_server.log_records() if r.get("level") == "ERROR"]
