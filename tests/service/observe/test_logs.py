"""Structured logs: one JSON object per stdout line, each request's lines carry its id."""

import json
import re

import pytest

from tests.service._fixtures import png_header
from trainer.artifact import store

HEX32 = re.compile(r"[0-9a-f]{32}")


def records(out: str) -> list[dict]:
    """Every line of captured stdout as JSON (json.loads fails on any other line)."""
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def access_lines(recs: list[dict]) -> list[dict]:
    return [r for r in recs if r["logger"] == "service.access"]


def test_access_line_has_the_request_fields_and_the_callers_id(client, capsys):
    capsys.readouterr()
    resp = client.post("/predict", json={"instances": [[0] * 784]},
                       headers={"X-Request-ID": "req-42.a:b_C"})
    assert resp.status_code == 200
    assert resp.headers["X-Request-ID"] == "req-42.a:b_C"
    (line,) = access_lines(records(capsys.readouterr().out))
    assert line["request_id"] == "req-42.a:b_C"
    assert {k: line[k] for k in ("level", "method", "path", "status", "remote_addr")} == {
        "level": "INFO", "method": "POST", "path": "/predict", "status": 200,
        "remote_addr": "127.0.0.1"}
    assert line["duration_ms"] >= 0 and line["ts"].endswith("+00:00")
    assert line["msg"] == "POST /predict 200"


@pytest.mark.parametrize("sent", [
    None,
    "x" * 129,                      # too long
    "abc def",                      # space
    "abc\",\"level\":\"ERROR",      # an attempt to forge JSON fields
    "ïd",                           # outside the allowed characters
    "",
])
def test_missing_or_insane_ids_are_replaced_by_a_fresh_uuid(client, capsys, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}
    ids = set()
    for _ in range(2):
        capsys.readouterr()
        resp = client.get("/healthz", headers=headers)
        rid = resp.headers["X-Request-ID"]
        assert HEX32.fullmatch(rid), rid
        (line,) = access_lines(records(capsys.readouterr().out))
        assert line["request_id"] == rid
        ids.add(rid)
    assert len(ids) == 2


def test_error_lines_carry_the_request_id_and_the_traceback(client, capsys, monkeypatch):
    def explode(self, pixels):
        raise RuntimeError("boom for the log test")

    monkeypatch.setattr(store.Model, "predict", explode)
    capsys.readouterr()
    resp = client.post("/predict", json={"instances": [[0] * 784]},
                       headers={"X-Request-ID": "trace-me"})
    assert resp.status_code == 500
    recs = records(capsys.readouterr().out)
    (error,) = [r for r in recs if r["level"] == "ERROR"]
    assert error["request_id"] == "trace-me"
    assert "RuntimeError: boom for the log test" in error["exc"]
    assert access_lines(recs)[0]["status"] == 500


def test_gunicorn_writes_only_json_lines_and_one_access_line(gunicorn_server, tiny_model_dir):
    server = gunicorn_server(tiny_model_dir, workers=1)
    status, headers, _ = server.predict(json.dumps({"instances": [[1] * 784]}).encode(),
                                        headers={"X-Request-ID": "gunicorn-log-test-1"})
    assert status == 200 and headers["X-Request-ID"] == "gunicorn-log-test-1"
    assert server.stop() == 0
    recs = server.log_records()  # every stdout line parses as JSON
    mine = [r for r in recs if r.get("request_id") == "gunicorn-log-test-1"]
    assert len(mine) == 1, mine  # the app's line, and no second one from gunicorn.access
    assert mine[0]["logger"] == "service.access" and mine[0]["status"] == 200
    assert mine[0]["path"] == "/predict" and mine[0]["remote_addr"] == "127.0.0.1"
    gunicorn_msgs = [r["msg"] for r in recs if r["logger"] == "gunicorn.error"]
    assert any(m.startswith("Booting worker") for m in gunicorn_msgs)
    assert any(m.startswith("model ready") for m in (r["msg"] for r in recs))
    assert not any(r["logger"] == "gunicorn.access" for r in recs)


def test_python_warnings_in_a_worker_are_json_log_lines(gunicorn_server, tiny_model_dir):
    server = gunicorn_server(tiny_model_dir, workers=1)
    # Pillow warns about images over its own bomb limit (89 M pixels) when it opens them.
    status, _, body = server.predict(png_header(10_000, 10_000),
                                     headers={"Content-Type": "image/png"})
    assert status == 422 and json.loads(body)["error"]["code"] == "image_too_large"
    assert server.stop() == 0
    warned = [r for r in server.log_records() if r["logger"] == "py.warnings"]
    assert len(warned) == 1 and "DecompressionBombWarning" in warned[0]["msg"], warned
    stderr = server.log_path.with_suffix(".err").read_text(errors="replace")
    assert "Warning" not in stderr, stderr[-1000:]
