"""sync_state.page_size: the page size next_page counts in

Revision ID: i4_sync_page_size
Revises: 12e024bccdd2
Create Date: 2026-11-24 21:20:00

A checkpoint's `next_page` only means something with the page size it was counted in; a resumed
sync with another `--page-size` converts it (never skipping items) instead of jumping.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i4_sync_page_size"
down_revision: str | None = "12e024bccdd2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("page_size", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("page_size")
