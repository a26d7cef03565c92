"""`UserChanges`: which users had events since a stamp, from touches and from polls of the log."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tests.factories import create_category, create_post
from videorec.serving import user_changes
from videorec.serving.user_changes import UserChanges
from videorec.storage.tables import Interaction, User


def _world(session: Session) -> None:
    category = create_category(session, id=1, name="cats")
    create_post(session, id=10, category=category, title="a cat")
    session.add_all([User(id=u, username=f"u{u}") for u in (1, 2, 3)])
    session.flush()


def _event(session: Session, event_id: int, user_id: int) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    session.add(Interaction(id=event_id, kind="view", upstream_id=event_id, user_id=user_id,
                            post_id=10, occurred_at=now))  # fmt: skip
    session.flush()


def test_nothing_is_trusted_before_the_first_poll_nor_once_polls_stop() -> None:
    changes = UserChanges()
    stamp = changes.stamp()
    assert changes.changed_since(1, stamp)  # not watched yet
    assert not changes.watching(60.0)


def test_a_touch_marks_its_users_for_stamps_taken_before_it(session: Session) -> None:
    _world(session)
    changes = UserChanges()
    changes.poll(session)
    before = changes.stamp()
    changes.touch([1])
    after = changes.stamp()
    assert changes.changed_since(1, before)
    assert not changes.changed_since(1, after)
    assert not changes.changed_since(2, before)
    assert changes.watching(60.0)


def test_a_poll_marks_the_users_of_new_events_once(session: Session) -> None:
    _world(session)
    _event(session, 100, 1)
    changes = UserChanges()
    changes.poll(session)  # notes where the log ends: the old event marks nobody
    stamp = changes.stamp()
    assert not changes.changed_since(1, stamp)
    _event(session, 101, 2)
    assert changes.poll(session) == 1
    assert changes.changed_since(2, stamp)
    assert not changes.changed_since(1, stamp)
    again = changes.stamp()
    assert changes.poll(session) == 0  # event 101 was seen: user 2 is not marked again
    assert not changes.changed_since(2, again)


def test_an_event_committed_out_of_id_order_is_still_seen(session: Session) -> None:
    """An id a poll skipped over (a PostgreSQL sequence value committed late) is a gap, looked
    for again by later polls, and marks its user once there; an id below where watching began
    never does."""
    _world(session)
    _event(session, 100, 1)
    changes = UserChanges()
    changes.poll(session)
    _event(session, 120, 1)
    changes.poll(session)  # ids 101-119 were skipped over
    stamp = changes.stamp()
    _event(session, 115, 2)  # committed after 120 was read
    _event(session, 90, 3)  # below the first poll's end: the feed state's business
    assert changes.poll(session) == 1
    assert changes.changed_since(2, stamp)
    assert not changes.changed_since(3, stamp)
    again = changes.stamp()
    assert changes.poll(session) == 0  # a filled gap is not read twice
    assert not changes.changed_since(2, again)


def test_a_gap_is_looked_for_only_so_long(session: Session, monkeypatch) -> None:
    monkeypatch.setattr(user_changes, "GAP_TTL_S", 0.0)
    _world(session)
    changes = UserChanges()
    changes.poll(session)
    _event(session, 120, 1)
    changes.poll(session)
    stamp = changes.stamp()
    _event(session, 115, 2)
    assert changes.poll(session) == 0  # the gap expired before it was filled
    assert not changes.changed_since(2, stamp)


def test_past_max_marks_every_older_stamp_is_distrusted(monkeypatch) -> None:
    monkeypatch.setattr(user_changes, "MAX_MARKS", 3)
    changes = UserChanges()
    changes._trusted_from = 0  # as after a first poll
    before = changes.stamp()
    changes.touch([1, 2, 3, 4])  # one too many: all forgotten
    after = changes.stamp()
    assert changes.changed_since(9, before)  # unmarked, but its stamp predates the forgetting
    assert not changes.changed_since(1, after)


def test_gaps_in_the_logs_end_at_the_first_poll_and_across_a_long_jump_are_watched(
    session: Session,
) -> None:
    """The first poll finds the gaps already in the log's last ids; a jump of the id sequence
    (values used by inserts that stored nothing) is one range, however long."""
    _world(session)
    _event(session, 100, 1)
    _event(session, 110, 1)  # 101-109 not committed yet as the first poll runs
    changes = UserChanges()
    changes.poll(session)
    _event(session, 60_000, 1)  # past a jump of ~60,000 unused ids
    changes.poll(session)
    stamp = changes.stamp()
    _event(session, 105, 2)
    _event(session, 30_000, 3)
    assert changes.poll(session) == 2
    assert changes.changed_since(2, stamp)
    assert changes.changed_since(3, stamp)
