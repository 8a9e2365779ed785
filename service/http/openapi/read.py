"""The OpenAPI description of POST /read: one image of a number -> its digits."""

from service.codec import images
from service.http.openapi.schema import error, json_body, obj, ref
from trainer.artifact import DIGITS, SIDE


def schemas(max_digits: int) -> dict:
    """ReadResponse and Digit; `max_digits` is MAX_DIGITS."""
    pixel_rows = {"type": "array", "minItems": SIDE, "maxItems": SIDE,
                  "items": {"type": "array", "minItems": SIDE, "maxItems": SIDE,
                            "items": {"type": "integer", "minimum": 0, "maximum": 255}}}
    return {
        "Digit": obj({
            "label": {"type": "integer", "minimum": int(DIGITS[0]), "maximum": int(DIGITS[-1])},
            "is_digit": {"type": "boolean", "description": "false for a mark that is no "
                         "digit (a dash, a letter, a smudge): a ? in text"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "the calibrated probability that label is right"},
            "box": {"type": "array", "minItems": 4, "maxItems": 4,
                    "items": {"type": "integer", "minimum": 0},
                    "description": "x0, y0, x1, y1 (exclusive) in the uploaded image's "
                                   "pixels, as displayed (EXIF orientation applied)"},
            "probabilities": {"type": "array", "minItems": len(DIGITS), "maxItems": len(DIGITS),
                              "items": {"type": "number", "minimum": 0, "maximum": 1}}},
            {"input": {**pixel_rows, "description": "with return_input=true: the 28x28 "
                                                    "pixels this box became"}}),
        "ReadResponse": obj({
            "model": ref("ModelRef"),
            "text": {"type": "string", "pattern": "^[0-9?]*$",
                     "description": "the digits left to right; ? where a mark is read as "
                                    "no digit"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                           "description": "the calibrated probability that text is the "
                                          "whole number, right in every digit (0 with a ?)"},
            "digits": {"type": "array", "maxItems": max_digits, "items": ref("Digit"),
                       "description": "every mark read, left to right"}}),
    }


def path(max_content_length: int, max_digits: int) -> dict:
    binary = {"type": "string", "format": "binary"}
    return {"post": {
        "summary": "Read a whole written number: its digits, left to right, with boxes",
        "operationId": "read",
        "parameters": [
            {"name": "return_input", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
             "description": "true: each digit also carries `input`, the pixels the model saw"}],
        "requestBody": {"required": True, "description": f"one image file: {images.NAMES}, "
                                                         "dark ink on light paper or light on dark",
                        "content": {
            "multipart/form-data": {"schema": obj({"image": binary})},
            "image/*": {"schema": binary},
            "application/json": {"schema": ref("Instances")}}},
        "responses": {
            "200": json_body(ref("ReadResponse"), "The number read"),
            "400": error("Malformed request: no image, undecodable image, bad JSON"),
            "408": error("The client went silent in the middle of the body (READ_TIMEOUT)"),
            "413": error(f"Body over MAX_CONTENT_LENGTH ({max_content_length} bytes)"),
            "415": error("Content-Type not accepted"),
            "422": error(f"Well-formed but unusable: more than one image, no digit found, "
                         f"more than MAX_DIGITS ({max_digits}) digits"),
            "503": error("No verified model loaded"),
            "default": error("Any other error, e.g. 500")}}}
