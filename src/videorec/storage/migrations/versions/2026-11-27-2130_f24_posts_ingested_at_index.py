"""posts: index on ingested_at, for the feed's data watermark

Revision ID: f24_posts_ingested_at_index
Revises: e15_event_source
Create Date: 2026-11-27 21:30:00

The feed state's watermark (and the key of its snapshot on disk) reads the latest
`posts.ingested_at`, so that an upstream edit of a stored post (which keeps the post count)
makes the state stale. It is read on every refresh check, on a request's thread: without the
index that is a scan of every post row.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f24_posts_ingested_at_index"
down_revision: str | None = "e15_event_source"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_posts_ingested_at", "posts", ["ingested_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_posts_ingested_at", table_name="posts")
