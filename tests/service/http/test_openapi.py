"""GET /openapi.json is a valid OpenAPI document that matches the app route for route,
and real responses validate against the schemas it documents."""

import io
import re

import jsonschema
import pytest
from openapi_spec_validator import validate
from PIL import Image

from service import create_app
from tests.service.conftest import instances_body

AUTOMATIC = {"HEAD", "OPTIONS"}  # methods Flask adds to every rule


@pytest.fixture
def doc(client):
    resp = client.get("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def flask_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <path:x> -> {x}
        ops |= {(path, m.lower()) for m in rule.methods - AUTOMATIC}
    return ops


def documented_operations(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item
            if method in {"get", "put", "post", "delete", "patch"}}


def check(doc, path: str, method: str, resp) -> None:
    """`resp` validates against the schema `doc` gives for its status (explicitly documented)."""
    responses = doc["paths"][path][method]["responses"]
    assert str(resp.status_code) in responses, (path, method, resp.status_code)
    content = responses[str(resp.status_code)]["content"]
    assert resp.mimetype in content, (path, resp.mimetype)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "components": doc["components"], **content[resp.mimetype]["schema"]}
    jsonschema.validate(resp.get_json(), schema,
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_document_is_valid_openapi(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_every_route_is_documented_and_every_documented_route_exists(app, doc):
    assert flask_operations(app) == documented_operations(doc)


def test_predict_accepts_the_three_documented_media_types(doc):
    body = doc["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "image/*", "application/json"}


def test_real_responses_match_their_schemas(app, client, doc):
    check(doc, "/predict", "post", client.post("/predict", data=instances_body(3),
                                               content_type="application/json"))
    png = io.BytesIO()
    Image.new("L", (28, 28), 255).save(png, "PNG")
    check(doc, "/predict", "post", client.post("/predict", data=png.getvalue(),
                                               content_type="image/png"))
    check(doc, "/predict", "post", client.post(
        "/predict", data={"image": [(io.BytesIO(png.getvalue()), "a.png")] * 2},
        content_type="multipart/form-data"))
    errors = [
        client.post("/predict", data=b"{", content_type="application/json"),     # 400
        client.post("/predict", data=b"x", content_type="text/plain"),           # 415
        client.post("/predict", json={"instances": [[1, 2, 3]]}),                # 422
        client.post("/predict", data=b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                    content_type="image/png"),                                   # 413
    ]
    assert [r.status_code for r in errors] == [400, 415, 422, 413]
    for resp in errors:
        check(doc, "/predict", "post", resp)
    for path in ("/healthz", "/readyz", "/model", "/openapi.json"):
        check(doc, path, "get", client.get(path))
    assert client.get("/metrics").mimetype in doc["paths"]["/metrics"]["get"]["responses"][
        "200"]["content"]


def test_not_ready_responses_match_their_schemas(tmp_path):
    client = create_app({"MODEL_DIR": str(tmp_path / "none"), "TESTING": True}).test_client()
    doc = client.get("/openapi.json").get_json()
    for path in ("/readyz", "/model"):
        resp = client.get(path)
        assert resp.status_code == 503
        check(doc, path, "get", resp)
    resp = client.post("/predict", data=instances_body(1), content_type="application/json")
    assert resp.status_code == 503
    check(doc, "/predict", "post", resp)


def test_instances_schema_matches_what_the_service_accepts(client, doc):
    schema = {"components": doc["components"], "$ref": "#/components/schemas/Instances"}
    validator = jsonschema.Draft202012Validator(schema)
    accepted = {"instances": [[0] * 784, [[255] * 28] * 28]}
    assert validator.is_valid(accepted)
    assert client.post("/predict", json=accepted).status_code == 200
    for refused in ({"instances": []}, {"instances": [[0] * 783]},
                    {"instances": [[256] * 784]}, {"images": [[0] * 784]}):
        assert not validator.is_valid(refused), refused
        assert client.post("/predict", json=refused).status_code in {400, 422}, refused


def test_the_documented_limits_are_the_apps_settings(tiny_model_dir):
    config = {"MODEL_DIR": str(tiny_model_dir), "TESTING": True, "MAX_BATCH": 7,
              "MAX_CONTENT_LENGTH": 123456, "V2_MAX_CONTENT_LENGTH": 54321}
    app = create_app(config)
    client = app.test_client()
    doc = client.get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert schemas["Instances"]["properties"]["instances"]["maxItems"] == 7
    assert schemas["PredictResponse"]["properties"]["predictions"]["maxItems"] == 7
    labels = app.extensions["predictor"].current().labels
    prediction = schemas["Prediction"]["properties"]
    assert prediction["probabilities"]["minItems"] == prediction["probabilities"]["maxItems"] \
        == len(labels)
    assert (prediction["label"]["minimum"], prediction["label"]["maximum"]) == \
        (int(labels[0]), int(labels[-1]))
    assert "123456 bytes" in doc["paths"]["/predict"]["post"]["responses"]["413"]["description"]
    infer = doc["paths"]["/v2/models/{name}/infer"]["post"]
    assert "54321 bytes" in infer["description"]
    assert "54321 bytes" in infer["responses"]["413"]["description"]
    inputs = infer["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "1 to 7 (MAX_BATCH)" in inputs["inputs"]["description"]
    # What the document says is what the service does: one image over the limit is refused.
    assert client.post("/predict", data=instances_body(7),
                       content_type="application/json").status_code == 200
    assert client.post("/predict", data=instances_body(8),
                       content_type="application/json").status_code == 422
