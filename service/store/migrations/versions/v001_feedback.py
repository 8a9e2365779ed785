"""The feedback table, as trainer/artifact/feedback.py first defined it.

Revision ID: 0001
Revises: (none)

The columns are written out, not imported: a migration is a snapshot of one version,
and later edits to the table belong in a script of their own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("pixels", sa.LargeBinary, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("model_label", sa.String(8), nullable=False),
        sa.Column("model_is_digit", sa.Boolean, nullable=False),
        sa.Column("model_confidence", sa.Float, nullable=False),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_created_at", table_name="feedback")
    op.drop_table("feedback")
