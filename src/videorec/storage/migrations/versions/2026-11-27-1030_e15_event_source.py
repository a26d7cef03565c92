"""interactions: source marker and client event id, for POST /events

Revision ID: e15_event_source
Revises: d14_api_keys
Create Date: 2026-11-27 10:30:00

Events posted to the API live in the same `interactions` table as synced ones. They have no
upstream id (now nullable; NULLs never collide in the `(kind, upstream_id)` unique key), carry
the client's event id (unique, which makes a resent batch a no-op), and say where they came
from in `source` (existing rows become "sync").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e15_event_source"
down_revision: str | None = "d14_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="sync", nullable=False)
        )
        batch_op.add_column(sa.Column("client_event_id", sa.String(length=128), nullable=True))
        batch_op.alter_column("upstream_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_interactions_client_event_id"), ["client_event_id"]
        )
        batch_op.create_index("ix_interactions_source_id", ["source", "id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM interactions WHERE upstream_id IS NULL")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_source_id")
        batch_op.drop_constraint(batch_op.f("uq_interactions_client_event_id"), type_="unique")
        batch_op.alter_column("upstream_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("client_event_id")
        batch_op.drop_column("source")
