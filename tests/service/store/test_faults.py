"""Faults under a write load, on a real gunicorn (2 workers) on 127.0.0.1, bounded in
time: PostgreSQL stopped in the middle, and workers SIGKILLed in the middle of SQLite
writes. Whatever was answered 201 must be in the database afterwards."""

import json
import os
import signal
import sqlite3
import threading
import time

import pytest

from tests.helpers.bodies import digit_png
from tests.helpers.servers import Gunicorn, request
from tests.helpers.stores import Postgres, rows
from tests.service.conftest import instances_body
from tests.service.store.conftest import need_postgres

LOAD_SECONDS = 12.0  # the most any load below runs


class Load:
    """Threads posting corrections (and /predict, with `predict=True`) until stopped;
    every answer as (started, seconds, status, body) in .feedback and .predict."""

    def __init__(self, server: Gunicorn, writers: int, predict: bool = False):
        self.server, self.stop = server, threading.Event()
        self.feedback: list[tuple] = []
        self.predict: list[tuple] = []
        self.threads = [threading.Thread(target=self._write, args=(i,)) for i in range(writers)]
        if predict:
            self.threads.append(threading.Thread(target=self._predict))
        for t in self.threads:
            t.start()

    def _write(self, writer: int) -> None:
        deadline, n = time.monotonic() + LOAD_SECONDS, 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            n += 1
            path = f"/feedback?label=7&request_id=w{writer}-{n}"
            self.feedback.append(self._call("POST", path, digit_png(), "image/png"))

    def _predict(self) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.predict.append(self._call("POST", "/predict", instances_body(1, 200),
                                           "application/json"))

    def _call(self, method, path, body, kind) -> tuple:
        started = time.monotonic()
        try:
            status, _, raw = request(self.server.port, method, path, body,
                                     headers={"Content-Type": kind}, timeout=10)
        except OSError as e:  # a worker killed in the middle of the request
            status, raw = None, repr(e).encode()
        return started, time.monotonic() - started, status, raw

    def until(self, count: int, timeout: float = 30.0) -> None:
        """Waits until `count` corrections were answered 201."""
        deadline = time.monotonic() + timeout
        while self.created() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.created() >= count, self.statuses()

    def created(self) -> int:
        return sum(1 for a in self.feedback if a[2] == 201)

    def statuses(self) -> dict:
        out = {}
        for a in self.feedback:
            out[a[2]] = out.get(a[2], 0) + 1
        return out

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(LOAD_SECONDS + 15)


def created_ids(load: Load) -> dict[int, str]:
    """{record id: request_id} of every correction answered 201."""
    return {body["id"]: body["request_id"]
            for body in (json.loads(a[3]) for a in load.feedback if a[2] == 201)}


@pytest.fixture
def own_postgres():
    """A cluster of this test's own: the session's must not be stopped under others."""
    need_postgres()
    server = Postgres().start()
    yield server
    server.close()


def test_postgres_stopped_mid_load(own_postgres, tiny_model_dir):
    server = Gunicorn(model_dir=tiny_model_dir, workers=2,
                      env={"FEEDBACK_DB": own_postgres.url, "GRPC_PORT": "0"})
    try:
        load = Load(server, writers=3, predict=True)
        load.until(30)
        own_postgres.stop("fast")
        stopped = time.monotonic()
        time.sleep(3.0)
        load.finish()
    finally:
        server.stop()
    after = [a for a in load.feedback if a[0] > stopped]
    assert after and all(a[2] == 503 for a in after), load.statuses()
    assert max(a[1] for a in after) < 1.0, "a 503 took a second or more"
    assert all(b"/predict still serves" in a[3] for a in after)
    assert load.predict and all(a[2] == 200 for a in load.predict), \
        {a[2] for a in load.predict}
    assert {a[2] for a in load.feedback} <= {201, 503}, load.statuses()
    own_postgres.start()
    kept = {r.id: r.request_id for r in rows(own_postgres.url)}
    created = created_ids(load)
    assert created and all(kept.get(i) == rid for i, rid in created.items())


def test_workers_killed_mid_sqlite_writes(tmp_path, tiny_model_dir):
    db = tmp_path / "feedback.db"
    server = Gunicorn(model_dir=tiny_model_dir, workers=2,
                      env={"FEEDBACK_DB": f"sqlite:///{db}", "GRPC_PORT": "0"})
    try:
        load = Load(server, writers=4)
        for kills in range(1, 4):
            load.until(20 * kills)
            victim = server.workers()[0]
            os.kill(victim, signal.SIGKILL)
        load.until(80)
        load.finish()
    finally:
        server.stop()
    assert {a[2] for a in load.feedback} <= {201, None}, load.statuses()
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    kept = {r.id: r.request_id for r in rows(f"sqlite:///{db}")}
    created = created_ids(load)
    assert len(created) >= 80 and all(kept.get(i) == rid for i, rid in created.items())
