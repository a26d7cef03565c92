from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from videorec.kit.time import utc_now
from videorec.storage.base import Base
from videorec.storage.tables.category import Category
from videorec.storage.tables.topic import Topic


class Post(Base):
    """A video post with every field the app's post format (API.md §11) needs.

    The owner (creator) is flattened upstream and may not be a known user, so it is kept here
    rather than as a foreign key. `post_summary` is the raw LLM analysis; `mood_terms` are the
    normalised mood words derived from it at ingestion.
    """

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_category_id_created_at", "category_id", "created_at"),
        Index("ix_posts_public_created_at", "is_available_in_public_feed", "created_at"),
        # The feed's watermark reads max(ingested_at) on each refresh check (every refresh_s).
        Index("ix_posts_ingested_at", "ingested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
    slug: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(default="")
    identifier: Mapped[str] = mapped_column(String(64), default="")
    comment_count: Mapped[int] = mapped_column(default=0)
    upvote_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)
    exit_count: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    average_rating: Mapped[int] = mapped_column(default=0)
    share_count: Mapped[int] = mapped_column(default=0)
    bookmark_count: Mapped[int] = mapped_column(default=0)
    video_link: Mapped[str] = mapped_column(String(1024), default="")
    thumbnail_url: Mapped[str] = mapped_column(String(1024), default="")
    gif_thumbnail_url: Mapped[str] = mapped_column(String(1024), default="")
    contract_address: Mapped[str] = mapped_column(String(255), default="")
    chain_id: Mapped[str] = mapped_column(String(64), default="")
    chart_url: Mapped[str] = mapped_column(String(1024), default="")
    base_token: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_available_in_public_feed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime | None]
    owner_username: Mapped[str] = mapped_column(String(255), default="", index=True)
    owner_first_name: Mapped[str] = mapped_column(String(255), default="")
    owner_last_name: Mapped[str] = mapped_column(String(255), default="")
    owner_picture_url: Mapped[str] = mapped_column(String(1024), default="")
    owner_user_type: Mapped[str | None] = mapped_column(String(32))
    owner_has_evm_wallet: Mapped[bool] = mapped_column(default=False)
    owner_has_solana_wallet: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list[str]] = mapped_column(default=list)
    post_summary: Mapped[dict[str, Any] | None]
    mood_terms: Mapped[list[str]] = mapped_column(default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ingested_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    category: Mapped[Category | None] = relationship(lazy="joined")
    topic: Mapped[Topic | None] = relationship(lazy="joined")
