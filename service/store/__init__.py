"""The feedback store: the corrections /feedback takes, in SQLite or PostgreSQL.

- engine.py: an engine for FEEDBACK_DB, durable (SQLite: WAL, synchronous=FULL, one
  writer at a time) and quick to fail (short connect and lock timeouts, pre-ping);
- migrate.py: the schema created and versioned at start by Alembic (migrations/);
- feedback.py: FeedbackStore, the bounded write that /feedback answers 201 for.

The table itself is trainer/artifact/feedback.py's, which the trainer reads too.
"""
