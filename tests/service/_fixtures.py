"""Helpers for the inference tests; the `app` and `client` fixtures are in conftest.py.

The `app` fixture serves a tiny random model (tests/conftest.py); tests that
need a model that actually reads digits use `default_model_dir()`, the shipped
models/default, and skip while it has not been built.
"""

import io
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import ROOT
from tests.helpers.bodies import encode, png, png_header

__all__ = ["encode", "png", "png_header"]

RESOURCES = ROOT / "tests" / "resources"
DEFAULT_MODEL = ROOT / "models" / "default"
ERROR_STATUSES = {400, 413, 415, 422}


def default_model_dir() -> Path:
    if not (DEFAULT_MODEL / "model.json").exists():
        pytest.skip("models/default is not built yet; train it with `python -m trainer train`")
    return DEFAULT_MODEL


def random_digits(n: int, seed: int) -> np.ndarray:
    """uint8 (n, 28, 28) blobs that a random model tells apart (not real digits)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def post_image(client, data: bytes, content_type: str = "image/png", query: str = ""):
    return client.post(f"/predict{query}", data=data, content_type=content_type)


def post_files(client, blobs, query: str = "", field: str = "image"):
    files = [(io.BytesIO(b), f"{i}.png") for i, b in enumerate(blobs)]
    return client.post(f"/predict{query}", data={field: files},
                       content_type="multipart/form-data")


def post_json(client, body, query: str = ""):
    return client.post(f"/predict{query}", json=body)


def assert_error(resp, status: int, code: str | None = None) -> dict:
    """The response is the JSON error shape with `status` (and `code`, if given)."""
    assert resp.status_code == status, (resp.status_code, resp.get_data()[:300])
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def assert_predictions(resp, count: int) -> list[dict]:
    """A 200 with `count` predictions, each a label and 10 probabilities summing to 1."""
    assert resp.status_code == 200, (resp.status_code, resp.get_data()[:300])
    body = resp.get_json()
    assert set(body) == {"model", "predictions"}
    assert set(body["model"]) == {"name", "version"}
    assert len(body["predictions"]) == count
    for p in body["predictions"]:
        assert type(p["is_digit"]) is bool and 0.0 <= p["confidence"] <= 1.0, p
        probs = p["probabilities"]
        assert len(probs) == 10 and all(0.0 <= q <= 1.0 for q in probs)
        assert abs(sum(probs) - 1.0) < 1e-5
        assert p["label"] == int(np.argmax(probs)) and type(p["label"]) is int
    return body["predictions"]


def tiny_client(tmp_path_factory, **config):
    """A test client of the app on a fresh tiny random model, with `config` on top: for
    the fuzz tests, which need the service's behaviour, not a model that reads digits."""
    from service import create_app
    from tests.conftest import write_tiny_model

    model_dir = tmp_path_factory.mktemp("tiny") / "model"
    write_tiny_model(model_dir)
    return create_app({"MODEL_DIR": str(model_dir), "TESTING": True, **config}).test_client()
