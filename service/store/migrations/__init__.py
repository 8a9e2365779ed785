"""Alembic's scripts for the feedback store (service/store/migrate.py runs them)."""
