"""POST /feedback: a person's correction of an answer, stored for retraining.

The image is read and decoded as /predict reads it (any form /predict accepts,
?normalize=mnist as there), the served model answers it again, and the store keeps the
input the model saw, the given label and the model's answer. Every check on what the
client sent comes before the write, so a refused request writes nothing.
"""

import hmac

from flask import Blueprint, Response, current_app, request

from service.codec import feedback as fb
from service.codec import predict as codec
from service.errors import BadRequest, NotFound, Unauthorized
from service.http import body
from service.http.routes import recipe
from service.observe import logs
from service.store.feedback import Correction

bp = Blueprint("feedback", __name__)


@bp.post("/feedback")
def post_feedback():
    store = current_app.extensions["feedback"]
    if store is None:
        raise NotFound("corrections are switched off on this server (FEEDBACK_DB=off)",
                       code="feedback_off")
    _check_token(current_app.config["FEEDBACK_TOKEN"])
    model = current_app.extensions["predictor"].current()
    config = current_app.config
    options = codec.Options(normalize_mnist=recipe(), return_input=False,
                            max_batch=config["MAX_BATCH"], max_pixels=config["MAX_IMAGE_PIXELS"])
    kind = codec.media_kind(request.mimetype)
    payload = body.files(codec.FIELD) if kind == "multipart" else body.data()
    label, request_id = fb.label_of(_field(fb.LABEL_FIELD)), _request_id()
    x = fb.one_input(codec.decode(kind, payload, options).x)
    prediction = model.predict(x)
    correction = Correction(label=label, request_id=request_id,
                            **fb.fields(model, prediction, x))
    record_id = store.add(correction)
    current_app.extensions["metrics"].corrected(model.version, correction.model_right)
    return Response(fb.answer(model, record_id, correction), status=201,
                    mimetype=codec.JSON_TYPE)


def _field(name: str) -> str | None:
    """A multipart form field, else the query parameter of that name."""
    value = request.form.get(name) if request.mimetype == codec.MULTIPART else None
    return value if value is not None else request.args.get(name)


def _request_id() -> str | None:
    raw = _field(fb.REQUEST_ID_FIELD)
    if raw is None or raw == "":
        return None
    if not logs.is_sane(raw):
        raise BadRequest(f"{fb.REQUEST_ID_FIELD}={raw[:40]!r}: expected the X-Request-ID "
                         "header of the /predict answer corrected (1-128 of A-Za-z0-9._:-)",
                         code="bad_request_id")
    return raw


def _check_token(token: str) -> None:
    """With FEEDBACK_TOKEN set, only "Authorization: Bearer <token>" may write."""
    if not token:
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        raise Unauthorized("corrections need the operator's token here: send "
                           "Authorization: Bearer <FEEDBACK_TOKEN>")
