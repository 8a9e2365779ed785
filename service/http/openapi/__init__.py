"""GET /openapi.json: the OpenAPI 3.1 description of every route of the service.

Built once per app from the facts it states (the settings' limits, the image size,
the digit labels, the accepted formats); tests/service/http/test_openapi.py checks it
against the app's URL map and validates real responses against its schemas.
"""

from importlib import metadata

from flask import Blueprint, current_app, jsonify

from service.codec import images
from service.http.openapi import feedback, read
from service.http.openapi import v2 as openapi_v2
from service.http.openapi.schema import error, json_body, obj, ref
from trainer.artifact import DIGITS, PIXELS, SIDE

bp = Blueprint("openapi", __name__)
SERVER_NAME = "mnist-mlp-service"
try:
    SERVER_VERSION = metadata.version(SERVER_NAME)
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    SERVER_VERSION = "0.0.0"


def _images(max_batch: int) -> dict:
    pixel = {"type": "number", "minimum": 0, "maximum": 255}
    flat = {"type": "array", "items": pixel, "minItems": PIXELS, "maxItems": PIXELS,
            "description": f"{PIXELS} pixel values, row by row"}
    rows = {"type": "array", "minItems": SIDE, "maxItems": SIDE,
            "description": f"{SIDE} rows of {SIDE}",
            "items": {"type": "array", "items": pixel, "minItems": SIDE, "maxItems": SIDE}}
    probabilities = {"type": "array", "minItems": len(DIGITS), "maxItems": len(DIGITS),
                     "items": {"type": "number", "minimum": 0, "maximum": 1}}
    return {
        "Instances": obj({"instances": {
            "type": "array", "minItems": 1, "maxItems": max_batch, "items": {"oneOf": [flat, rows]},
            "description": "grayscale images on 0..255, white digit on black (as MNIST)"}}),
        "Prediction": obj({
            "label": {"type": "integer", "minimum": int(DIGITS[0]), "maximum": int(DIGITS[-1]),
                      "description": "the most probable digit"},
            "is_digit": {"type": "boolean", "description": "false when the input is not a "
                         "digit at all (a letter, a scribble, a photo of something else, "
                         "a whole number): then do not trust label"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "the calibrated probability that label is right"},
            "probabilities": probabilities},
            {"input": {**rows, "description": "with return_input=true: the pixels the model "
                                              "saw, 0..255, after normalize"}}),
        "PredictResponse": obj({"model": ref("ModelRef"), "predictions": {
            "type": "array", "minItems": 1, "maxItems": max_batch, "items": ref("Prediction"),
            "description": "one per input image, in request order"}}),
    }


def _service() -> dict:
    return {
        "Error": obj({"error": obj({
            "code": {"type": "string", "description": "stable machine-readable name"},
            "message": {"type": "string", "description": "what is wrong and how to fix it"}})}),
        "ModelRef": obj({"name": {"type": "string"}, "version": {"type": "string"}}),
        "Health": obj({"status": {"const": "ok"}}),
        "Ready": obj({"status": {"const": "ready"}, "model": ref("ModelRef")}),
        "Layer": {"type": "object", "required": ["type", "in", "out", "activation"],
                  "properties": {"type": {"type": "string"}, "in": {"type": "integer"},
                                 "out": {"type": "integer"},
                                 "activation": {"type": "string"}}},
        "ModelInfo": obj({
            "name": {"type": "string"}, "version": {"type": "string"},
            "layer_sizes": {"type": "array", "items": {"type": "integer", "minimum": 1}},
            "layers": {"type": "array", "items": ref("Layer")},
            "input": {"type": ["object", "null"]},
            "labels": {"type": "array", "items": {"type": "string"}},
            "metrics": {"type": ["object", "null"]},
            "created": {"type": ["string", "null"]},
            "weights_sha256": {"type": ["string", "null"]}}),
    }


