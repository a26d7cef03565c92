"""create core tables

Revision ID: 12e024bccdd2
Revises:
Create Date: 2026-11-24 21:05:10.987806
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "12e024bccdd2"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("image_url", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
    )
    op.create_table(
        "interactions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("upstream_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 0 AND rating <= 100)",
            name=op.f("ck_interactions_rating_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.UniqueConstraint("kind", "upstream_id", name=op.f("uq_interactions_kind_upstream_id")),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index("ix_interactions_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index("ix_interactions_post_id_kind", ["post_id", "kind"], unique=False)
        batch_op.create_index(
            "ix_interactions_user_id_occurred_at", ["user_id", "occurred_at"], unique=False
        )

    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "metrics", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_versions")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_versions_is_active"), ["is_active"], unique=False
        )

    op.create_table(
        "quarantined_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_items")),
        sa.UniqueConstraint(
            "source", "fingerprint", name=op.f("uq_quarantined_items_source_fingerprint")
        ),
    )
    with op.batch_alter_table("quarantined_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantined_items_source"), ["source"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("next_page", sa.Integer(), nullable=False),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("resource", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("image_url", sa.String(length=1024), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=True),
        sa.Column("posts_count", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("owner", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topics_project_code"), ["project_code"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("user_type", sa.String(length=32), nullable=True),
        sa.Column("profile_url", sa.String(length=1024), nullable=True),
        sa.Column("bio", sa.String(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("follower_count", sa.Integer(), nullable=False),
        sa.Column("following_count", sa.Integer(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("share_count", sa.Integer(), nullable=False),
        sa.Column("last_login", sa.DateTime(), nullable=True),
        sa.Column("raw", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("upvote_count", sa.Integer(), nullable=False),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.Column("exit_count", sa.Integer(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("average_rating", sa.Integer(), nullable=False),
        sa.Column("share_count", sa.Integer(), nullable=False),
        sa.Column("bookmark_count", sa.Integer(), nullable=False),
        sa.Column("video_link", sa.String(length=1024), nullable=False),
        sa.Column("thumbnail_url", sa.String(length=1024), nullable=False),
        sa.Column("gif_thumbnail_url", sa.String(length=1024), nullable=False),
        sa.Column("contract_address", sa.String(length=255), nullable=False),
        sa.Column("chain_id", sa.String(length=64), nullable=False),
        sa.Column("chart_url", sa.String(length=1024), nullable=False),
        sa.Column(
            "base_token", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column("is_available_in_public_feed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("owner_username", sa.String(length=255), nullable=False),
        sa.Column("owner_first_name", sa.String(length=255), nullable=False),
        sa.Column("owner_last_name", sa.String(length=255), nullable=False),
        sa.Column("owner_picture_url", sa.String(length=1024), nullable=False),
        sa.Column("owner_user_type", sa.String(length=32), nullable=True),
        sa.Column("owner_has_evm_wallet", sa.Boolean(), nullable=False),
        sa.Column("owner_has_solana_wallet", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "post_summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column(
            "mood_terms", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("raw", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_posts_category_id_categories")
        ),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_posts_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_posts_category_id_created_at", ["category_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_posts_owner_username"), ["owner_username"], unique=False
        )
        batch_op.create_index(
            "ix_posts_public_created_at",
            ["is_available_in_public_feed", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_posts_topic_id"), ["topic_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_topic_id"))
        batch_op.drop_index("ix_posts_public_created_at")
        batch_op.drop_index(batch_op.f("ix_posts_owner_username"))
        batch_op.drop_index("ix_posts_category_id_created_at")

    op.drop_table("posts")
    op.drop_table("users")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topics_project_code"))

    op.drop_table("topics")
    op.drop_table("sync_state")
    with op.batch_alter_table("quarantined_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantined_items_source"))

    op.drop_table("quarantined_items")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_is_active"))

    op.drop_table("model_versions")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_user_id_occurred_at")
        batch_op.drop_index("ix_interactions_post_id_kind")
        batch_op.drop_index("ix_interactions_occurred_at")

    op.drop_table("interactions")
    op.drop_table("categories")
