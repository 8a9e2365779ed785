"""GET /openapi.json: the OpenAPI 3.1 description of every route of the service.

Built in Python, next to nothing but the facts it states; tests/service/test_openapi.py
checks it against the app's URL map and validates real responses against its schemas.
"""

from importlib import metadata

from flask import Blueprint, current_app, jsonify

from service import openapi_v2

bp = Blueprint("openapi", __name__)
REF = "#/components/schemas/"
PIXELS = 28 * 28


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


def _obj(required: dict, optional: dict | None = None) -> dict:
    """A closed JSON object schema: `required` properties plus `optional` ones."""
    return {"type": "object", "required": list(required),
            "properties": {**required, **(optional or {})}, "additionalProperties": False}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _schemas(max_batch: int) -> dict:
    pixel = {"type": "number", "minimum": 0, "maximum": 255}
    flat = {"type": "array", "items": pixel, "minItems": PIXELS, "maxItems": PIXELS,
            "description": "784 pixel values, row by row"}
    rows = {"type": "array", "minItems": 28, "maxItems": 28, "description": "28 rows of 28",
            "items": {"type": "array", "items": pixel, "minItems": 28, "maxItems": 28}}
    ref = _obj({"name": {"type": "string"}, "version": {"type": "string"}})
    return {
        "Error": _obj({"error": _obj({
            "code": {"type": "string", "description": "stable machine-readable name"},
            "message": {"type": "string", "description": "what is wrong and how to fix it"}})}),
        "ModelRef": ref,
        "Instances": _obj({"instances": {
            "type": "array", "minItems": 1, "maxItems": max_batch, "items": {"oneOf": [flat, rows]},
            "description": "grayscale images on 0..255, white digit on black (as MNIST)"}}),
        "Prediction": _obj({
            "label": {"type": "integer", "minimum": 0, "maximum": 9},
            "probabilities": {"type": "array", "minItems": 10, "maxItems": 10,
                              "items": {"type": "number", "minimum": 0, "maximum": 1}}},
            {"input": {**rows, "description": "with return_input=true: the 28x28 pixels "
                                              "the model saw, 0..255, after normalize"}}),
        "PredictResponse": _obj({"model": _ref("ModelRef"), "predictions": {
            "type": "array", "minItems": 1, "items": _ref("Prediction"),
            "description": "one per input image, in request order"}}),
        "Health": _obj({"status": {"const": "ok"}}),
        "Ready": _obj({"status": {"const": "ready"}, "model": _ref("ModelRef")}),
        "Layer": {"type": "object", "required": ["type", "in", "out", "activation"],
                  "properties": {"type": {"type": "string"}, "in": {"type": "integer"},
                                 "out": {"type": "integer"},
                                 "activation": {"type": "string"}}},
        "ModelInfo": _obj({
            "name": {"type": "string"}, "version": {"type": "string"},
            "layer_sizes": {"type": "array", "items": {"type": "integer", "minimum": 1}},
            "layers": {"type": "array", "items": _ref("Layer")},
            "input": {"type": ["object", "null"]},
            "labels": {"type": "array", "items": {"type": "string"}},
            "metrics": {"type": ["object", "null"]},
            "created": {"type": ["string", "null"]},
            "weights_sha256": {"type": ["string", "null"]}}),
    }


def _predict() -> dict:
    binary = {"type": "string", "format": "binary"}
    files = {"type": "array", "items": binary, "minItems": 1,
             "description": "one or more image files (with a filename), in order"}
    return {"post": {
        "summary": "Classify handwritten digit images",
        "operationId": "predict",
        "parameters": [{"name": "normalize", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["mnist"]},
                        "description": "mnist: any size and polarity; the digit is cropped, "
                                       "scaled to 20x20 and centred as in MNIST. Without "
                                       "it an image must be 28x28, white on black."},
                       {"name": "return_input", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
                        "description": "true: each prediction also carries `input`, the "
                                       "28x28 pixels the model saw (after normalize=mnist), "
                                       "to show why a digit was read as it was."}],
        "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": _obj({"image": files})},
            "image/*": {"schema": binary},
            "application/json": {"schema": _ref("Instances")}}},
        "responses": {
            "200": _json(_ref("PredictResponse"), "Probabilities for each image"),
            "400": _error("Malformed request: no image, undecodable image, bad JSON, "
                          "unknown parameter"),
            "408": _error("The client went silent in the middle of the body (READ_TIMEOUT)"),
            "413": _error("Body over MAX_CONTENT_LENGTH"),
            "415": _error("Content-Type not accepted"),
            "422": _error("Well-formed but unusable: wrong size or shape, values out of "
                          "range, batch over MAX_BATCH, no digit found"),
            "503": _error("No verified model loaded"),
            "default": _error("Any other error, e.g. 500"),
        }}}


def _get(summary: str, op: str, responses: dict) -> dict:
    return {"get": {"summary": summary, "operationId": op,
                    "responses": {**responses, "default": _error("Any other error")}}}


def document(max_batch: int = 256) -> dict:
    """The OpenAPI 3.1 document; `max_batch` is the app's MAX_BATCH."""
    try:
        version = metadata.version("mnist-mlp-service")
    except metadata.PackageNotFoundError:
        version = "0.0.0"
    text = {"text/plain": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "MNIST digit classifier", "version": version,
                 "description": "A NumPy MLP trained on MNIST; POST images, get softmax "
                                "probabilities. Errors are {\"error\": {code, message}}."},
        "paths": {
            "/predict": _predict(),
            "/healthz": _get("Liveness: the process answers", "healthz",
                             {"200": _json(_ref("Health"), "Alive")}),
            "/readyz": _get("Readiness: a verified model is loaded", "readyz",
                            {"200": _json(_ref("Ready"), "Ready to predict"),
                             "503": _error("Not ready; the message says why")}),
            "/model": _get("The served model's manifest", "model",
                           {"200": _json(_ref("ModelInfo"), "Name, version, layers, "
                                                            "training metrics"),
                            "503": _error("No verified model loaded")}),
            "/metrics": _get("Prometheus metrics (text exposition format)", "metrics",
                             {"200": {"description": "Metrics of all workers",
                                      "content": text}}),
            "/openapi.json": _get("This document", "openapi",
                                  {"200": _json({"type": "object"}, "OpenAPI 3.1")}),
            "/": _get("A page to draw a digit and see what the model reads", "page",
                      {"200": {"description": "HTML, with a strict Content-Security-Policy",
                               "content": {"text/html": {"schema": {"type": "string"}}}}}),
            "/static/{filename}": {"get": {
                "summary": "The page's script and style sheet", "operationId": "static",
                "parameters": [{"name": "filename", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The file"},
                              "404": _error("No such file"),
                              "default": _error("Any other error")}}},
            **openapi_v2.paths(),
        },
        "components": {"schemas": _schemas(max_batch)},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document(current_app.config["MAX_BATCH"]))
