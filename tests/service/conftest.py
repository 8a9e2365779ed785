"""Service fixtures: an app on a tiny model, its test client, and real gunicorn servers.

`gunicorn_server(model_dir, workers=1)` starts `gunicorn -c service/server/conf.py
"service:create_app()"` on 127.0.0.1 at a free port, waits until /readyz answers 200
and returns a `Server`; every server is stopped when the test ends, whatever happens.
"""

import json
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from tests.helpers.servers import Gunicorn


@pytest.fixture
def app(tiny_model_dir):
    return create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def instances_body(count: int, value: int = 0) -> bytes:
    """A JSON /predict body of `count` images of 784 equal pixel values."""
    return json.dumps({"instances": [[value] * 784] * count}).encode()


def metric_samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label items): value} of a Prometheus text exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


class Server(Gunicorn):
    """The service under gunicorn, with what the tests ask of it."""

    def metrics(self) -> dict[tuple, float]:
        status, _, body = self.get("/metrics")
        assert status == 200, body[:300]
        return metric_samples(body.decode())

    def predict_until(self, stop, versions: list, failures: list, *, max_requests: int,
                      seconds: float) -> None:
        """One-image predictions on fresh connections until `stop` is set, `max_requests`
        are answered or `seconds` pass: each 200's model version goes to `versions`,
        anything else (another status, a refused or broken connection) to `failures`."""
        body = instances_body(1, value=200)
        deadline = time.monotonic() + seconds
        while (not stop.is_set() and len(versions) + len(failures) < max_requests
               and time.monotonic() < deadline):
            try:
                status, _, raw = self.predict(body)
            except OSError as e:
                failures.append(repr(e))
                continue
            if status == 200:
                versions.append(json.loads(raw)["model"]["version"])
            else:
                failures.append(f"{status} {raw[:200]!r}")


@pytest.fixture
def gunicorn_server(tmp_path):
    servers: list[Server] = []

    def start(model_dir, workers: int = 1, env: dict | None = None) -> Server:
        """A ready server; `env` adds to (value None: removes from) its environment."""
        try:
            server = Server(model_dir=model_dir, workers=workers, env=env, log_dir=tmp_path)
        except RuntimeError as e:
            pytest.fail(str(e))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
