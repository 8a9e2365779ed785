"""What an operator of a public endpoint relies on: no debugger from the environment,
no server error on the protocol's documented inputs (schemathesis), nosniff."""

import pytest

from service import create_app

EXAMPLES = 15  # per operation; CI-sized


def test_debug_cannot_be_switched_on_from_the_environment(tiny_model_dir, monkeypatch):
    for var in ("FLASK_DEBUG", "DEBUG", "FLASK_ENV", "FLASK_DEBUGGER"):
        monkeypatch.setenv(var, "1")
    monkeypatch.setenv("FLASK_ENV", "development")
    app = create_app({"MODEL_DIR": str(tiny_model_dir)})
    assert app.debug is False and not app.config.get("DEBUG")

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    assert resp.get_json() == {"error": {"code": "internal",
                                         "message": "internal error; see the server log"}}
    assert b"Traceback" not in resp.data and b"secret" not in resp.data


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_only_documented_answers(tiny_model_dir):
    """Stateless, a bounded number of examples per operation: no 5xx, and every answer's
    status, content type and body as /openapi.json documents them. (A schema-valid
    request may still be refused, e.g. a blank image under normalize=mnist: 422.)"""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    app = create_app({"MODEL_DIR": str(tiny_model_dir), "LOG_LEVEL": "WARNING"})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures, tried = [], []

    def examples_of(operation):
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            tried.append(operation.path)
            try:
                case.call_and_validate(checks=checks)
            except (AssertionError, ExceptionGroup) as e:  # schemathesis's failures
                failures.append(f"{operation.method.upper()} {operation.path}: {str(e)[:300]}")

        return check

    for result in schema.get_all_operations():
        examples_of(result.ok())()
    print(f"\nschemathesis: {len(tried)} requests over {len(set(tried))} paths")
    assert len(set(tried)) >= 15, sorted(set(tried))
    assert failures == [], "\n".join(failures[:10])
