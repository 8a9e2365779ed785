"""HTTP routes: /predict, /healthz, /readyz, /model. HTTP only: the body, the query,
the status; decoding is service/decode.py's, the model's answer the predictor's."""

import orjson
from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from service import decode
from service.errors import BadRequest, PayloadTooLarge, RequestTimeout
from service.predictor import Predictor

bp = Blueprint("inference", __name__)
FIELD = "image"
FLAGS = {"true": True, "1": True, "false": False, "0": False}
# An over-limit body up to this size is read and dropped before the 413 is sent: a few
# milliseconds on the wire, and the client, still sending, then reads the answer. A
# connection closed with the body unread is reset, and the client sees only that.
DRAIN_LIMIT = 16 * 1024 * 1024


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
    """The body's bytes, or the multipart files' bytes, with read failures as 408/413."""
    try:
        if kind == "multipart":
            return _files()
        return _body()
    except RequestEntityTooLarge as e:
        _discard_rest_of_body()
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        raise PayloadTooLarge(
            f"request body over the limit of {limit} bytes ({limit / 2**20:.1f} MiB, "
            "MAX_CONTENT_LENGTH); shrink the image first (a digit needs no more than "
            "about 1000x1000 pixels, e.g. `convert photo.jpg -resize 1000x1000 small.jpg`), "
            "or start the service with a larger MAX_CONTENT_LENGTH") from e
    except (OSError, ClientDisconnected) as e:  # werkzeug wraps some OSErrors in the latter
        # The client went silent (READ_TIMEOUT) or vanished while sending the body.
        raise RequestTimeout("the client stopped sending in the middle of the request "
                             "body (READ_TIMEOUT); send the whole body promptly") from e


def _files() -> list[bytes]:
    files = request.files.getlist(FIELD)
    if not files:
        hint = (" as a file upload (with a filename)" if FIELD in request.form
                else "; e.g. curl -F image=@digit.png")
        raise BadRequest(f"no image: send the image in multipart field {FIELD!r}{hint}",
                         code="no_image")
    decode.check_batch(len(files), current_app.config["MAX_BATCH"])
    return [f.read() for f in files]


def _body() -> bytes:
    data = request.get_data(cache=False)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    # A chunked body (no Content-Length) is cut off silently at the limit by werkzeug;
    # reaching the limit means there was more, and a cut image must not be served.
    if request.content_length is None and limit is not None and len(data) >= limit:
        raise RequestEntityTooLarge()
    return data


def _discard_rest_of_body() -> None:
    """Reads and drops what is left of the request body, if it is at most DRAIN_LIMIT."""
    declared = request.content_length
    if declared is not None and declared > DRAIN_LIMIT:
        return  # too much to read for nothing; the client will see the connection reset
    stream, left = request.environ.get("wsgi.input"), DRAIN_LIMIT
    while stream is not None and left > 0:
        try:
            chunk = stream.read(min(left, 1 << 16))
        except OSError:
            return  # the client went silent or away; the connection will be closed
        if not chunk:
            break
        left -= len(chunk)
