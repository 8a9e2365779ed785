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
# What SQLAlchemy raises for a database that is down, unreachable, locked past the
# timeout, read-only or out of disk: each is the store's state, not the request's fault.
DOWN = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, OSError)


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

    def open(self) -> bool:
        """Connects and migrates the schema to head; False (logged) when the store is down."""
        try:
            self._ready()
        except StoreUnavailable:
            return False
        self.logger.info("feedback store ready: %s, schema %s", engines.shown(self.url),
                         self.version)
        return True

    def add(self, correction: Correction) -> int:
        """Commits `correction`; its id. StoreUnavailable (503), InsufficientStorage (507)."""
        engine = self._ready()
        row = {**asdict(correction), "created_at": dt.datetime.now(dt.UTC)}
        try:
            with engine.begin() as db:
                migrate.lock(db)
                if db.scalar(sa.select(sa.func.count()).select_from(feedback)) >= self.max_rows:
                    raise InsufficientStorage(
                        f"the feedback store holds FEEDBACK_MAX_ROWS={self.max_rows} "
                        "corrections, its limit: export them (README: Learn from your "
                        "users), delete the exported rows, or raise FEEDBACK_MAX_ROWS; "
                        "nothing was stored")
                return db.execute(feedback.insert().values(**row)).inserted_primary_key[0]
        except DOWN as e:
            raise self._down(e) from e

    def count(self) -> int:
        engine = self._ready()
        try:
            with engine.connect() as db:
                return db.scalar(sa.select(sa.func.count()).select_from(feedback))
        except DOWN as e:
            raise self._down(e) from e

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def _ready(self) -> sa.Engine:
        """The engine, with the schema at head; StoreUnavailable while the store is down."""
        if time.monotonic() < self._retry_at:
            raise StoreUnavailable(self._message())
        if self.version is not None:
            return self.engine
        with self._lock:
            if self.version is None:
                try:
                    self.engine = self.engine or engines.connect(self.url, self.timeout)
                    self.version = migrate.upgrade(self.engine)
                except DOWN as e:
                    raise self._down(e) from e
        return self.engine

    def _down(self, e: Exception) -> StoreUnavailable:
        self._reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:200]
        self._retry_at = time.monotonic() + RETRY_AFTER
        self.logger.warning("feedback store unavailable: %s", self._reason)
        return StoreUnavailable(self._message())

    def _message(self) -> str:
        return (f"the feedback store ({engines.shown(self.url)}) cannot take corrections "
                f"now: {self._reason}; nothing was stored, try again later (/predict "
                "still serves)")
