"""The feedback store's backends, each real: a SQLite file in tmp_path, and a PostgreSQL
cluster (Debian's binaries, tests/helpers/stores.py) started once per session, with a
fresh database per test.

Without PostgreSQL installed its cases skip and say why, unless REQUIRE_TOOLS=1 (CI),
where they fail.
"""

import itertools
import os

import pytest
import sqlalchemy as sa

from service import create_app
from tests.helpers.stores import Postgres, binaries
from trainer.artifact.feedback import engine_url

BACKENDS = ("sqlite", "postgresql")
_names = itertools.count()


def need_postgres() -> None:
    """Skips without PostgreSQL's binaries, or fails under REQUIRE_TOOLS=1 (CI)."""
    if binaries() is None:
        why = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(f"REQUIRE_TOOLS=1 but {why}")
        pytest.skip(why)


@pytest.fixture(scope="session")
def postgres():
    need_postgres()
    server = Postgres().start()
    yield server
    server.close()


def new_database(server: Postgres) -> str:
    """A fresh, empty database on `server`; its plain postgresql:// URL."""
    name = f"feedback_{os.getpid()}_{next(_names)}"
    admin = sa.create_engine(engine_url(server.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A FEEDBACK_DB URL for an empty store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'feedback.db'}"
    return new_database(request.getfixturevalue("postgres"))


@pytest.fixture
def feedback_app(tiny_model_dir, db_url):
    return create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True, "FEEDBACK_DB": db_url})

