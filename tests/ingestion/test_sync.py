"""`Syncer` against the replay server serving the real samples, on SQLite and PostgreSQL."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from tests.ingestion.conftest import SAMPLE_CATEGORIES, SAMPLE_COUNTS, read_sample
from tests.ingestion.sync_helpers import Crash, crash_after, run_sync, snapshot
from videorec.ingestion.replay.data import ReplayData
from videorec.ingestion.replay.faults import FaultConfig, FaultPlan, malform
from videorec.ingestion.resources import VIEW
from videorec.kit.db import make_sessionmaker
from videorec.storage.repositories.ingest_stats import ingestion_stats
from videorec.storage.repositories.quarantine import fingerprint
from videorec.storage.tables import Interaction, Post, QuarantinedItem, User

LOGS = ("view", "like", "inspire", "rating")


def stats_of(engine) -> dict:
    with make_sessionmaker(engine)() as session:
        return ingestion_stats(session)


def expected_orphans() -> dict[str, int]:
    """Log rows whose user or post is absent from the sample users/posts, counted from the files."""
    users = {u["id"] for u in read_sample("global-logs-2024-12/users.json")}
    posts = {p["id"] for p in read_sample("posts-2025-06/posts.json")}
    for name in ("view", "like", "rating"):
        posts |= {p["id"] for p in read_sample(f"token-scoped-2024-12/{name}.json")}
    return {
        kind: sum(1 for row in read_sample(f"global-logs-2024-12/{kind}.json")
                  if row["user_id"] not in users or row["post_id"] not in posts)
        for kind in LOGS
    }  # fmt: skip


class TestSyncSamples:
    def test_counts_match_the_files_exactly(self, samples, replay_server, fresh_engine) -> None:
        engine = fresh_engine()
        reports = run_sync(engine, replay_server(samples).url)
        stats = stats_of(engine)
        assert stats["users"] == SAMPLE_COUNTS["users"] == 1207
        assert stats["posts"] == SAMPLE_COUNTS["posts"] == 350
        assert stats["categories"] == SAMPLE_CATEGORIES
        assert stats["interactions"] == {"view": 5534, "like": 1234, "inspire": 210, "rating": 2803}
        assert stats["orphans_by_kind"] == expected_orphans()
        assert stats["orphans_by_kind"] == {"view": 2519, "like": 692, "inspire": 89, "rating": 844}
        assert stats["quarantined_items"] == 0
        assert [r.added for r in reports] == [1207, 350, 5534, 1234, 210, 2803]
        assert all(state["completed_at"] for state in stats["sync"].values())

    def test_a_second_sync_adds_nothing(self, samples, replay_server, fresh_engine) -> None:
        engine = fresh_engine()
        url = replay_server(samples).url
        run_sync(engine, url)
        before = snapshot(engine)
        again = run_sync(engine, url)
        assert [r.added for r in again] == [0] * 6
        assert [r.start_page for r in again] == [3, 1, 12, 3, 1, 6]  # the last non-empty pages
        assert snapshot(engine)["interactions"] == before["interactions"]
        assert snapshot(engine)["posts"] == before["posts"]
        full = run_sync(engine, url, full=True)
        assert [r.added for r in full] == [0] * 6
        assert {r.start_page for r in full} == {1}

    def test_stores_posts_with_categories_moods_and_raw(self, samples, replay_server, fresh_engine):
        engine = fresh_engine()
        run_sync(engine, replay_server(samples).url)
        with make_sessionmaker(engine)() as session:
            analysed = session.get(Post, read_sample("posts-2025-06/posts.json")[0]["id"])
            assert analysed is not None
            assert analysed.category is not None
            assert analysed.mood_terms[:2] == ["contemplation", "vulnerability"]
            assert "post_summary" not in analysed.raw
            assert len(analysed.raw) == 37
            old = session.get(Post, read_sample("token-scoped-2024-12/like.json")[0]["id"])
            assert old is not None
            assert old.post_summary is None
            assert old.mood_terms == []
            kinha = session.scalar(select(User).where(User.username == "kinha"))
            assert kinha is not None
            assert kinha.id == 5
            assert len(kinha.raw) == 24


class TestSyncResume:
    def test_a_killed_sync_rerun_ends_identical(self, samples, replay_server, fresh_engine):
        url = replay_server(samples).url
        uninterrupted = fresh_engine()
        run_sync(uninterrupted, url)
        expected = snapshot(uninterrupted)
        # Page 4 is the users' empty page (a crash right after completing), 9 is inside view.
        for crash_page in (4, 9):
            crashed = fresh_engine()
            with pytest.raises(Crash):
                run_sync(crashed, url, on_page=crash_after(crash_page))
            partial = stats_of(crashed)
            assert sum(partial["interactions"].values()) < sum(SAMPLE_COUNTS[k] for k in LOGS)
            run_sync(crashed, url)
            assert snapshot(crashed) == expected, f"crash after page {crash_page}"

    def test_resuming_with_another_page_size_skips_nothing(
        self, samples, replay_server, fresh_engine
    ) -> None:
        url = replay_server(samples).url
        engine = fresh_engine()
        with pytest.raises(Crash):
            run_sync(engine, url, resources=(VIEW,), page_size=300, on_page=crash_after(5))
        reports = run_sync(engine, url, resources=(VIEW,), page_size=1000)
        assert reports[0].start_page == 2  # 5 pages of 300 = 1500 items: resume at item 1000
        assert stats_of(engine)["interactions"]["view"] == 5534


class TestSyncFaults:
    def test_completes_and_quarantines_exactly_the_malformed(
        self, samples: ReplayData, replay_server, fresh_engine
    ) -> None:
        faults = FaultConfig(fail_rate=0.1, rate_limit_rate=0.1, drop_rate=0.1,
                             malformed_rate=0.05, retry_after=0.0, seed=11)  # fmt: skip
        engine = fresh_engine()
        run_sync(engine, replay_server(samples, faults).url)
        plan = FaultPlan(faults)
        with make_sessionmaker(engine)() as session:
            for name, items in samples.items.items():
                bad = plan.malformed_positions(name, len(items))
                assert bad, f"the seed should malform some {name} items"
                expected = {fingerprint(orjson.loads(malform(items[p], p))) for p in bad}
                stored = set(
                    session.scalars(
                        select(QuarantinedItem.fingerprint).where(QuarantinedItem.source == name)
                    )
                )
                assert stored == expected, name
                good_ids = {orjson.loads(item)["id"] for p, item in enumerate(items)
                            if p not in set(bad)}  # fmt: skip
                assert _stored_ids(session, name) == good_ids, name


def _stored_ids(session, name: str) -> set[int]:
    if name == "users":
        return set(session.scalars(select(User.id)))
    if name == "posts":
        return set(session.scalars(select(Post.id)))
    return set(session.scalars(select(Interaction.upstream_id).where(Interaction.kind == name)))
