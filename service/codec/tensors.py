"""Open Inference Protocol (KServe V2) tensors, the same for both of its transports: the
served model and its metadata, one input tensor -> model inputs, and the outputs asked
for. REST frames them as JSON or binary (v2_body.py), gRPC as protobuf (service/grpc/).

The model's one input, `pixels`, is FP32 of shape [-1, 784] scaled to [0, 1], as the
trainer feeds it; [-1, 28, 28] is accepted too, and so is UINT8 on 0..255, which is
scaled by the trainer's own function. The outputs are `probabilities`, FP32 [-1, 10],
and the verdict: `is_digit`, BOOL [-1], and `confidence`, FP32 [-1]. Every problem is a
BadRequest (400) that says what was expected.
"""

import math

import numpy as np

from service.errors import BadRequest, NotFound
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
EXTENSIONS = ("binary_tensor_data",)
PLATFORM = "numpy_mlp"
# REST's binary tensor data extension: the length of the JSON that heads the body.
HEADER_LENGTH = "Inference-Header-Content-Length"


def served(predictor, name: str, version: str | None = None):
    """The served model, if it is the one named; NotReady (503) or NotFound (404)."""
    model = predictor.current()
    if name != model.name:
        raise NotFound(f"model {name[:60]!r} is unknown; this server serves {model.name!r}")
    if version and version != model.version:
        raise NotFound(f"model {name!r} has no version {version[:40]!r}; it serves "
                       f"version {model.version!r}")
    return model


def metadata(model) -> dict:
    """The model metadata answer: name, versions, platform, inputs and outputs."""
    n_out = model.params[-1][0].shape[1]
    return {"name": model.name, "versions": [model.version], "platform": PLATFORM,
            "inputs": [{"name": INPUT, "datatype": "FP32", "shape": [-1, PIXELS]}],
            "outputs": [{"name": name, "datatype": datatype,
                         "shape": [-1, n_out] if name == "probabilities" else [-1]}
                        for name, (datatype, _) in OUTPUTS.items()]}


def decode(name, datatype, shape, max_batch: int, *, data=None,
           raw: bytes | None = None) -> np.ndarray:
    """One input tensor -> float32 (B, 784) in [0, 1]: its values are `raw` (bytes,
    row-major) or else `data` (numbers, flat or nested)."""
    if name != INPUT:
        raise BadRequest(f"input name {str(name)[:40]!r} is unknown; "
                         f"the model's input is {INPUT!r}")
    dtype = DTYPES.get(datatype) if isinstance(datatype, str) else None
    if dtype is None:
        raise BadRequest(f"input {INPUT!r} datatype {str(datatype)[:20]!r}: "
                         "expected FP32 (scaled to [0, 1]) or UINT8 (0..255)")
    shape = _shape(shape, max_batch)
    size = math.prod(shape)
    if raw is not None:
        if len(raw) != size * dtype.itemsize:
            raise BadRequest(f"input {INPUT!r}: {len(raw)} bytes of raw contents, but "
                             f"shape {shape} of {datatype} is {size * dtype.itemsize} bytes")
        values = np.frombuffer(raw, dtype=dtype)
    else:
        values = _numbers(data, dtype, size)
    return _scaled(values.reshape(shape[0], PIXELS), datatype)


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


def _numbers(data, dtype: np.dtype, size: int) -> np.ndarray:
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


def outputs(names) -> tuple[str, ...]:
    """The outputs asked for by name, in the order asked; all of them when `names` is
    None (as the protocol has it). An unknown name is refused."""
    if names is None:
        return tuple(OUTPUTS)
    if not isinstance(names, list | tuple) or any(not isinstance(name, str)
                                                  or name not in OUTPUTS for name in names):
        raise BadRequest(f"unknown output requested; the model's outputs are "
                         f"{', '.join(map(repr, OUTPUTS))}")
    return tuple(names)


def values(prediction) -> dict[str, np.ndarray]:
    """Each output's array, in its datatype: FP32 little-endian, BOOL one byte each."""
    return {"probabilities": prediction.probabilities.astype("<f4"),
            "is_digit": prediction.is_digit.astype(bool),
            "confidence": prediction.confidence.astype("<f4")}
