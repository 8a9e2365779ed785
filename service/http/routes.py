"""HTTP routes: /predict, /read, /healthz, /readyz, /model.

Routes only: the body is read by body.py, decoded and answered by
service/codec/predict.py, and predicted by the served model.
"""

from flask import Blueprint, Response, current_app, jsonify, request

from service.codec import predict as codec
from service.codec import read as reading
from service.codec.instances import instances
from service.errors import BadRequest, Unprocessable
from service.http import body

bp = Blueprint("inference", __name__)
FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _predictor():
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
    model = _predictor().current()  # refuse early, before reading the body, when not ready
    config = current_app.config
    options = codec.Options(normalize_mnist=recipe(), return_input=_flag("return_input"),
                            max_batch=config["MAX_BATCH"], max_pixels=config["MAX_IMAGE_PIXELS"])
    kind = codec.media_kind(request.mimetype)
    payload = body.files(codec.FIELD) if kind == "multipart" else body.data()
    inputs = codec.decode(kind, payload, options)
    prediction = model.predict(inputs.x)
    current_app.extensions["metrics"].predicted(prediction)
    return Response(codec.answer(model, prediction, inputs), mimetype=codec.JSON_TYPE)


@bp.post("/read")
def read():
    model = _predictor().current()
    config = current_app.config
    kind = codec.media_kind(request.mimetype)
    if kind == "json":
        pixels = _one(instances(body.data(), config["MAX_BATCH"]))
        page = reading.decode(pixels, pixels.shape[::-1], config["MAX_DIGITS"])
    else:
        blobs = body.files(codec.FIELD) if kind == "multipart" else [body.data()]
        page = reading.from_file(_one(blobs), config["MAX_IMAGE_PIXELS"], config["MAX_DIGITS"])
    prediction = model.predict(page.x)
    chosen = reading.choose(page, prediction, config["MAX_DIGITS"])
    current_app.extensions["metrics"].predicted(reading.picked(prediction, chosen))
    return Response(reading.answer(model, page, prediction, chosen, _flag("return_input")),
                    mimetype=codec.JSON_TYPE)


def _one(images):
    """The one image of a /read request: a number is read one image at a time."""
    if len(images) != 1:
        raise Unprocessable(f"{len(images)} images in one request; /read reads one number "
                            "from one image: send each in a request of its own",
                            code="batch_too_large")
    return images[0]


def recipe() -> bool:
    name = request.args.get("normalize")
    if name not in (None, "mnist"):
        raise BadRequest(f"normalize={name[:40]!r} is unknown; the only recipe is "
                         "normalize=mnist", code="bad_parameter")
    return name == "mnist"


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in FLAGS:
        raise BadRequest(f"{name}={raw[:40]!r}: expected true or false", code="bad_parameter")
    return FLAGS[raw]
