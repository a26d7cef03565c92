"""Ingestion repositories on SQLite and PostgreSQL: bulk upserts, quarantine, checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, func, select

from tests.factories import create_interaction, create_post, create_user
from videorec.storage.repositories import (
    bulk,
    ingest_interactions,
    ingest_users,
    quarantine,
    sync_state,
)
from videorec.storage.repositories.ingest_stats import ingestion_stats
from videorec.storage.tables import Interaction, User

T0 = datetime(2024, 1, 10, 7, 20, 55)


def log_row(upstream_id: int, *, kind: str = "view", when: datetime = T0, **fields) -> dict:
    row = {"kind": kind, "upstream_id": upstream_id, "user_id": 1, "post_id": 1, "rating": None,
           "occurred_at": when}  # fmt: skip
    row.update(fields)
    return row


def user_row(user_id: int, username: str, **fields) -> dict:
    row = {"id": user_id, "username": username, "first_name": "A", "last_name": "B", "role": "U",
           "user_type": None, "profile_url": None, "bio": None, "is_verified": False,
           "follower_count": 0, "following_count": 0, "post_count": 0, "share_count": 0,
           "last_login": None, "raw": {"id": user_id}, "ingested_at": T0}  # fmt: skip
    row.update(fields)
    return row


class TestInsertInteractions:
    def test_skips_rows_already_stored(self, session) -> None:
        ingest_interactions.insert_interactions(session, [log_row(1), log_row(2)])
        ingest_interactions.insert_interactions(session, [log_row(2), log_row(3), log_row(3)])
        assert ingest_interactions.count_by_kind(session) == {"view": 3}

    def test_the_same_upstream_id_of_another_kind_is_another_row(self, session) -> None:
        rows = [log_row(1), log_row(1, kind="rating", rating=64)]
        ingest_interactions.insert_interactions(session, rows)
        assert ingest_interactions.count_by_kind(session) == {"view": 1, "rating": 1}

    def test_reads_back_like_orm_rows_and_compares_in_sql(self, session) -> None:
        later = datetime(2024, 1, 10, 7, 20, 55, 500)
        ingest_interactions.insert_interactions(session, [log_row(1, when=later, rating=None)])
        create_interaction(session, user_id=1, post_id=1, upstream_id=2, occurred_at=T0)
        stored = session.scalar(select(Interaction).where(Interaction.upstream_id == 1))
        assert stored.occurred_at == later
        newer = select(Interaction.upstream_id).where(Interaction.occurred_at > T0)
        assert list(session.scalars(newer)) == [1]

    def test_counts_orphans_whose_user_or_post_is_unknown(self, session) -> None:
        create_user(session, id=1)
        create_post(session, id=1)
        rows = [log_row(1), log_row(2, user_id=99), log_row(3, post_id=99)]
        ingest_interactions.insert_interactions(session, rows)
        assert ingest_interactions.count_orphans(session, "view") == 2
        assert ingestion_stats(session)["orphan_interactions"] == 2


class TestUpsertUsers:
    def test_refreshes_a_known_user(self, session) -> None:
        ingest_users.upsert_users(session, [user_row(1, "kinha", follower_count=1)])
        ingest_users.upsert_users(session, [user_row(1, "kinha", follower_count=5)])
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(User)) == 1
        assert session.get(User, 1).follower_count == 5

    def test_reports_who_holds_a_username(self, session) -> None:
        ingest_users.upsert_users(session, [user_row(7, "mike")])
        assert ingest_users.username_owners(session, ["mike", "nobody"]) == {"mike": 7}

    def test_asks_in_lists_of_at_most_in_chunk_names(self, session, monkeypatch) -> None:
        ingest_users.upsert_users(session, [user_row(i, f"user{i}") for i in range(1, 6)])
        monkeypatch.setattr(bulk, "IN_CHUNK", 2)
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            owners = ingest_users.username_owners(session, [f"user{i}" for i in range(1, 6)])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert owners == {f"user{i}": i for i in range(1, 6)}
        assert len([s for s in statements if "FROM users" in s]) == 3  # 2 + 2 + 1 names


class TestQuarantine:
    def test_the_same_item_is_kept_once(self, session) -> None:
        item = {"id": "x", "post_id": 1}
        quarantine.quarantine(session, "view", [(item, "id: bad")])
        quarantine.quarantine(session, "view", [({"post_id": 1, "id": "x"}, "id: bad")])
        assert quarantine.count_by_source(session) == {"view": 1}


class TestSyncState:
    def test_saves_and_overwrites_the_checkpoint(self, session) -> None:
        for page in (2, 3):
            sync_state.save_state(session, "view", next_page=page, page_size=500, items_seen=page,
                                  last_synced_at=T0, completed_at=None)  # fmt: skip
        session.expire_all()
        state = sync_state.get_state(session, "view")
        assert (state.next_page, state.page_size, state.items_seen) == (3, 500, 3)
        assert sync_state.get_state(session, "like") is None


class TestUpsertPostsStamp:
    """`ingested_at` says when a post's content last changed: the feed's snapshot key reads it,
    and a sync re-reads its last page of posts on every run."""

    ITEM = {"id": 5, "title": "a post", "category": {"id": 2, "name": "Vible"},
            "username": "creator0", "created_at": "2025-03-02 10:00:00"}  # fmt: skip

    def _store(self, session, **changes) -> datetime:  # type: ignore[no-untyped-def]
        from videorec.ingestion.records import prepare_page, store_prepared
        from videorec.ingestion.resources import POSTS
        from videorec.storage.tables import Post

        page = prepare_page(POSTS, [{**self.ITEM, **changes}])
        assert not page.failures
        store_prepared(session, page)
        session.flush()
        session.expire_all()
        return session.get(Post, 5).ingested_at

    def _age(self, session) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import update

        from videorec.storage.tables import Post

        session.execute(update(Post).where(Post.id == 5).values(ingested_at=T0))

    def test_an_unchanged_post_keeps_its_stamp(self, session) -> None:
        self._store(session)
        self._age(session)
        assert self._store(session) == T0

    def test_a_changed_post_gets_a_new_stamp_and_its_content(self, session) -> None:
        from videorec.storage.tables import Post

        self._store(session)
        self._age(session)
        assert self._store(session, is_available_in_public_feed=False) > T0
        assert session.get(Post, 5).is_available_in_public_feed is False
