"""Helpers of the sync tests: run a sync against a replay server, snapshot a database."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Engine, select

from tests.ingestion.conftest import KEY, TOKEN
from videorec.ingestion.client import UpstreamClient
from videorec.ingestion.resources import RESOURCES, Resource
from videorec.ingestion.retry import RetryPolicy
from videorec.ingestion.sync import PageHook, ResourceReport, Syncer
from videorec.storage.tables import (
    Category,
    Interaction,
    Post,
    QuarantinedItem,
    SyncState,
    Topic,  # fmt: skip
    User,
)


class Crash(Exception):
    """Stands in for a process killed after a committed page."""


def run_sync(
    engine: Engine,
    url: str,
    *,
    page_size: int = 500,
    resources: tuple[Resource, ...] = RESOURCES,
    full: bool = False,
    on_page: PageHook | None = None,
) -> list[ResourceReport]:
    client = UpstreamClient(url, flic_token=TOKEN, resonance_key=KEY,
                            retry=RetryPolicy(attempts=10), sleep=lambda _: None,
                            rng=random.Random(0))  # fmt: skip
    with client:
        syncer = Syncer(client, engine, page_size=page_size, on_page=on_page)
        return syncer.run(resources, full=full)


def crash_after(pages: int) -> PageHook:
    """A hook that raises Crash once `pages` pages (all resources together) committed."""
    seen = [0]

    def hook(_resource: Resource, _page: Any) -> None:
        seen[0] += 1
        if seen[0] == pages:
            raise Crash(f"killed after page {pages}")

    return hook


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every ingested row, in a canonical order, without the volatile columns."""
    with engine.connect() as conn:

        def rows(stmt: Any) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.execute(stmt)]

        user_cols = [c for c in User.__table__.c if c.name != "ingested_at"]
        post_cols = [c for c in Post.__table__.c if c.name != "ingested_at"]
        return {
            "users": rows(select(*user_cols).order_by(User.id)),
            "posts": rows(select(*post_cols).order_by(Post.id)),
            "categories": rows(select(Category).order_by(Category.id)),
            "topics": rows(select(Topic).order_by(Topic.id)),
            "interactions": rows(
                select(
                    Interaction.kind,
                    Interaction.upstream_id,
                    Interaction.user_id,
                    Interaction.post_id,
                    Interaction.rating,
                    Interaction.occurred_at,
                ).order_by(Interaction.kind, Interaction.upstream_id)
            ),  # fmt: skip
            "quarantine": rows(
                select(
                    QuarantinedItem.source,
                    QuarantinedItem.fingerprint,
                    QuarantinedItem.raw,
                    QuarantinedItem.reason,
                ).order_by(QuarantinedItem.source, QuarantinedItem.fingerprint)
            ),  # fmt: skip
            "sync_state": rows(
                select(
                    SyncState.resource,
                    SyncState.next_page,
                    SyncState.page_size,
                    SyncState.items_seen,
                    SyncState.completed_at.is_(None),
                ).order_by(SyncState.resource)
            ),  # fmt: skip
        }
