"""The store on a real SQLite file and a real PostgreSQL: the schema Alembic creates is the
one trainer/artifact/feedback.py defines, writes are committed and bounded exactly, SQLite
is durable, and a store that is down answers 503 at once."""

import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from service.errors import InsufficientStorage, StoreUnavailable
from service.settings import SettingError, resolve
from service.store import migrate
from service.store.engine import connect
from service.store.feedback import Correction, FeedbackStore
from tests.helpers.servers import free_port
from tests.helpers.stores import rows
from trainer.artifact.feedback import metadata


def correction(label="7", seed=0, model_label="1", is_digit=True) -> Correction:
    pixels = np.random.default_rng(seed).integers(0, 256, 784, dtype=np.uint8).tobytes()
    return Correction(label=label, pixels=pixels, request_id=f"req-{seed}", model_version="v1",
                      model_label=model_label, model_is_digit=is_digit, model_confidence=0.25)


def test_migrations_create_the_schema_the_kernel_defines(db_url):
    store = FeedbackStore(db_url, max_rows=10, timeout=2)
    assert store.open() and store.version == migrate.head() == "0001"
    with store.engine.connect() as db:
        assert compare_metadata(MigrationContext.configure(db), metadata) == []
        assert MigrationContext.configure(db).get_current_revision() == "0001"
    store.close()


def test_workers_starting_together_migrate_once(db_url):
    """Four stores open one empty database at once: all end at head, none fails."""
    stores = [FeedbackStore(db_url, max_rows=10, timeout=10) for _ in range(4)]
    results = [None] * 4
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, stores[i].open()))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [True] * 4
    for store in stores:
        store.close()


def test_a_write_is_committed_with_every_field(db_url):
    store = FeedbackStore(db_url, max_rows=10, timeout=2)
    written = [correction("7", 0), correction("none", 1, is_digit=False)]
    ids = [store.add(c) for c in written]
    store.close()
    found = rows(db_url)  # a connection of its own: only committed rows are visible
    assert [r.id for r in found] == ids and len(set(ids)) == 2
    for row, want in zip(found, written, strict=True):
        assert (row.label, bytes(row.pixels), row.request_id, row.model_version,
                row.model_label, row.model_is_digit, row.model_confidence) == (
            want.label, want.pixels, want.request_id, want.model_version, want.model_label,
            want.model_is_digit, want.model_confidence)
        assert row.created_at is not None


def test_the_bound_is_exact_and_a_full_store_writes_nothing(db_url):
    store = FeedbackStore(db_url, max_rows=3, timeout=5)
    errors = []

    def write(seed):
        try:
            store.add(correction(seed=seed))
        except InsufficientStorage as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert store.count() == 3 and len(errors) == 5
    assert errors[0].status == 507 and "FEEDBACK_MAX_ROWS=3" in errors[0].message
    store.close()


def test_sqlite_is_in_wal_mode_with_full_sync(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'a' / 'b' / 'fb.db'}", timeout=2)
    with engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert db.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_a_store_that_is_down_answers_503_at_once_and_says_why():
    store = FeedbackStore(f"postgresql://nobody@127.0.0.1:{free_port()}/none", 10, timeout=2)
    assert store.open() is False
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        store.add(correction())
    assert time.monotonic() - started < 1.0
    assert caught.value.status == 503 and "/predict still serves" in caught.value.message
    assert "nobody@127.0.0.1" in caught.value.message


def test_a_sqlite_file_that_cannot_be_created_is_a_503_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = FeedbackStore(f"sqlite:///{blocker / 'fb.db'}", 10, timeout=2)
    assert store.open() is False
    with pytest.raises(StoreUnavailable):
        store.add(correction())


def test_the_password_never_shows(tmp_path):
    store = FeedbackStore(f"postgresql://u:s3cret@127.0.0.1:{free_port()}/db", 10, timeout=2)
    store.open()
    with pytest.raises(StoreUnavailable) as caught:
        store.add(correction())
    assert "s3cret" not in caught.value.message and "***" in caught.value.message


@pytest.mark.parametrize("url", ["mysql://u@h/db", "feedback.db", "sqlite"])
def test_feedback_db_must_be_a_supported_url(url):
    with pytest.raises(SettingError, match="FEEDBACK_DB"):
        resolve({"FEEDBACK_DB": ("off", str, None)}, environ={"FEEDBACK_DB": url})


@pytest.mark.parametrize(("label", "model_label", "is_digit", "right"), [
    ("7", "7", True, True), ("7", "1", True, False), ("7", "7", False, False),
    ("none", "3", False, True), ("none", "3", True, False)])
def test_whether_the_model_was_right(label, model_label, is_digit, right):
    assert correction(label, model_label=model_label, is_digit=is_digit).model_right is right


def test_the_default_store_is_a_sqlite_file_in_the_state_directory():
    from service import settings
    assert settings.DEFAULT_FEEDBACK_DB.startswith("sqlite:///")
    assert settings.DEFAULT_FEEDBACK_DB.endswith("/mnist-mlp/feedback.db")
    assert sa.make_url(settings.DEFAULT_FEEDBACK_DB).database.startswith("/")
