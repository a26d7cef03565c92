"""Posts in the app's post format (API.md §11): nested owner, category and topic objects."""

from __future__ import annotations

from typing import Any

from videorec.kit.time import to_epoch_ms
from videorec.storage.tables import Category, Post, Topic


def present_post(post: Post) -> dict[str, Any]:
    """One post as the app's clients expect it. `post_summary` is deliberately not part of it."""
    return {
        "id": post.id,
        "owner": _owner(post),
        "category": _category(post.category),
        "topic": _topic(post.topic),
        "title": post.title,
        "is_available_in_public_feed": post.is_available_in_public_feed,
        "is_locked": post.is_locked,
        "slug": post.slug,
        "upvoted": False,
        "bookmarked": False,
        "following": False,
        "identifier": post.identifier,
        "comment_count": post.comment_count,
        "upvote_count": post.upvote_count,
        "view_count": post.view_count,
        "exit_count": post.exit_count,
        "rating_count": post.rating_count,
        "average_rating": post.average_rating,
        "share_count": post.share_count,
        "bookmark_count": post.bookmark_count,
        "video_link": post.video_link,
        "thumbnail_url": post.thumbnail_url,
        "gif_thumbnail_url": post.gif_thumbnail_url,
        "contract_address": post.contract_address,
        "chain_id": post.chain_id,
        "chart_url": post.chart_url,
        "baseToken": post.base_token or {"address": "", "name": "", "symbol": "", "image_url": ""},
        "created_at": to_epoch_ms(post.created_at),
        "tags": list(post.tags or []),
    }


def _owner(post: Post) -> dict[str, Any]:
    first, last = post.owner_first_name, post.owner_last_name
    return {
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}".strip(),
        "username": post.owner_username,
        "picture_url": post.owner_picture_url,
        "user_type": post.owner_user_type,
        "has_evm_wallet": post.owner_has_evm_wallet,
        "has_solana_wallet": post.owner_has_solana_wallet,
    }


def _category(category: Category | None) -> dict[str, Any] | None:
    if category is None:
        return None
    return {
        "id": category.id,
        "name": category.name,
        "count": category.count,
        "description": category.description,
        "image_url": category.image_url,
    }


def _topic(topic: Topic | None) -> dict[str, Any] | None:
    if topic is None:
        return None
    created = topic.created_at.strftime("%Y-%m-%d %H:%M:%S") if topic.created_at else None
    return {
        "id": topic.id,
        "name": topic.name,
        "description": topic.description,
        "image_url": topic.image_url,
        "slug": topic.slug,
        "is_public": topic.is_public,
        "project_code": topic.project_code,
        "posts_count": topic.posts_count,
        "language": topic.language,
        "created_at": created,
        "owner": topic.owner,
    }
