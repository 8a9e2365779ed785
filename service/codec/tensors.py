"""Open Inference Protocol (KServe V2) tensors: a request body -> model inputs, and the
probabilities -> a response body, JSON or with the binary tensor data extension.

The model's one input, `pixels`, is FP32 of shape [-1, 784] scaled to [0, 1], as the
trainer feeds it; [-1, 28, 28] is accepted too, and so is UINT8 on 0..255, which is
scaled by the trainer's own function. The outputs are `probabilities`, FP32 [-1, 10],
and the verdict: `is_digit`, BOOL [-1], and `confidence`, FP32 [-1]. Every problem is a
BadRequest (400) that says what was expected.
"""

import math
from dataclasses import dataclass

import numpy as np
import orjson

from service.codec.instances import parse_json
from service.errors import BadRequest
from trainer.artifact import PIXELS, SIDE
from trainer.artifact.inference import as_inputs

INPUT = "pixels"
# The model's outputs: name -> (datatype, what it is). probabilities is [batch, labels],
# the others [batch].
OUTPUTS = {
    "probabilities": ("FP32", "the softmax over the labels"),
    "is_digit": ("BOOL", "whether each input is a digit at all"),
    "confidence": ("FP32", "the calibrated probability that the label is right"),
}
DTYPES = {"FP32": np.dtype("<f4"), "UINT8": np.dtype("u1")}
HEADER_LENGTH = "Inference-Header-Content-Length"


@dataclass(frozen=True)
class InferRequest:
    """An inference request, decoded: the model inputs and how to answer."""

    x: np.ndarray  # float32 (B, 784) in [0, 1]
    id: str | None
    outputs: tuple[tuple[str, bool], ...]  # (name, as binary data) in the answer's order


def parse(body: bytes, header_length: str | None, max_batch: int) -> InferRequest:
    """The request `body` (with the binary extension's JSON length, if sent)."""
    head, binary = _split(body, header_length)
    fields = parse_json(head)
    if not isinstance(fields, dict) or not isinstance(fields.get("inputs"), list):
        raise BadRequest('expected a JSON object with "inputs": [{"name", "shape", '
                         '"datatype", "data"}]')
    if len(fields["inputs"]) != 1:
        raise BadRequest(f'expected 1 input, {INPUT!r}; got {len(fields["inputs"])}')
    x = _input(fields["inputs"][0], binary, max_batch)
    return InferRequest(x, _request_id(fields), _outputs(fields))


