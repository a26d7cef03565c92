"""Renames and swaps of upstream usernames land instead of being quarantined on every sync."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.ingestion.sync_helpers import run_sync
from tests.storage.test_ingest_repositories import user_row
from videorec.ingestion import usernames
from videorec.ingestion.replay.data import ReplayData
from videorec.ingestion.resources import USERS
from videorec.kit.db import make_sessionmaker
from videorec.storage.repositories import ingest_users
from videorec.storage.tables import QuarantinedItem, User


def _rows(*claims: tuple[int, str]) -> list[dict]:
    return [{"id": uid, "username": name} for uid, name in claims]


class TestSettle:
    def test_a_swap_takes_both_names(self) -> None:
        settled = usernames.settle(_rows((1, "bob"), (2, "alice")), {"alice": 1, "bob": 2})
        assert settled.kept == [0, 1]
        assert settled.refused == []
        assert settled.displaced == [2, 1]

    def test_a_name_its_holder_keeps_is_refused_with_the_holder(self) -> None:
        settled = usernames.settle(_rows((1, "bob"), (3, "carol")), {"alice": 1, "bob": 2})
        assert settled.kept == [1]
        assert settled.refused == [(0, 2)]
        assert settled.displaced == []

    def test_a_name_freed_by_a_rename_here_is_taken(self) -> None:
        settled = usernames.settle(_rows((9, "bob"), (2, "robert")), {"bob": 2})
        assert settled.kept == [0, 1]
        assert settled.displaced == [2]

    def test_the_first_of_two_new_claims_wins(self) -> None:
        settled = usernames.settle(_rows((4, "dan"), (5, "dan")), {})
        assert settled.kept == [0]
        assert settled.refused == [(1, 4)]

    def test_a_refusal_propagates_along_a_chain(self) -> None:
        # 1 wants 2's name; 2 wants 3's name, which 3 keeps: 2 stays, so 1 cannot move either.
        settled = usernames.settle(_rows((1, "b"), (2, "c"), (3, "c3")),
                                   {"a": 1, "b": 2, "c": 4})  # fmt: skip
        assert settled.kept == [2]
        assert sorted(settled.refused) == [(0, 2), (1, 4)]


def test_a_swap_is_written_in_one_transaction(session) -> None:
    ingest_users.upsert_users(session, [user_row(1, "alice"), user_row(2, "bob")])
    written = usernames.write(session, [user_row(1, "bob"), user_row(2, "alice")], [{}, {}])
    assert written.refused == []
    assert written.landed == {1, 2}
    session.expire_all()
    assert (session.get(User, 1).username, session.get(User, 2).username) == ("bob", "alice")


def _user(uid: int, name: str) -> dict:
    return {"id": uid, "username": name, "first_name": "F", "last_name": "L"}


@pytest.mark.parametrize("page_size", [1, 10])  # the swap across two pages, and within one
def test_a_sync_lands_a_swap_of_usernames(replay_server, fresh_engine, page_size) -> None:
    engine = fresh_engine()
    before = [_user(1, "alice"), _user(2, "bob"), _user(3, "carol")]
    run_sync(engine, replay_server(ReplayData.from_lists({"users": before})).url,
             resources=(USERS,))  # fmt: skip
    after = [_user(1, "bob"), _user(2, "alice"), _user(3, "carol")]
    report = run_sync(engine, replay_server(ReplayData.from_lists({"users": after})).url,
                      resources=(USERS,), full=True, page_size=page_size)  # fmt: skip
    with make_sessionmaker(engine)() as session:
        names = dict(session.execute(select(User.id, User.username)).all())
        quarantined = session.scalars(select(QuarantinedItem.reason)).all()
    assert names == {1: "bob", 2: "alice", 3: "carol"}
    assert quarantined == []
    assert report[0].quarantined == 0


def test_a_sync_still_refuses_a_name_its_holder_keeps(replay_server, fresh_engine) -> None:
    engine = fresh_engine()
    users = [_user(1, "alice"), _user(2, "bob")]
    run_sync(engine, replay_server(ReplayData.from_lists({"users": users})).url, resources=(USERS,))
    clash = [_user(1, "alice"), _user(2, "bob"), _user(3, "alice")]
    report = run_sync(engine, replay_server(ReplayData.from_lists({"users": clash})).url,
                      resources=(USERS,), full=True, page_size=1)  # fmt: skip
    with make_sessionmaker(engine)() as session:
        reasons = session.scalars(select(QuarantinedItem.reason)).all()
        assert session.get(User, 3) is None
    assert reasons == ["username 'alice' belongs to user 1"]
    assert report[0].quarantined == 1


def test_only_a_users_last_row_claims_its_name(session) -> None:
    ingest_users.upsert_users(session, [user_row(2, "x")])
    rows = [user_row(2, "x"), user_row(2, "y"), user_row(1, "x")]  # 2 moves on within the page
    written = usernames.write(session, rows, [{"n": 1}, {"n": 2}, {"n": 3}])
    assert written.refused == []
    session.expire_all()
    assert (session.get(User, 1).username, session.get(User, 2).username) == ("x", "y")


def test_a_refused_row_overtaken_by_a_later_row_of_its_user_is_not_retried(
    replay_server, fresh_engine
) -> None:
    engine = fresh_engine()
    users = [_user(2, "old2"), _user(5, "x")]
    run_sync(engine, replay_server(ReplayData.from_lists({"users": users})).url, resources=(USERS,))
    stale = {**_user(2, "x"), "first_name": "stale"}  # refused: 5 holds x on its page
    fresh = {**_user(2, "y"), "first_name": "fresh"}  # 2 seen again (upstream pages shifted)
    later = [stale, _user(5, "z"), fresh]
    run_sync(engine, replay_server(ReplayData.from_lists({"users": later})).url,
             resources=(USERS,), full=True, page_size=1)  # fmt: skip
    with make_sessionmaker(engine)() as session:
        two = session.get(User, 2)
        assert (two.username, two.first_name) == ("y", "fresh")
        assert session.get(User, 5).username == "z"


def test_a_user_that_lands_in_a_later_sync_leaves_the_quarantine(
    replay_server, fresh_engine
) -> None:
    engine = fresh_engine()
    clash = [_user(1, "alice"), _user(3, "alice")]
    run_sync(engine, replay_server(ReplayData.from_lists({"users": clash})).url, resources=(USERS,))
    with make_sessionmaker(engine)() as session:
        assert len(session.scalars(select(QuarantinedItem)).all()) == 1
    moved = [_user(1, "al"), _user(3, "alice")]
    run_sync(engine, replay_server(ReplayData.from_lists({"users": moved})).url,
             resources=(USERS,), full=True)  # fmt: skip
    with make_sessionmaker(engine)() as session:
        assert session.get(User, 3).username == "alice"
        assert session.scalars(select(QuarantinedItem)).all() == []
