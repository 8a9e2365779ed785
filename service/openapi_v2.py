"""The Open Inference Protocol (V2) routes in /openapi.json: the protocol's own shapes."""

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
INFER_REQUEST = {"type": "object", "required": ["inputs"], "properties": {
    "id": {"type": "string"}, "parameters": {"type": "object"},
    "inputs": {"type": "array", "minItems": 1, "maxItems": 1, "items": TENSOR,
               "description": "one input, `pixels`: FP32 [batch, 784] (or [batch, 28, 28]) "
                              "scaled to [0, 1] as pixel / 255, or UINT8 on 0..255"},
    "outputs": {"type": "array", "items": {"type": "object", "required": ["name"]}}}}
INFER_RESPONSE = {"type": "object", "required": ["model_name", "outputs"], "properties": {
    "model_name": {"type": "string"}, "model_version": {"type": "string"},
    "id": {"type": "string"}, "parameters": {"type": "object"},
    "outputs": {"type": "array", "items": TENSOR}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _params(path: str) -> list[dict]:
    names = ["name", "version"] if "{version}" in path else ["name"]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in names]


def _get(summary: str, op: str, ok: dict, path: str = "") -> dict:
    return {"get": {"summary": summary, "operationId": op, "parameters": _params(path),
                    "responses": {"200": ok, "404": _json(ERROR, "Unknown model or version"),
                                  "503": _json(ERROR, "No verified model loaded"),
                                  "default": _json(ERROR, "Any other error")}}}


def paths() -> dict:
    ok = {"type": "object"}
    out = {
        "/v2": {"get": {"summary": "V2 server metadata", "operationId": "v2_server",
                        "responses": {"200": _json(ok, "name, version, extensions")}}},
        "/v2/health/live": {"get": {"summary": "V2 liveness", "operationId": "v2_live",
                                    "responses": {"200": _json(ok, "Alive")}}},
        "/v2/health/ready": {"get": {"summary": "V2 readiness", "operationId": "v2_ready",
                                     "responses": {"200": _json(ok, "Ready"),
                                                   "503": _json(ERROR, "Not ready")}}},
    }
    for path, tag in ((MODEL, ""), (VERSIONED, "_version")):
        meta = {"type": "object", "required": ["name", "versions", "inputs", "outputs"],
                "properties": {"name": {"type": "string"}, "platform": {"type": "string"},
                               "versions": {"type": "array", "items": {"type": "string"}},
                               "inputs": {"type": "array", "items": TENSOR_META},
                               "outputs": {"type": "array", "items": TENSOR_META}}}
        out[path] = _get("V2 model metadata", f"v2_model{tag}", _json(meta, "Metadata"), path)
        out[f"{path}/ready"] = _get("V2 model readiness", f"v2_model_ready{tag}",
                                    _json(ok, "Ready"), path)
        out[f"{path}/infer"] = {"post": {
            "summary": "V2 inference: probabilities of each digit",
            "operationId": f"v2_infer{tag}", "parameters": _params(path),
            "description": "JSON tensors, or the binary tensor data extension: an "
                           "Inference-Header-Content-Length header gives the JSON's length "
                           "and binary_data_size parameters the tensors' bytes after it. "
                           "The body limit is V2_MAX_CONTENT_LENGTH (16 MiB).",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": INFER_REQUEST},
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}},
            "responses": {
                "200": {"description": "Probabilities, FP32 [batch, 10]", "content": {
                    "application/json": {"schema": INFER_RESPONSE},
                    "application/octet-stream": {"schema": {"type": "string",
                                                            "format": "binary"}}}},
                "400": _json(ERROR, "Wrong input name, datatype, shape or values"),
                "404": _json(ERROR, "Unknown model or version"),
                "408": _json(ERROR, "The client stopped sending mid-body"),
                "413": _json(ERROR, "Body over V2_MAX_CONTENT_LENGTH"),
                "503": _json(ERROR, "No verified model loaded"),
                "default": _json(ERROR, "Any other error")}}}
    return out
