"""The feedback schema: pixels survive the float input -> bytes -> database -> array trip
exactly, plain PostgreSQL URLs get psycopg 3, and rows the service could not have written
are refused by id."""

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
import sqlalchemy as sa

from trainer.artifact import PIXELS
from trainer.artifact.feedback import (
    LABELS,
    engine_url,
    feedback,
    metadata,
    rows_as_arrays,
    to_pixels,
)
from trainer.artifact.inference import as_inputs


def test_labels_are_the_digits_then_none():
    assert LABELS == ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "none")


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@db:5432/fb", "postgresql+psycopg://u@db:5432/fb"),
    ("postgres://u:p@db/fb", "postgresql+psycopg://u:p@db/fb"),
    ("postgresql+psycopg2://u@db/fb", "postgresql+psycopg2://u@db/fb"),
    ("sqlite:////var/lib/feedback.db", "sqlite:////var/lib/feedback.db"),
    ("sqlite://", "sqlite://"),
])
def test_engine_url(given, expected):
    assert engine_url(given) == expected


def test_to_pixels_inverts_the_model_input_scaling():
    """Every uint8 value, scaled as the model sees it (pixel / 255), comes back exactly."""
    original = (np.arange(PIXELS) % 256).astype(np.uint8).reshape(1, 28, 28)
    assert to_pixels(as_inputs(original)[0]) == original.tobytes()


def test_to_pixels_rounds_and_clips():
    x = np.zeros(PIXELS, np.float32)
    x[:4] = [0.5 / 255, 1.6 / 255, 1.5, -0.2]
    assert list(to_pixels(x)[:4]) == [0, 2, 255, 0]  # rint: 0.5 rounds to even


def test_to_pixels_refuses_a_wrong_size():
    with pytest.raises(ValueError, match="784"):
        to_pixels(np.zeros(100, np.float32))


def test_rows_round_trip_through_a_sqlite_file(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    engine = sa.create_engine(engine_url(f"sqlite:///{tmp_path / 'fb.db'}"))
    metadata.create_all(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as db:
        for image, label in zip(images, ("7", "none", "1"), strict=True):
            db.execute(feedback.insert().values(
                created_at=now, request_id=None, label=label, pixels=image.tobytes(),
                model_version="v1", model_label="1", model_is_digit=True,
                model_confidence=0.5))
    with engine.connect() as db:
        rows = db.execute(sa.select(feedback).order_by(feedback.c.id)).all()
    pixels, labels = rows_as_arrays(rows)
    assert pixels.dtype == np.uint8 and pixels.shape == (3, 28, 28)
    np.testing.assert_array_equal(pixels, images)
    assert labels == ["7", "none", "1"]
    engine.dispose()


def test_no_rows_give_empty_arrays():
    pixels, labels = rows_as_arrays([])
    assert pixels.shape == (0, 28, 28) and pixels.dtype == np.uint8 and labels == []


@pytest.mark.parametrize(("pixels", "label", "message"), [
    (b"\0" * 100, "7", "id=9: pixels has 100 bytes"),
    (b"\0" * PIXELS, "seven", "id=9: label='seven'"),
])
def test_bad_rows_are_refused_by_id(pixels, label, message):
    with pytest.raises(ValueError, match=message):
        rows_as_arrays([SimpleNamespace(id=9, pixels=pixels, label=label)])
