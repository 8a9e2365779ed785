"""The users' own examples: a folder (folder.py) and the service's feedback store
(trainer/artifact/feedback.py), as inputs and labels; the held-out part of them; and
their share of each training batch.

The held-out part is chosen by a hash of each example (its label and pixels), not by
its place: an example stays on its side of the split as corrections are added, deleted
or exported and read back, so every run scores on the same held-out examples.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.artifact import DIGITS, inference
from trainer.data.idx import DataError
from trainer.data.users import folder
from trainer.nn.loss import OUTLIER


@dataclass(frozen=True)
class Examples:
    """x float32 (N, 784) in [0, 1]; y intp (N,): the digit, or OUTLIER for "none"."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def sha256(self) -> str:
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.x).tobytes())
        h.update(np.ascontiguousarray(self.y).astype("<i8").tobytes())
        return h.hexdigest()

    def take(self, rows: np.ndarray) -> "Examples":
        return Examples(self.x[rows], self.y[rows])

    def __add__(self, other: "Examples") -> "Examples":
        return Examples(np.concatenate([self.x, other.x]), np.concatenate([self.y, other.y]))


def as_examples(images: np.ndarray, labels: list[str]) -> Examples:
    """images (N, 28, 28) on 0..255 (uint8 or float32) with labels "0".."9" or "none"."""
    y = np.array([OUTLIER if s == folder.NONE else DIGITS.index(s) for s in labels],
                 dtype=np.intp)
    return Examples(inference.as_inputs(np.asarray(images, dtype=np.float32)), y)


def from_folder(directory) -> Examples:
    images, labels, _ = folder.load(directory)
    return as_examples(images, labels)


def store_rows(url: str) -> list:
    """Every row of the feedback store at SQLAlchemy `url`, in id order."""
    import sqlalchemy as sa

    from trainer.artifact import feedback

    where = redacted(url)
    try:
        address = sa.engine.make_url(feedback.engine_url(url))
        if address.get_backend_name() == "sqlite" and not Path(address.database or "").is_file():
            raise DataError(f"--feedback-db {where}: no such file; give the FEEDBACK_DB the "
                            "service writes")
        with sa.create_engine(address).connect() as conn:
            return list(conn.execute(sa.select(feedback.feedback).order_by(
                feedback.feedback.c.id)))
    except (sa.exc.SQLAlchemyError, ImportError) as e:
        raise DataError(f"--feedback-db {where}: cannot read the feedback table "
                        f"({type(e).__name__}: {str(e).splitlines()[0][:200]}); give the "
                        "FEEDBACK_DB the service writes, and check that it is up") from e


def from_store(url: str) -> Examples:
    return as_examples(*feedback_arrays(url, store_rows(url)))


def feedback_arrays(url: str, rows: list) -> tuple[np.ndarray, list[str]]:
    """(pixels uint8 (N, 28, 28), labels) of the store's `rows`; DataError for a bad row."""
    from trainer.artifact import feedback

    try:
        return feedback.rows_as_arrays(rows)
    except ValueError as e:
        raise DataError(f"--feedback-db {redacted(url)}: {e}") from e


def redacted(url: str) -> str:
    """`url` without its password, for logs and the manifest."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<not a SQLAlchemy URL>"


def split(examples: Examples, holdout: float) -> tuple[Examples, Examples]:
    """(to train on, held out): each example is held out when the hash of its label and
    pixels falls in the first `holdout` of the range."""
    keys = np.array([int.from_bytes(hashlib.sha256(
        x.tobytes() + int(y).to_bytes(8, "little", signed=True)).digest()[:8], "little")
        for x, y in zip(examples.x, examples.y, strict=True)], dtype=np.float64)
    held = keys / 2.0**64 < holdout
    return examples.take(np.flatnonzero(~held)), examples.take(np.flatnonzero(held))


def mixed(batches, users: Examples, share: float, rng: np.random.Generator):
    """Each (xb (b, 784), yb (b,)) of `batches` with users' examples drawn at random (with
    replacement: a few hundred are oversampled) appended, `share` of the batch."""
    for xb, yb in batches:
        picks = rng.integers(len(users), size=round(len(yb) * share / (1 - share)))
        yield (np.concatenate([xb, users.x[picks]]), np.concatenate([yb, users.y[picks]]))
