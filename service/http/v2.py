"""The Open Inference Protocol (KServe V2) REST routes, on the same service as /predict.

    GET  /v2                                    server metadata
    GET  /v2/health/live, /v2/health/ready      liveness, readiness
    GET  /v2/models/NAME[/versions/V]           model metadata
    GET  /v2/models/NAME[/versions/V]/ready     model readiness
    POST /v2/models/NAME[/versions/V]/infer     inference (JSON or binary tensor data)

NAME is the manifest's name and V its version. Errors are {"error": "..."}, as the
protocol has them (handlers.py). Routes only: the tensors are service/codec/tensors.py's,
which the gRPC servicer (service/grpc/) answers with too, and the bodies v2_body.py's.
"""

from flask import Blueprint, Response, current_app, jsonify, request

from service.codec import tensors, v2_body
from service.http import body
from service.http.handlers import V2_PREFIX
from service.http.openapi import SERVER_NAME, SERVER_VERSION

bp = Blueprint("v2", __name__, url_prefix=V2_PREFIX)
MODEL = "/models/<name>"
VERSIONED = "/models/<name>/versions/<version>"


def _model(name: str, version: str | None = None):
    """The served model, if it is the one named; NotReady (503) or NotFound (404)."""
    return tensors.served(current_app.extensions["predictor"], name, version)


@bp.get("")
def server_metadata():
    return jsonify(name=SERVER_NAME, version=SERVER_VERSION, extensions=list(tensors.EXTENSIONS))


@bp.get("/health/live")
def live():
    return jsonify(live=True)


@bp.get("/health/ready")
def ready():
    current_app.extensions["predictor"].current()  # NotReady -> 503
    return jsonify(ready=True)


@bp.get(MODEL)
@bp.get(VERSIONED)
def model_metadata(name: str, version: str | None = None):
    return jsonify(tensors.metadata(_model(name, version)))


@bp.get(f"{MODEL}/ready")
@bp.get(f"{VERSIONED}/ready")
def model_ready(name: str, version: str | None = None):
    model = _model(name, version)
    return jsonify(name=model.name, ready=True)


@bp.post(f"{MODEL}/infer")
@bp.post(f"{VERSIONED}/infer")
def infer(name: str, version: str | None = None):
    model = _model(name, version)
    blob = body.data("V2_MAX_CONTENT_LENGTH")
    parsed = v2_body.parse(blob, request.headers.get(v2_body.HEADER_LENGTH),
                           current_app.config["MAX_BATCH"])
    prediction = model.predict(parsed.x)
    current_app.extensions["metrics"].predicted(prediction)
    out, headers = v2_body.response(model, prediction, parsed)
    mimetype = "application/octet-stream" if headers else "application/json"
    return Response(out, mimetype=mimetype, headers=headers)
