"""The Open Inference Protocol's REST bodies: a request body -> model inputs, and the
outputs -> a response body, JSON or with the binary tensor data extension. The tensors
themselves (names, shapes, datatypes, checks) are tensors.py's, shared with gRPC.
"""

from dataclasses import dataclass

import numpy as np
import orjson

from service.codec import tensors
from service.codec.instances import parse_json
from service.errors import BadRequest

HEADER_LENGTH = tensors.HEADER_LENGTH


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
        raise BadRequest(f'expected 1 input, {tensors.INPUT!r}; got {len(fields["inputs"])}')
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
    if not isinstance(tensor, dict):
        raise BadRequest(f"input name None is unknown; the model's input is {tensors.INPUT!r}")
    nbytes = (_get(tensor, "parameters") or {}).get("binary_data_size")
    if nbytes is None:
        return tensors.decode(tensor.get("name"), tensor.get("datatype"), tensor.get("shape"),
                              max_batch, data=tensor.get("data"))
    if nbytes != len(binary):
        raise BadRequest(f"input {tensors.INPUT!r}: binary_data_size {str(nbytes)[:20]} but "
                         f"{len(binary)} bytes followed the JSON")
    return tensors.decode(tensor.get("name"), tensor.get("datatype"), tensor.get("shape"),
                          max_batch, raw=binary)


def _get(obj, key):
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) or value is None else {}


def _request_id(fields: dict) -> str | None:
    rid = fields.get("id")
    return rid if isinstance(rid, str) else None


def _outputs(fields: dict) -> tuple[tuple[str, bool], ...]:
    """The outputs asked for, each with whether it goes back as binary data; all of them
    when none is named (as the protocol has it). Unknown outputs are refused."""
    binary = bool((_get(fields, "parameters") or {}).get("binary_data_output", False))
    asked = fields.get("outputs")
    if asked is None:
        return tuple((name, binary) for name in tensors.outputs(None))
    if not isinstance(asked, list):
        asked = [None]  # refused below, with the names the model has
    names = tensors.outputs([o.get("name") if isinstance(o, dict) else None for o in asked])
    return tuple((name, bool((_get(o, "parameters") or {}).get("binary_data", binary)))
                 for name, o in zip(names, asked, strict=True))


def response(model, prediction, request: InferRequest):
    """(body bytes, extra headers) of the inference response: JSON, or with the binary
    tensor extension the JSON then each binary output's bytes, in order."""
    values = tensors.values(prediction)
    out_tensors, blobs = [], []
    for name, binary in request.outputs:
        array = values[name]
        tensor = {"name": name, "datatype": tensors.OUTPUTS[name][0],
                  "shape": list(array.shape)}
        if binary:
            blobs.append(array.tobytes())
            tensor["parameters"] = {"binary_data_size": len(blobs[-1])}
        else:
            tensor["data"] = array.astype(np.float64 if array.dtype.kind == "f" else bool
                                          ).ravel().tolist()
        out_tensors.append(tensor)
    out = {"model_name": model.name, "model_version": model.version, "outputs": out_tensors}
    if request.id is not None:
        out["id"] = request.id
    head = orjson.dumps(out)
    if not blobs:
        return head, {}
    return head + b"".join(blobs), {HEADER_LENGTH: str(len(head))}
