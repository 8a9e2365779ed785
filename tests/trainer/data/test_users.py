"""trainer/data/users/__init__.py: the feedback store read back as the service wrote it, the
held-out split that stays put as examples come and go, and the users' share of a batch."""

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from trainer.artifact import feedback
from trainer.data import users
from trainer.data.idx import DataError
from trainer.nn.loss import OUTLIER


def write_store(path, pixels: np.ndarray, labels: list[str]) -> str:
    """A real SQLite feedback store holding one row per image; returns its URL."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    feedback.metadata.create_all(engine)
    with engine.begin() as conn:
        for image, label in zip(pixels, labels, strict=True):
            conn.execute(feedback.feedback.insert().values(
                created_at=dt.datetime.now(dt.UTC), label=label, pixels=image.tobytes(),
                model_version="bcc30c431743", model_label="1", model_is_digit=True,
                model_confidence=0.9))
    engine.dispose()
    return url


def some(n: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    labels = [str(d) for d in rng.integers(0, 10, n)]
    labels[0] = "none"
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), labels


def test_the_store_reads_back_what_was_written(tmp_path):
    pixels, labels = some(20)
    got = users.from_store(write_store(tmp_path / "fb.db", pixels, labels))
    np.testing.assert_array_equal(got.x, pixels.reshape(20, -1).astype(np.float32) / 255)
    assert got.y[0] == OUTLIER
    assert got.y[1:].tolist() == [int(s) for s in labels[1:]]


def test_a_missing_store_and_a_wrong_one_are_named_without_the_password(tmp_path):
    with pytest.raises(DataError, match=r"--feedback-db sqlite:///.*nothere.db: no such file"):
        users.from_store(f"sqlite:///{tmp_path}/nothere.db")
    sa.create_engine(f"sqlite:///{tmp_path}/empty.db").connect().close()
    with pytest.raises(DataError, match=r"empty.db: cannot read the feedback table"):
        users.from_store(f"sqlite:///{tmp_path}/empty.db")
    assert users.redacted("postgresql://ann:secret@db:5432/fb") == \
        "postgresql://ann:***@db:5432/fb"


def test_the_held_out_part_stays_put_as_examples_are_added():
    pixels, labels = some(400)
    first = users.as_examples(pixels[:300], labels[:300])
    kept, held = users.split(first, 0.25)
    assert 0.18 < len(held) / len(first) < 0.32
    _, held_later = users.split(first + users.as_examples(pixels[300:], labels[300:]), 0.25)
    earlier = {row.tobytes() for row in held.x}
    later = {row.tobytes() for row in held_later.x[:len(held)]}
    assert earlier == later
    assert not earlier & {row.tobytes() for row in kept.x}


def test_mixed_gives_the_users_their_share_of_each_batch():
    pixels, labels = some(50)
    mine = users.as_examples(pixels, labels)
    batches = [(np.zeros((96, 784), np.float32), np.full(96, 3)) for _ in range(4)]
    for xb, yb in users.mixed(iter(batches), mine, 0.25, np.random.default_rng(0)):
        assert len(yb) == 128 and np.count_nonzero(xb.any(axis=1)) == 32
        rows = {row.tobytes() for row in xb[96:]}
        assert rows <= {row.tobytes() for row in mine.x}
