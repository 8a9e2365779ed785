"""FeedbackStore: the bounded, durable write behind POST /feedback.

`add` commits one correction and returns its id; /feedback answers 201 only after it
returned, so a 201 is a committed row (SQLite: WAL + synchronous=FULL; PostgreSQL: its
commit). The store is bounded by FEEDBACK_MAX_ROWS: the count and the insert share one
transaction that holds the writers' lock, so the bound is exact under any number of
workers and replicas.

A store that cannot be reached is never fatal: the app starts and /predict serves;
/feedback answers 503 with the reason, and after a failure answers so at once for
RETRY_AFTER seconds before it tries the database again.
"""

import datetime as dt
import logging
import threading
import time
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from service.errors import InsufficientStorage, StoreUnavailable
from service.store import engine as engines
from service.store import migrate
from trainer.artifact.feedback import feedback

RETRY_AFTER = 1.0  # seconds
# Built once: SQLAlchemy then finds them in its compiled cache without building a key.
INSERT = feedback.insert()
COUNT = sa.select(sa.func.count()).select_from(feedback)
# What a database that is down, unreachable, locked past the timeout, read-only, out of
# disk, without the rights to create the table, or at a schema version this service does
# not know (a newer one) raises: each is the store's state, not the request's fault,
# and none may stop the service from starting.
DOWN = (sa.exc.DBAPIError, sa.exc.TimeoutError, OSError, migrate.SchemaUnknown)


@dataclass(frozen=True)
class Correction:
    """One row: the right answer, the input the model saw, and the model's own answer."""

    label: str  # "0".."9" or "none"
    pixels: bytes  # 784, uint8 (28, 28) row-major
    request_id: str | None
    model_version: str
    model_label: str
    model_is_digit: bool
    model_confidence: float

    @property
    def model_right(self) -> bool:
        """Whether the model's answer was the given one: its digit, or "not a digit"."""
        if self.label == "none":
            return not self.model_is_digit
        return self.model_is_digit and self.model_label == self.label


class FeedbackStore:
    def __init__(self, url: str, max_rows: int, timeout: int,
                 logger: logging.Logger | None = None):
        self.url, self.max_rows, self.timeout = url, max_rows, timeout
        self.logger = logger or logging.getLogger(__name__)
        self.engine: sa.Engine | None = None
        self.version: str | None = None  # the schema's, once migrated
        self._reason = "not opened yet"
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self._pool = None  # None: not decided yet; False: none (_thread_pool)

    def open(self) -> bool:
        """Connects and migrates the schema to head; False (logged) when the store is down."""
        try:
            self._run(self._engine_at_head)
        except StoreUnavailable:
            return False
        self.logger.info("feedback store ready: %s, schema %s", engines.shown(self.url),
                         self.version)
        return True

    def add(self, correction: Correction) -> int:
        """Commits `correction`; its id. StoreUnavailable (503), InsufficientStorage (507)."""
        return self._run(self._insert, correction)

    def count(self) -> int:
        return self._run(self._count)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def _run(self, work, *args):
        """work(*args), on the store's own thread where there is one (_thread_pool), with
        a store that is down as StoreUnavailable, at once while RETRY_AFTER runs."""
        if time.monotonic() < self._retry_at:
            raise StoreUnavailable(self._message())
        pool = self._thread_pool()
        try:
            return work(*args) if pool is None else pool.apply(work, args)
        except DOWN as e:
            raise self._down(e) from e

    def _thread_pool(self):
        """Under gunicorn's gevent workers, SQLite's commit (an fsync, milliseconds) would
        stop every request of the worker while it waits: the store's calls run on one
        native thread of their own instead, and the worker serves /predict meanwhile.
        psycopg already waits cooperatively under gevent, and without gevent (tests, a
        threaded server) there is nothing to hand over: None."""
        if self._pool is None:
            self._pool = False
            if engines.is_sqlite_url(self.url):
                from gevent import monkey

                if monkey.is_module_patched("socket"):
                    from gevent.threadpool import ThreadPool

                    self._pool = ThreadPool(1)  # one writer: SQLite has one write lock
        return self._pool or None

    def _engine_at_head(self) -> sa.Engine:
        if self.version is None:
            with self._lock:
                if self.version is None:
                    self.engine = self.engine or engines.connect(self.url, self.timeout)
                    self.version = migrate.upgrade(self.engine)
        return self.engine

    def _insert(self, correction: Correction) -> int:
        row = {**asdict(correction), "created_at": dt.datetime.now(dt.UTC)}
        with self._engine_at_head().begin() as db:
            migrate.lock(db)
            if db.scalar(COUNT) >= self.max_rows:
                raise InsufficientStorage(
                    f"the feedback store holds FEEDBACK_MAX_ROWS={self.max_rows} "
                    "corrections, its limit: export them (python -m trainer "
                    "export-feedback, README: Learn from your users), delete the exported "
                    "rows, or raise FEEDBACK_MAX_ROWS; nothing was stored")
            return db.execute(INSERT, row).inserted_primary_key[0]

    def _count(self) -> int:
        with self._engine_at_head().connect() as db:
            return db.scalar(COUNT)

    def _down(self, e: Exception) -> StoreUnavailable:
        self._reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:200]
        self._retry_at = time.monotonic() + RETRY_AFTER
        self.logger.warning("feedback store unavailable: %s", self._reason)
        return StoreUnavailable(self._message())

    def _message(self) -> str:
        return (f"the feedback store ({engines.shown(self.url)}) cannot take corrections "
                f"now: {self._reason}; nothing was stored, try again later (/predict "
                "still serves)")
