"""The feedback schema, created and versioned at start: Alembic's `upgrade head` on the
store's engine, its scripts in migrations/versions/, the version in alembic_version.

Several workers (and several replicas) start at once; one migrates while the others
wait: SQLite's BEGIN IMMEDIATE (engine.py) and PostgreSQL's transaction-scoped advisory
lock serialize them, and whoever comes second finds the schema at head and does nothing.
"""

from pathlib import Path

import sqlalchemy as sa

from service.store.engine import is_sqlite

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest script's revision (tests/service/store/test_store.py holds it to Alembic's
# head). A worker that finds the store at HEAD neither imports nor runs Alembic, which
# would add about a third of a second to every worker's start.
HEAD = "0001"
VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock's key for the feedback store's schema changes and bounded writes.
LOCK_KEY = 0x6D6E6973  # "mnis"


class SchemaUnknown(Exception):
    """The store is at a schema version this service has no script for (a newer one)."""


def config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest schema version the scripts know, as Alembic reads them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()


def current(connection: sa.Connection) -> str | None:
    """The store's schema version; None for a store never migrated."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def lock(connection: sa.Connection) -> None:
    """Serializes the caller's transaction with the other writers (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already has)."""
    if not is_sqlite(connection.engine):
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def upgrade(engine: sa.Engine) -> str:
    """Brings the store's schema to HEAD (in one transaction when it must change);
    returns the version. SchemaUnknown for a version newer than HEAD."""
    with engine.connect() as connection:
        if current(connection) == HEAD:
            return HEAD
    from alembic import command
    from alembic.util.exc import CommandError

    cfg = config()
    with engine.begin() as connection:
        lock(connection)
        cfg.attributes["connection"] = connection
        try:
            command.upgrade(cfg, "head")
        except CommandError as e:
            raise SchemaUnknown(f"the store's schema is at version {current(connection)!r}, "
                                f"which this service (at {HEAD}) has no script for: run the "
                                "newer release, or point FEEDBACK_DB at another store") from e
        return current(connection)
