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


def _views(ids: range) -> list[dict[str, object]]:
    return [{"id": i, "post_id": 1 + i % 7, "user_id": 1 + i % 5,
             "viewed_at": f"2025-01-{1 + i % 28:02d} 10:00:00"} for i in ids]  # fmt: skip


def _stored_view_ids(engine) -> set[int]:
    with engine.connect() as conn:
        stmt = select(Interaction.upstream_id).where(Interaction.kind == "view")
        return {int(i) for i in conn.scalars(stmt)}


class TestSyncUpstreamDeletes:
    """API.md §1.2: upstream logs are not append-only, old rows disappear. An incremental sync
    resumes at a page number, so rows deleted before it shift new rows onto earlier pages."""

    def test_rows_appended_after_deletions_upstream_are_not_skipped(
        self, replay_server, fresh_engine
    ) -> None:
        engine = fresh_engine()
        before = ReplayData.from_lists({"view": _views(range(1, 551))})  # pages 1-6 of 100
        run_sync(engine, replay_server(before).url, resources=(VIEW,), page_size=100)
        # 120 old rows deleted, 100 appended: 530 rows, the new ones at positions 431-530
        after = ReplayData.from_lists({"view": _views(range(121, 651))})
        reports = run_sync(engine, replay_server(after).url, resources=(VIEW,), page_size=100)
        assert _stored_view_ids(engine) == set(range(1, 651))
        assert reports[0].added == 100

    def test_a_resume_page_now_past_the_end_still_finds_the_new_rows(
        self, replay_server, fresh_engine
    ) -> None:
        engine = fresh_engine()
        before = ReplayData.from_lists({"view": _views(range(1, 551))})
        run_sync(engine, replay_server(before).url, resources=(VIEW,), page_size=100)
        # 300 deleted, 50 appended: 300 rows, so the resume page (6) is empty now
        after = ReplayData.from_lists({"view": _views(range(301, 601))})
        run_sync(engine, replay_server(after).url, resources=(VIEW,), page_size=100)
        assert _stored_view_ids(engine) == set(range(1, 601))

    def test_without_deletions_the_resume_reads_one_page_as_before(
        self, replay_server, fresh_engine
    ) -> None:
        engine = fresh_engine()
        before = ReplayData.from_lists({"view": _views(range(1, 551))})
        run_sync(engine, replay_server(before).url, resources=(VIEW,), page_size=100)
        after = ReplayData.from_lists({"view": _views(range(1, 581))})  # 30 appended
        reports = run_sync(engine, replay_server(after).url, resources=(VIEW,), page_size=100)
        assert _stored_view_ids(engine) == set(range(1, 581))
        assert reports[0].start_page == 6
        assert reports[0].pages == 2  # page 6 (now full) and the empty page 7
