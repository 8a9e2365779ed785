"""The Open Inference Protocol (V2) routes in /openapi.json: the protocol's own shapes."""

from service.codec import tensors
from service.http.openapi.schema import json_body
from trainer.artifact import DIGITS, PIXELS, SIDE

MODEL = "/v2/models/{name}"
VERSIONED = "/v2/models/{name}/versions/{version}"
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
TENSOR_META = {"type": "object", "required": ["name", "datatype", "shape"], "properties": {
    "name": {"type": "string"}, "datatype": {"type": "string"},
    "shape": {"type": "array", "items": {"type": "integer"}}}}
TENSOR = {"type": "object", "required": ["name", "datatype", "shape"], "properties": {
    **TENSOR_META["properties"], "parameters": {"type": "object"},
    "data": {"type": "array", "description": "row-major values, flat or nested; absent "
                                             "when the tensor is binary data"}}}
INFER_RESPONSE = {"type": "object", "required": ["model_name", "outputs"], "properties": {
    "model_name": {"type": "string"}, "model_version": {"type": "string"},
    "id": {"type": "string"}, "parameters": {"type": "object"},
    "outputs": {"type": "array", "items": TENSOR}}}
BINARY = {"type": "string", "format": "binary"}
METADATA = {"type": "object", "required": ["name", "versions", "inputs", "outputs"],
            "properties": {"name": {"type": "string"}, "platform": {"type": "string"},
                           "versions": {"type": "array", "items": {"type": "string"}},
                           "inputs": {"type": "array", "items": TENSOR_META},
                           "outputs": {"type": "array", "items": TENSOR_META}}}


def _error(description: str) -> dict:
    return json_body(ERROR, description)


def _params(path: str) -> list[dict]:
    names = ["name", "version"] if "{version}" in path else ["name"]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in names]


def _get(summary: str, op: str, ok: dict, path: str = "") -> dict:
    return {"get": {"summary": summary, "operationId": op, "parameters": _params(path),
                    "responses": {"200": ok, "404": _error("Unknown model or version"),
                                  "503": _error("No verified model loaded"),
                                  "default": _error("Any other error")}}}


def _infer_request(max_batch: int) -> dict:
    return {"type": "object", "required": ["inputs"], "properties": {
        "id": {"type": "string"}, "parameters": {"type": "object"},
        "inputs": {"type": "array", "minItems": 1, "maxItems": 1, "items": TENSOR,
                   "description": f"one input, `{tensors.INPUT}`: FP32 [batch, {PIXELS}] (or "
                                  f"[batch, {SIDE}, {SIDE}]) scaled to [0, 1] as pixel / 255, "
                                  f"or UINT8 on 0..255; batch 1 to {max_batch} (MAX_BATCH)"},
        "outputs": {"type": "array", "items": {"type": "object", "required": ["name"]},
                    "description": "any of " + ", ".join(
                        f"`{n}` ({t}: {what})" for n, (t, what) in tensors.OUTPUTS.items())
                    + "; all of them when absent"}}}


def _infer(path: str, tag: str, max_length: int, max_batch: int) -> dict:
    return {"post": {
        "summary": "V2 inference: probabilities of each digit",
        "operationId": f"v2_infer{tag}", "parameters": _params(path),
        "description": "JSON tensors, or the binary tensor data extension: an "
                       f"{tensors.HEADER_LENGTH} header gives the JSON's length and "
                       "binary_data_size parameters the tensors' bytes after it. The body "
                       f"limit is V2_MAX_CONTENT_LENGTH ({max_length} bytes).",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _infer_request(max_batch)},
            "application/octet-stream": {"schema": BINARY}}},
        "responses": {
            "200": {"description": f"probabilities FP32 [batch, {len(DIGITS)}], is_digit BOOL "
                                   "[batch], confidence FP32 [batch], or those asked for",
                    "content": {"application/json": {"schema": INFER_RESPONSE},
                                "application/octet-stream": {"schema": BINARY}}},
            "400": _error("Wrong input name, datatype, shape or values"),
            "404": _error("Unknown model or version"),
            "408": _error("The client stopped sending mid-body"),
            "413": _error(f"Body over V2_MAX_CONTENT_LENGTH ({max_length} bytes)"),
            "503": _error("No verified model loaded"),
            "default": _error("Any other error")}}}


def paths(max_length: int, max_batch: int) -> dict:
    """The V2 paths; `max_length` is V2_MAX_CONTENT_LENGTH, `max_batch` MAX_BATCH."""
    ok = {"type": "object"}
    out = {
        "/v2": {"get": {"summary": "V2 server metadata", "operationId": "v2_server",
                        "responses": {"200": json_body(ok, "name, version, extensions")}}},
        "/v2/health/live": {"get": {"summary": "V2 liveness", "operationId": "v2_live",
                                    "responses": {"200": json_body(ok, "Alive")}}},
        "/v2/health/ready": {"get": {"summary": "V2 readiness", "operationId": "v2_ready",
                                     "responses": {"200": json_body(ok, "Ready"),
                                                   "503": _error("Not ready")}}},
    }
    for path, tag in ((MODEL, ""), (VERSIONED, "_version")):
        out[path] = _get("V2 model metadata", f"v2_model{tag}", json_body(METADATA, "Metadata"),
                         path)
        out[f"{path}/ready"] = _get("V2 model readiness", f"v2_model_ready{tag}",
                                    json_body(ok, "Ready"), path)
        out[f"{path}/infer"] = _infer(path, tag, max_length, max_batch)
    return out
