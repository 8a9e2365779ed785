"""The feedback store's schema: what the service writes for each correction and the
trainer reads back. SQLAlchemy Core; one schema for SQLite and PostgreSQL.

One row is one correction: the 28x28 input the model saw (784 uint8 bytes, row-major,
the model's float input * 255, rounded), the right answer a person gave ("0".."9" or
"none"), and the model's own answer for that input. The service creates and versions
the table (service/store/); this module is the one definition both sides import.
"""

import numpy as np
import sqlalchemy as sa

from trainer.artifact import DIGITS, PIXELS, SIDE

LABELS = (*DIGITS, "none")  # the answers a correction may give; "none": not a digit
NOT_A_DIGIT = "none"
# Column widths: a label is at most "none"; a request id as proxies and tracers write them.
LABEL_WIDTH = 8
REQUEST_ID_WIDTH = 128
VERSION_WIDTH = 64

metadata = sa.MetaData()

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),  # UTC
    sa.Column("request_id", sa.String(REQUEST_ID_WIDTH), nullable=True),
    sa.Column("label", sa.String(LABEL_WIDTH), nullable=False),
    sa.Column("pixels", sa.LargeBinary, nullable=False),
    sa.Column("model_version", sa.String(VERSION_WIDTH), nullable=False),
    sa.Column("model_label", sa.String(LABEL_WIDTH), nullable=False),
    sa.Column("model_is_digit", sa.Boolean, nullable=False),
    sa.Column("model_confidence", sa.Float, nullable=False),
    sa.Index("ix_feedback_created_at", "created_at"),
)

# Plain PostgreSQL URLs as users write them; SQLAlchemy alone would pick psycopg2,
# which is not installed: psycopg 3 (`psycopg[binary]`) is.
_PLAIN_POSTGRES = ("postgresql://", "postgres://")
_PSYCOPG = "postgresql+psycopg://"


def engine_url(url: str) -> str:
    """A SQLAlchemy URL for `url`: "postgresql://..." or "postgres://..." becomes
    "postgresql+psycopg://..."; any other URL (sqlite:///..., an explicit driver) as given."""
    for prefix in _PLAIN_POSTGRES:
        if url.startswith(prefix):
            return _PSYCOPG + url[len(prefix):]
    return url


def to_pixels(x: np.ndarray) -> bytes:
    """The model's input x, float (784,) or (28, 28) in [0, 1] -> 784 bytes, uint8 row-major:
    x * 255, rounded, clipped to 0..255."""
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    if x.size != PIXELS:
        raise ValueError(f"feedback pixels: expected {PIXELS} values (28x28), got {x.size}")
    return np.clip(np.rint(x * np.float32(255.0)), 0, 255).astype(np.uint8).tobytes()


def rows_as_arrays(rows) -> tuple[np.ndarray, list[str]]:
    """Rows of the feedback table (anything with .id, .pixels, .label) ->
    (pixels uint8 (N, 28, 28), labels list[str] of N, each in LABELS).

    A row whose pixels are not 784 bytes or whose label is not in LABELS raises
    ValueError naming its id: the store was written by something other than the service.
    """
    images, labels = [], []
    for row in rows:
        if len(row.pixels) != PIXELS:
            raise ValueError(f"feedback row id={row.id}: pixels has {len(row.pixels)} bytes, "
                             f"expected {PIXELS} (28x28 uint8); delete or fix the row")
        if row.label not in LABELS:
            raise ValueError(f"feedback row id={row.id}: label={row.label!r} is not one of "
                             f"{', '.join(LABELS)}; delete or fix the row")
        images.append(np.frombuffer(bytes(row.pixels), dtype=np.uint8))
        labels.append(row.label)
    pixels = (np.stack(images).reshape(-1, SIDE, SIDE) if images
              else np.zeros((0, SIDE, SIDE), np.uint8))
    return pixels, labels
