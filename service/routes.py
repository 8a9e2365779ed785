"""HTTP routes: /predict, /healthz, /readyz, /model."""

import numpy as np
from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from service import normalize, preprocess
from service.errors import BadRequest, PayloadTooLarge, RequestTimeout
from service.predictor import Predictor

bp = Blueprint("inference", __name__)
FIELD = "image"
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
    normalize = request.args.get("normalize")
    if normalize not in (None, "mnist"):
        raise BadRequest(f"normalize={normalize!r} is unknown; the only recipe is "
                         "normalize=mnist", code="bad_parameter")
    try:
        pixels = _request_pixels(normalize == "mnist")
    except RequestEntityTooLarge as e:
        _discard_rest_of_body()
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        raise PayloadTooLarge(f"request body over the limit of {limit} bytes "
                              "(MAX_CONTENT_LENGTH)") from e
    except ClientSilent as e:
        raise RequestTimeout("the client stopped sending in the middle of the request "
                             "body (READ_TIMEOUT); send the whole body promptly") from e
    body = predictor(pixels)
    g.predicted_labels = [p["label"] for p in body["predictions"]]
    return jsonify(body)


class ClientSilent(Exception):
    """Reading the request body failed: the client went silent (gunicorn.conf.py's
    READ_TIMEOUT) or vanished. Image decoding is not inside this: its OSErrors are 400s."""


def _reading_body(read):
    """read() with a failed socket read turned into ClientSilent."""
    try:
        return read()
    except (OSError, ClientDisconnected) as e:  # werkzeug wraps some OSErrors in the latter
        raise ClientSilent(str(e)) from e


def _request_pixels(normalize_mnist: bool) -> np.ndarray:
    """The request's images as float32 (B, 28, 28) pixels 0..255, in request order."""
    kind = preprocess.media_kind(request.mimetype)
    max_batch = current_app.config["MAX_BATCH"]
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    if kind == "multipart":
        files = _reading_body(lambda: request.files.getlist(FIELD))
        if not files:
            hint = (" as a file upload (with a filename)" if FIELD in request.form
                    else "; e.g. curl -F image=@digit.png")
            raise BadRequest(f"no image: send the image in multipart field {FIELD!r}{hint}",
                             code="no_image")
        preprocess.check_batch(len(files), max_batch)
        blobs = [f.read() for f in files]
    else:
        data = _reading_body(_body)
        if kind == "json":
            grays = preprocess.parse_json(data, max_batch)
            if normalize_mnist:
                grays = [normalize.mnist(gray) for gray in grays]
            return np.stack(grays)
        blobs = [data]
    return np.stack([preprocess.image_pixels(blob, max_pixels, normalize_mnist)
                     for blob in blobs])


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
