"""feed sessions

Revision ID: c1_feed_sessions
Revises: i4_sync_page_size
Create Date: 2026-11-24 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c1_feed_sessions"
down_revision: str | None = "i4_sync_page_size"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_sessions")),
    )
    with op.batch_alter_table("feed_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feed_sessions_key_created_at", ["key", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feed_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feed_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_sessions_expires_at"))
        batch_op.drop_index("ix_feed_sessions_key_created_at")
    op.drop_table("feed_sessions")
