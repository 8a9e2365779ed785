"""The Open Inference Protocol (KServe V2) REST routes, on the same service as /predict.

    GET  /v2                                    server metadata
    GET  /v2/health/live, /v2/health/ready      liveness, readiness
    GET  /v2/models/NAME[/versions/V]           model metadata
    GET  /v2/models/NAME[/versions/V]/ready     model readiness
    POST /v2/models/NAME[/versions/V]/infer     inference (JSON or binary tensor data)

NAME is the manifest's name and V its version. Errors are {"error": "..."}, as the
protocol has them (handlers.py). Routes only: the tensors are service/codec/tensors.py's.
"""

from flask import Blueprint, Response, current_app, jsonify, request

from service.codec import tensors
from service.errors import NotFound
from service.http import body
from service.http.handlers import V2_PREFIX
from service.http.openapi import SERVER_NAME, SERVER_VERSION
from trainer.artifact import PIXELS

bp = Blueprint("v2", __name__, url_prefix=V2_PREFIX)
MODEL = "/models/<name>"
VERSIONED = "/models/<name>/versions/<version>"


def _model(name: str, version: str | None = None):
    """The served model, if it is the one named; NotReady (503) or NotFound (404)."""
    model = current_app.extensions["predictor"].current()
    if name != model.name:
        raise NotFound(f"model {name[:60]!r} is unknown; this server serves {model.name!r}")
    if version is not None and version != model.version:
        raise NotFound(f"model {name!r} has no version {version[:40]!r}; it serves "
                       f"version {model.version!r}")
    return model


@bp.get("")
def server_metadata():
    return jsonify(name=SERVER_NAME, version=SERVER_VERSION, extensions=["binary_tensor_data"])


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
    model = _model(name, version)
    n_out = model.params[-1][0].shape[1]
    return jsonify(
        name=model.name, versions=[model.version], platform="numpy_mlp",
        inputs=[{"name": tensors.INPUT, "datatype": "FP32", "shape": [-1, PIXELS]}],
        outputs=[{"name": name, "datatype": datatype,
                  "shape": [-1, n_out] if name == "probabilities" else [-1]}
                 for name, (datatype, _) in tensors.OUTPUTS.items()])


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
    parsed = tensors.parse(blob, request.headers.get(tensors.HEADER_LENGTH),
                           current_app.config["MAX_BATCH"])
    prediction = model.predict(parsed.x)
    current_app.extensions["metrics"].predicted(prediction)
    out, headers = tensors.response(model, prediction, parsed)
    mimetype = "application/octet-stream" if headers else "application/json"
    return Response(out, mimetype=mimetype, headers=headers)
