"""One page of raw upstream items → validated table rows + quarantined failures, then stored.

`store_page(session, resource, items)` is what the sync calls inside the page's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from videorec.ingestion.moods import mood_terms
from videorec.ingestion.resources import POSTS, USERS, Resource
from videorec.ingestion.schemas import InteractionIn, PostIn, UserIn
from videorec.kit.time import utc_now
from videorec.storage.repositories import ingest_interactions, ingest_posts, ingest_users
from videorec.storage.repositories.bulk import Row
from videorec.storage.repositories.quarantine import quarantine

Failure = tuple[Any, str]
"""A raw item and why it was refused."""


def store_page(session: Session, resource: Resource, items: Sequence[Any]) -> int:
    """Validate and upsert one page of `resource`; quarantine what fails. Returns the failures."""
    if resource is USERS:
        failures = _store_users(session, items)
    elif resource is POSTS:
        failures = _store_posts(session, items)
    else:
        failures = _store_interactions(session, resource.name, items)
    if failures:
        quarantine(session, resource.name, failures)
    return len(failures)


def reason_of(exc: Exception) -> str:
    """A short, readable reason for a refused item."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'item'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
    return str(exc) or type(exc).__name__


def _validate(items: Sequence[Any], parse: Callable[[Any], Any]) -> tuple[list[Any], list[Failure]]:
    valid: list[tuple[Any, Any]] = []
    failures: list[Failure] = []
    for item in items:
        try:
            valid.append((item, parse(item)))
        except (ValidationError, ValueError, TypeError) as exc:
            failures.append((item, reason_of(exc)))
    return valid, failures


def _store_interactions(session: Session, kind: str, items: Sequence[Any]) -> list[Failure]:
    valid, failures = _validate(items, lambda item: InteractionIn.from_item(kind, item))
    rows = [
        {"kind": kind, "upstream_id": row.id, "user_id": row.user_id, "post_id": row.post_id,
         "rating": row.rating, "occurred_at": row.occurred_at}
        for _, row in valid
    ]  # fmt: skip
    if rows:
        ingest_interactions.insert_interactions(session, rows)
    return failures


def _store_users(session: Session, items: Sequence[Any]) -> list[Failure]:
    valid, failures = _validate(items, UserIn.model_validate)
    owners = ingest_users.username_owners(session, [user.username for _, user in valid])
    rows: list[Row] = []
    claimed: dict[str, int] = {}
    for item, user in valid:
        holder = claimed.get(user.username, owners.get(user.username, user.id))
        if holder != user.id:
            failures.append((item, f"username {user.username!r} already belongs to user {holder}"))
            continue
        claimed[user.username] = user.id
        rows.append(_user_row(item, user))
    if rows:
        ingest_users.upsert_users(session, rows)
    return failures


def _user_row(item: dict[str, Any], user: UserIn) -> Row:
    return {
        "id": user.id, "username": user.username, "first_name": user.first_name,
        "last_name": user.last_name, "role": user.role, "user_type": user.user_type,
        "profile_url": user.profile_url, "bio": user.bio,
        "is_verified": user.is_verified or user.is_verified_camel,
        "follower_count": user.follower_count, "following_count": user.following_count,
        "post_count": user.post_count, "share_count": user.share_count,
        "last_login": user.last_login, "raw": item, "ingested_at": utc_now(),
    }  # fmt: skip


def _store_posts(session: Session, items: Sequence[Any]) -> list[Failure]:
    valid, failures = _validate(items, PostIn.model_validate)
    categories = [post.category.model_dump(include=_CATEGORY_COLUMNS)
                  for _, post in valid if post.category is not None]  # fmt: skip
    topics = [post.topic.model_dump(include=_TOPIC_COLUMNS)
              for _, post in valid if post.topic is not None]  # fmt: skip
    rows = [_post_row(item, post) for item, post in valid]
    if rows:
        ingest_posts.upsert_posts(session, rows, categories=categories, topics=topics)
    return failures


_CATEGORY_COLUMNS = {"id", "name", "count", "description", "image_url"}
_TOPIC_COLUMNS = {"id", "name", "description", "image_url", "slug", "is_public", "project_code",
                  "posts_count", "language", "created_at", "owner"}  # fmt: skip
_POST_FIELDS = ("slug", "title", "identifier", "comment_count", "upvote_count", "view_count",
                "exit_count", "rating_count", "average_rating", "share_count", "bookmark_count",
                "video_link", "thumbnail_url", "gif_thumbnail_url", "contract_address", "chain_id",
                "chart_url", "base_token", "is_locked", "is_available_in_public_feed",
                "created_at", "tags", "post_summary")  # fmt: skip


def _post_row(item: dict[str, Any], post: PostIn) -> Row:
    row: Row = {name: getattr(post, name) for name in _POST_FIELDS}
    row.update(
        id=post.id,
        category_id=post.category.id if post.category else None,
        topic_id=post.topic.id if post.topic else None,
        owner_username=post.username, owner_first_name=post.first_name,
        owner_last_name=post.last_name, owner_picture_url=post.picture_url,
        owner_user_type=post.user_type, owner_has_evm_wallet=post.has_evm_wallet,
        owner_has_solana_wallet=post.has_solana_wallet,
        mood_terms=mood_terms(post.post_summary),
        # The analysis has its own column; raw keeps everything else as received.
        raw={key: value for key, value in item.items() if key != "post_summary"},
        ingested_at=utc_now(),
    )  # fmt: skip
    return row
