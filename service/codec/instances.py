"""JSON bodies: the one lenient parser, and /predict's {"instances": [...]} -> pixels.

Each instance is one 28x28 image on 0..255, 784 numbers or 28 rows of 28. Every
problem is a 4xx that names the instance and what was expected.
"""

import json
import math

import numpy as np
import orjson

from service.codec import check_batch
from service.errors import BadRequest, Unprocessable
from trainer.artifact import PIXELS, SIDE

JSON_KINDS = {bool: "true/false", str: "string", type(None): "null", list: "array",
              dict: "object"}


def parse_json(data: bytes):
    """A JSON body, or a 400. orjson first; Python's parser for what orjson refuses but a
    client means as a number (NaN, Infinity, 1e999), so that the range check names it."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequest(f"malformed JSON ({str(e)[:200]})", code="malformed_json") from e


def instances(data: bytes, max_batch: int) -> np.ndarray:
    """{"instances": [784 numbers | 28x28 nested numbers, ...]} -> float32 (B, 28, 28)."""
    body = parse_json(data)
    if not isinstance(body, dict) or "instances" not in body:
        raise BadRequest('expected a JSON object {"instances": [...]}', code="malformed_json")
    found = body["instances"]
    if not isinstance(found, list):
        raise BadRequest('"instances" must be a list of images', code="malformed_json")
    if not found:
        raise BadRequest('"instances" is empty; send at least one image', code="no_image")
    _refuse_a_bare_image(found)
    check_batch(len(found), max_batch)
    # JSON true/false would pass as 1/0 in the one-array fast path; they take the slow one.
    fast = b"true" not in data and b"false" not in data
    values = _as_array(found) if fast else None
    if values is None:
        values = np.stack([_instance(i, inst) for i, inst in enumerate(found)])
    values = values.reshape(len(found), SIDE, SIDE)
    _refuse_unit_scale(values)
    return values


def _refuse_a_bare_image(found: list) -> None:
    """One image sent as the list itself, its outer list forgotten."""
    if len(found) == PIXELS and all(type(v) in (int, float) for v in found[:SIDE]):
        raise Unprocessable(
            f'"instances" holds {PIXELS} numbers: that looks like one image without its '
            'outer list; send {"instances": [[784 numbers]]}, a list of images',
            code="wrong_shape")
    if len(found) == SIDE and all(isinstance(r, list) and len(r) == SIDE and r
                                  and type(r[0]) in (int, float) for r in found):
        raise Unprocessable(
            f'"instances" holds {SIDE} rows of {SIDE} numbers: that looks like one image '
            'without its outer list; send {"instances": [[[28 numbers], ... 28 rows]]}',
            code="wrong_shape")


def _as_array(found: list) -> np.ndarray | None:
    """float32 (B, 784) or (B, 28, 28) when every instance is well formed, else None."""
    try:
        values = np.array(found)
    except (ValueError, OverflowError):  # ragged, or an int beyond int64
        return None
    if values.dtype.kind not in "iuf" or values.shape[1:] not in ((PIXELS,), (SIDE, SIDE)):
        return None
    if not np.all((values >= 0) & (values <= 255)):
        return None
    return values.astype(np.float32)


def _instance(i: int, inst) -> np.ndarray:
    """One instance -> float32 (784,), or the 422 naming what is wrong with it."""
    where = f"instances[{i}]"
    if not isinstance(inst, list):
        raise Unprocessable(f"{where}: expected a list of {PIXELS} numbers or {SIDE} rows of "
                            f"{SIDE}", code="wrong_shape")
    if len(inst) == SIDE and all(isinstance(row, list) for row in inst):
        if any(len(row) != SIDE for row in inst):
            raise Unprocessable(f"{where}: every one of the {SIDE} rows needs {SIDE} numbers",
                                code="wrong_shape")
        flat = [v for row in inst for v in row]
    elif len(inst) == PIXELS:
        flat = inst
    else:
        raise Unprocessable(f"{where}: {len(inst)} values; expected {PIXELS} numbers or "
                            f"{SIDE} rows of {SIDE}", code="wrong_shape")
    for v in flat:
        # bool is an int subclass; a JSON true is not a pixel.
        if type(v) not in (int, float):
            raise Unprocessable(f"{where}: a JSON {JSON_KINDS.get(type(v), 'value')} is not a "
                                "number", code="not_a_number")
        if not 0 <= v <= 255:
            finite = type(v) is int or math.isfinite(v)
            what = "is outside 0..255" if finite else "is not a finite number"
            raise Unprocessable(f"{where}: {repr(v)[:40]} {what}", code="out_of_range")
    return np.asarray(flat, dtype=np.float32)


def _refuse_unit_scale(values: np.ndarray) -> None:
    """Pixels scaled to 0..1 would be read as a nearly black image: a silent wrong answer."""
    flat = values.reshape(len(values), -1)
    unit = (flat.max(axis=1) <= 1.0) & np.any(flat != np.floor(flat), axis=1)
    if np.any(unit):
        i = int(np.argmax(unit))
        raise Unprocessable(
            f"instances[{i}]: every value is within 0..1 and some are fractions, so the "
            "pixels look scaled to 0..1; send pixels on 0..255 (multiply by 255), white "
            "digit on black", code="wrong_scale")
