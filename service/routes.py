"""HTTP routes: /predict, /healthz, /readyz, /model. HTTP only: the body, the query,
the status; decoding is service/decode.py's, the model's answer the predictor's."""

import orjson
from flask import Blueprint, Response, current_app, g, jsonify, request

from service import body, decode
from service.errors import BadRequest
from service.predictor import Predictor

bp = Blueprint("inference", __name__)
FIELD = "image"
FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _predictor() -> Predictor:
    return current_app.extensions["predictor"]


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    model = _predictor().current()  # NotReady -> 503 with the reason
    return jsonify(status="ready", model={"name": model.name, "version": model.version})


@bp.get("/model")
def model_info():
    model = _predictor().current()
    m = model.manifest
    layers = m["layers"]
    return jsonify(
        name=model.name,
        version=model.version,
        layer_sizes=[layers[0]["in"]] + [layer["out"] for layer in layers],
        layers=layers,
        input=m.get("input"),
        labels=model.labels,
        metrics=m.get("metrics"),
        created=m.get("created"),
        weights_sha256=m.get("weights_sha256"),
    )


@bp.post("/predict")
def predict():
    predictor = _predictor()
    predictor.current()  # refuse early, before reading the body, when not ready
    config = current_app.config
    options = decode.Options(normalize_mnist=_recipe(), max_batch=config["MAX_BATCH"],
                             max_pixels=config["MAX_IMAGE_PIXELS"])
    return_input = _flag("return_input")
    kind = decode.media_kind(request.mimetype)
    pixels = decode.pixels(kind, _payload(kind), options)
    answer = predictor.postprocess(predictor.predict(pixels), pixels if return_input else None)
    g.predicted_labels = [p["label"] for p in answer["predictions"]]
    return Response(orjson.dumps(answer), mimetype="application/json")


def _recipe() -> bool:
    recipe = request.args.get("normalize")
    if recipe not in (None, "mnist"):
        raise BadRequest(f"normalize={recipe[:40]!r} is unknown; the only recipe is "
                         "normalize=mnist", code="bad_parameter")
    return recipe == "mnist"


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in FLAGS:
        raise BadRequest(f"{name}={raw[:40]!r}: expected true or false", code="bad_parameter")
    return FLAGS[raw]


def _payload(kind: str):
    """The body's bytes, or the multipart files' bytes."""
    return body.read(_files if kind == "multipart" else body.data)


def _files() -> list[bytes]:
    files = request.files.getlist(FIELD)
    if not files:
        hint = (" as a file upload (with a filename)" if FIELD in request.form
                else "; e.g. curl -F image=@digit.png")
        raise BadRequest(f"no image: send the image in multipart field {FIELD!r}{hint}",
                         code="no_image")
    decode.check_batch(len(files), current_app.config["MAX_BATCH"])
    return [f.read() for f in files]
