"""The feedback schema, created and versioned at start: Alembic's `upgrade head` on the
store's engine, its scripts in migrations/versions/, the version in alembic_version.

Several workers (and several replicas) start at once; one migrates while the others
wait: SQLite's BEGIN IMMEDIATE (engine.py) and PostgreSQL's transaction-scoped advisory
lock serialize them, and whoever comes second finds the schema at head and does nothing.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.store.engine import is_sqlite

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock's key for the feedback store's schema changes and bounded writes.
LOCK_KEY = 0x6D6E6973  # "mnis"


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest schema version the scripts know."""
    return ScriptDirectory.from_config(config()).get_current_head()


def lock(connection: sa.Connection) -> None:
    """Serializes the caller's transaction with the other writers (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already has)."""
    if not is_sqlite(connection.engine):
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def upgrade(engine: sa.Engine) -> str:
    """Brings the store's schema to head in one transaction; returns the version."""
    cfg = config()
    with engine.begin() as connection:
        lock(connection)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        return MigrationContext.configure(connection).get_current_revision()