def _split(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    if header_length is None:
        return body, b""
    try:
        n = int(header_length)
    except ValueError as e:
        raise BadRequest(f"{HEADER_LENGTH} {header_length[:20]!r} is not a number") from e
    if not 0 < n <= len(body):
        raise BadRequest(f"{HEADER_LENGTH} {n} does not fit the {len(body)}-byte body")
    return body[:n], body[n:]


def _input(tensor, binary: bytes, max_batch: int) -> np.ndarray:
    if not isinstance(tensor, dict) or tensor.get("name") != INPUT:
        raise BadRequest(f"input name {str(_get(tensor, 'name'))[:40]!r} is unknown; "
                         f"the model's input is {INPUT!r}")
    dtype = DTYPES.get(tensor.get("datatype"))
    if dtype is None:
        raise BadRequest(f"input {INPUT!r} datatype {str(tensor.get('datatype'))[:20]!r}: "
                         "expected FP32 (scaled to [0, 1]) or UINT8 (0..255)")
    shape = _shape(tensor.get("shape"), max_batch)
    size = math.prod(shape)
    nbytes = (tensor.get("parameters") or {}).get("binary_data_size")
    if nbytes is not None:
        if nbytes != size * dtype.itemsize or nbytes != len(binary):
            raise BadRequest(f"input {INPUT!r}: binary_data_size {nbytes} but shape {shape} of "
                             f"{tensor['datatype']} is {size * dtype.itemsize} bytes and "
                             f"{len(binary)} followed the JSON")
        values = np.frombuffer(binary, dtype=dtype)
    else:
        values = _json_data(tensor.get("data"), dtype, size)
    return _scaled(values.reshape(shape[0], PIXELS), tensor["datatype"])


def _get(obj, key):
    return obj.get(key) if isinstance(obj, dict) else None


def _shape(shape, max_batch: int) -> list[int]:
    ok = (isinstance(shape, list) and all(type(d) is int for d in shape)
          and shape[1:] in ([PIXELS], [SIDE, SIDE]) and len(shape) > 0)
    if not ok:
        raise BadRequest(f"input {INPUT!r} shape {str(shape)[:40]}: expected [batch, {PIXELS}] "
                         f"or [batch, {SIDE}, {SIDE}]")
    if not 1 <= shape[0] <= max_batch:
        raise BadRequest(f"input {INPUT!r}: a batch of {shape[0]}; it must be 1 to "
                         f"{max_batch} (MAX_BATCH)")
    return shape


def _json_data(data, dtype: np.dtype, size: int) -> np.ndarray:
    try:
        values = np.asarray(data, dtype=np.float64).ravel()
    except (TypeError, ValueError) as e:
        raise BadRequest(f"input {INPUT!r} data: expected numbers, flat or nested") from e
    if values.size != size:
        raise BadRequest(f"input {INPUT!r}: {values.size} values in data for a shape of "
                         f"{size} elements")
    if dtype.kind == "u" and not np.all(values == np.rint(values)):
        raise BadRequest(f"input {INPUT!r}: UINT8 data must be whole numbers 0..255")
    return values


def _scaled(values: np.ndarray, datatype: str) -> np.ndarray:
    if datatype == "UINT8":
        if values.dtype != np.uint8 and not np.all((values >= 0) & (values <= 255)):
            raise BadRequest(f"input {INPUT!r}: UINT8 data must be 0..255")
        return as_inputs(values)
    x = values.astype(np.float32)
    if not np.all((x >= 0) & (x <= 1)):  # NaN fails too
        raise BadRequest(f"input {INPUT!r}: FP32 pixels are scaled to [0, 1] (pixel / 255); "
                         "send 0..255 values as UINT8")
    return x


def _request_id(fields: dict) -> str | None:
    rid = fields.get("id")
    return rid if isinstance(rid, str) else None


def _outputs(fields: dict) -> tuple[tuple[str, bool], ...]:
    """The outputs asked for, each with whether it goes back as binary data; all of them
    when none is named (as the protocol has it). Unknown outputs are refused."""
    binary = bool((fields.get("parameters") or {}).get("binary_data_output", False))
    asked = fields.get("outputs")
    if asked is None:
        return tuple((name, binary) for name in OUTPUTS)
    if not isinstance(asked, list) or any(_get(o, "name") not in OUTPUTS for o in asked):
        raise BadRequest(f"unknown output requested; the model's outputs are "
                         f"{', '.join(map(repr, OUTPUTS))}")
    return tuple((o["name"], bool((o.get("parameters") or {}).get("binary_data", binary)))
                 for o in asked)


def response(model, prediction, request: InferRequest):
    """(body bytes, extra headers) of the inference response: JSON, or with the binary
    tensor extension the JSON then each binary output's bytes, in order."""
    values = {"probabilities": prediction.probabilities.astype("<f4"),
              "is_digit": prediction.is_digit.astype(bool),
              "confidence": prediction.confidence.astype("<f4")}
    tensors, blobs = [], []
    for name, binary in request.outputs:
        array = values[name]
        tensor = {"name": name, "datatype": OUTPUTS[name][0], "shape": list(array.shape)}
        if binary:
            blobs.append(array.tobytes())
            tensor["parameters"] = {"binary_data_size": len(blobs[-1])}
        else:
            tensor["data"] = array.astype(np.float64 if array.dtype.kind == "f" else bool
                                          ).ravel().tolist()
        tensors.append(tensor)
    out = {"model_name": model.name, "model_version": model.version, "outputs": tensors}
    if request.id is not None:
        out["id"] = request.id
    head = orjson.dumps(out)
    if not blobs:
        return head, {}
    return head + b"".join(blobs), {HEADER_LENGTH: str(len(head))}
