"""ModelInfer's tensors: a ModelInferRequest -> model inputs, and the prediction -> a
ModelInferResponse. The checks and the scaling are service/codec/tensors.py's, the very
functions the REST route calls; only the protobuf framing is here.
"""

import numpy as np

from service.codec import tensors
from service.errors import BadRequest
from service.grpc import protocol

# Where each datatype's values go in InferTensorContents, as in Triton and KServe.
CONTENTS = {"FP32": "fp32_contents", "UINT8": "uint_contents", "BOOL": "bool_contents"}
# A request parameter that asks for raw outputs whatever the inputs were (as over REST).
BINARY_OUTPUT = "binary_data_output"
Response = protocol.message("ModelInferResponse")


def decode(request, max_batch: int) -> tuple[np.ndarray, tuple[str, ...], bool]:
    """(model inputs, the outputs asked for, whether to answer with raw contents)."""
    if len(request.inputs) != 1:
        raise BadRequest(f"expected 1 input, {tensors.INPUT!r}; got {len(request.inputs)}")
    tensor, raws = request.inputs[0], request.raw_input_contents
    if raws and len(raws) != 1:
        raise BadRequest(f"raw_input_contents holds {len(raws)} tensors for 1 input; send "
                         "one for each input, in order")
    if raws and tensor.HasField("contents"):
        raise BadRequest(f"input {tensors.INPUT!r} has both contents and raw_input_contents; "
                         "send its values in one of them")
    shape = list(tensor.shape)
    if raws:
        x = tensors.decode(tensor.name, tensor.datatype, shape, max_batch, raw=raws[0])
    else:
        x = tensors.decode(tensor.name, tensor.datatype, shape, max_batch,
                           data=_typed(tensor))
    names = tensors.outputs([o.name for o in request.outputs] or None)
    binary = request.parameters.get(BINARY_OUTPUT)
    return x, names, bool(raws) or bool(binary is not None and binary.bool_param)


def _typed(tensor) -> np.ndarray:
    """The values of `tensor` in its datatype's field of `contents`."""
    field = CONTENTS.get(tensor.datatype)
    given = [f.name for f, _ in tensor.contents.ListFields()]
    if field is None:
        return np.empty(0)  # tensors.decode refuses the datatype, naming those it takes
    if given and field not in given:
        raise BadRequest(f"input {tensors.INPUT!r}: {tensor.datatype} values go in "
                         f"contents.{field}, not {', '.join(given)}")
    values = getattr(tensor.contents, field)
    return np.fromiter(values, dtype=np.float64, count=len(values))


def encode(model, prediction, request_id: str, names, raw: bool):
    """The ModelInferResponse: the outputs `names`, as raw bytes or typed contents."""
    values = tensors.values(prediction)
    response = Response(model_name=model.name, model_version=model.version, id=request_id)
    for name in names:
        array, datatype = values[name], tensors.OUTPUTS[name][0]
        out = response.outputs.add(name=name, datatype=datatype, shape=array.shape)
        if raw:
            response.raw_output_contents.append(array.tobytes())
        else:
            getattr(out.contents, CONTENTS[datatype]).extend(array.ravel().tolist())
    return response
