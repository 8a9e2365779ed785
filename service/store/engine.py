"""An engine for FEEDBACK_DB: SQLite or PostgreSQL, durable, and quick to fail.

SQLite: the WAL journal with synchronous=FULL, so that a committed write survives a
killed process or a power cut; every transaction starts with BEGIN IMMEDIATE, so that
writers queue for SQLite's one write lock (for up to FEEDBACK_TIMEOUT) instead of
failing when two upgrade a read lock at once. SQLAlchemy's recipe: the driver's own
transaction handling is off and the engine issues BEGIN itself.
PostgreSQL: psycopg 3, a connect timeout, statement and lock timeouts, and a ping on
each checkout, so that a database that went away costs one fast failure, not a hang.
"""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from trainer.artifact.feedback import engine_url

# Connections one worker keeps to PostgreSQL: writes are short, a worker's greenlets
# queue for these.
POOL_SIZE, MAX_OVERFLOW = 2, 2


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def connect(url: str, timeout: int) -> sa.Engine:
    """An engine for the SQLAlchemy URL `url` (plain postgresql:// URLs take psycopg 3);
    `timeout`: seconds to connect or wait for a lock. Creates a SQLite file's folder."""
    url = engine_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed, timeout)
    ms = timeout * 1000
    return sa.create_engine(
        parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW,
        pool_timeout=timeout, pool_recycle=3600,
        connect_args={"connect_timeout": timeout,
                      "options": f"-c statement_timeout={ms} -c lock_timeout={ms}"})


def _sqlite(parsed: sa.URL, timeout: int) -> sa.Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _durable(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the engine issues BEGIN (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={timeout * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def shown(url: str) -> str:
    """`url` without its password, for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unparsable URL)"
