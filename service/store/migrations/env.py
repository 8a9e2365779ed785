"""Alembic's entry point: runs the scripts on the connection migrate.py opened, inside
its transaction (which holds the migration lock)."""

from alembic import context

from trainer.artifact.feedback import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