def _predict(max_content_length: int) -> dict:
    binary = {"type": "string", "format": "binary"}
    files = {"type": "array", "items": binary, "minItems": 1,
             "description": "one or more image files (with a filename), in order"}
    return {"post": {
        "summary": "Classify handwritten digit images",
        "operationId": "predict",
        "parameters": [
            {"name": "normalize", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["mnist"]},
             "description": "mnist: any size and polarity; the digit is cropped, scaled to "
                            f"20x20 and centred as in MNIST. Without it an image must be "
                            f"{SIDE}x{SIDE}, white on black."},
            {"name": "return_input", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
             "description": "true: each prediction also carries `input`, the pixels the "
                            "model saw (after normalize=mnist), to show why a digit was read "
                            "as it was."}],
        "requestBody": {"required": True, "description": f"image files: {images.NAMES}",
                        "content": {
            "multipart/form-data": {"schema": obj({"image": files})},
            "image/*": {"schema": binary},
            "application/json": {"schema": ref("Instances")}}},
        "responses": _predict_responses(max_content_length)}}


def _predict_responses(max_content_length: int) -> dict:
    return {
        "200": json_body(ref("PredictResponse"), "Probabilities for each image"),
        "400": error("Malformed request: no image, undecodable image, bad JSON, "
                     "unknown parameter"),
        "408": error("The client went silent in the middle of the body (READ_TIMEOUT)"),
        "413": error(f"Body over MAX_CONTENT_LENGTH ({max_content_length} bytes)"),
        "415": error("Content-Type not accepted"),
        "422": error("Well-formed but unusable: wrong size or shape, values out of range, "
                     "batch over MAX_BATCH, no digit found"),
        "503": error("No verified model loaded"),
        "default": error("Any other error, e.g. 500"),
    }


def _get(summary: str, op: str, responses: dict) -> dict:
    return {"get": {"summary": summary, "operationId": op,
                    "responses": {**responses, "default": error("Any other error")}}}


def _others() -> dict:
    text = {"text/plain": {"schema": {"type": "string"}}}
    html = {"text/html": {"schema": {"type": "string"}}}
    return {
        "/healthz": _get("Liveness: the process answers", "healthz",
                         {"200": json_body(ref("Health"), "Alive")}),
        "/readyz": _get("Readiness: a verified model is loaded", "readyz",
                        {"200": json_body(ref("Ready"), "Ready to predict"),
                         "503": error("Not ready; the message says why")}),
        "/model": _get("The served model's manifest", "model",
                       {"200": json_body(ref("ModelInfo"), "Name, version, layers, metrics"),
                        "503": error("No verified model loaded")}),
        "/metrics": _get("Prometheus metrics (text exposition format)", "metrics",
                         {"200": {"description": "Metrics of all workers", "content": text}}),
        "/openapi.json": _get("This document", "openapi",
                              {"200": json_body({"type": "object"}, "OpenAPI 3.1")}),
        "/": _get("A page to draw a digit and see what the model reads", "page",
                  {"200": {"description": "HTML, with a strict Content-Security-Policy",
                           "content": html}}),
        "/static/{filename}": {"get": {
            "summary": "The page's script and style sheet", "operationId": "static",
            "parameters": [{"name": "filename", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The file"}, "404": error("No such file"),
                          "default": error("Any other error")}}},
    }


def document(config) -> dict:
    """The OpenAPI 3.1 document for an app with `config` (its limits)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "MNIST digit classifier", "version": SERVER_VERSION,
                 "description": "A NumPy MLP trained on MNIST; POST images, get softmax "
                                "probabilities. Errors are {\"error\": {code, message}}."},
        "paths": {"/predict": _predict(config["MAX_CONTENT_LENGTH"]),
                  "/read": read.path(config["MAX_CONTENT_LENGTH"], config["MAX_DIGITS"]),
                  "/feedback": feedback.path(config["MAX_CONTENT_LENGTH"],
                                             config["FEEDBACK_MAX_ROWS"]),
                  **_others(),
                  **openapi_v2.paths(config["V2_MAX_CONTENT_LENGTH"], config["MAX_BATCH"])},
        "components": {"schemas": {**_service(), **_images(config["MAX_BATCH"]),
                                   **read.schemas(config["MAX_DIGITS"]),
                                   **feedback.schemas()},
                       "securitySchemes": feedback.SECURITY},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(current_app.extensions["openapi"])
