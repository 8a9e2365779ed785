"""The OpenAPI description of POST /feedback: an image and the right answer -> a stored
correction."""

from service.codec import images
from service.codec.feedback import LABEL_FIELD, REQUEST_ID_FIELD
from service.http.openapi.schema import error, json_body, obj, ref
from trainer.artifact import DIGITS
from trainer.artifact.feedback import LABELS, REQUEST_ID_WIDTH

_LABEL = {"type": "string", "enum": list(LABELS),
          "description": "the right answer: a digit, or none for an image that is no digit"}
_REQUEST_ID = {"type": "string", "pattern": f"^[A-Za-z0-9._:-]{{1,{REQUEST_ID_WIDTH}}}$",
               "description": "the X-Request-ID header of the /predict answer corrected"}


def schemas() -> dict:
    return {"FeedbackResponse": obj({
        "id": {"type": "integer", "minimum": 1, "description": "the stored record's id"},
        "label": _LABEL,
        "request_id": {"type": ["string", "null"]},
        "model": ref("ModelRef"),
        "prediction": obj({
            "label": {"type": "integer", "minimum": int(DIGITS[0]), "maximum": int(DIGITS[-1])},
            "is_digit": {"type": "boolean"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1}}),
        "model_right": {"type": "boolean",
                        "description": "whether the model's answer was the label given"}})}


def path(max_content_length: int, max_rows: int) -> dict:
    binary = {"type": "string", "format": "binary"}
    query = [{"name": "normalize", "in": "query", "required": False,
              "schema": {"type": "string", "enum": ["mnist"]},
              "description": "as for /predict: the MNIST recipe for an image of any size"},
             {"name": LABEL_FIELD, "in": "query", "required": False, "schema": _LABEL,
              "description": "the right answer, for a body that is the image itself"},
             {"name": REQUEST_ID_FIELD, "in": "query", "required": False,
              "schema": _REQUEST_ID}]
    form = obj({"image": binary, LABEL_FIELD: _LABEL}, {REQUEST_ID_FIELD: _REQUEST_ID})
    return {"post": {
        "summary": "Correct an answer: store the image, the right label and the model's answer",
        "operationId": "feedback",
        "security": [{}, {"feedbackToken": []}],
        "parameters": query,
        "requestBody": {"required": True, "description": f"one image, as /predict takes it: "
                                                         f"{images.NAMES}",
                        "content": {"multipart/form-data": {"schema": form},
                                    "image/*": {"schema": binary},
                                    "application/json": {"schema": ref("Instances")}}},
        "responses": {
            "201": json_body(ref("FeedbackResponse"), "Stored (committed)"),
            "400": error("Malformed request: no image, undecodable image, no or bad label, "
                         "bad request_id"),
            "401": error("FEEDBACK_TOKEN is set and the request has not its Bearer token"),
            "404": error("Corrections are switched off (FEEDBACK_DB=off)"),
            "408": error("The client went silent in the middle of the body (READ_TIMEOUT)"),
            "413": error(f"Body over MAX_CONTENT_LENGTH ({max_content_length} bytes)"),
            "415": error("Content-Type not accepted"),
            "422": error("Well-formed but unusable: wrong size or shape, more than one image"),
            "503": error("No verified model loaded, or the feedback store is down (the "
                         "message says which); nothing was stored"),
            "507": error(f"The store holds FEEDBACK_MAX_ROWS ({max_rows}) corrections; "
                         "nothing was stored"),
            "default": error("Any other error, e.g. 500")}}}


SECURITY = {"feedbackToken": {"type": "http", "scheme": "bearer",
                              "description": "FEEDBACK_TOKEN, when the operator set one"}}
