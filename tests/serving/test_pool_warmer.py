"""`PoolWarmer`: which feeds are ranked ahead after a new feed state, and in what order."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.serving import world
from tests.serving.test_ranked_pools import _open, _watched
from videorec.serving.pool_warmer import PoolWarmer
from videorec.serving.ranked_pools import RankedPools
from videorec.storage.tables import Interaction, User


def _by_latest_event(session: Session) -> list[str]:
    rows = session.execute(
        select(User.username)
        .join(Interaction, Interaction.user_id == User.id)
        .group_by(User.id, User.username)
        .order_by(func.max(Interaction.id).desc())
    )
    return [name for (name,) in rows]


def test_held_feeds_come_first_then_the_latest_events_then_the_newest_users(
    session: Session,
) -> None:
    world.populate(session)
    session.add(User(id=60_000, username="newbie"))  # no events yet
    session.flush()
    pools = RankedPools()
    service, _ = _watched(pools, session)
    _open(service, session, "fan6")
    _open(service, session, "fan5", category_id=2)  # feeds that opened sessions, fan5's last
    held = pools.users()
    assert held == [(50_005, 2, None), (50_006, None, None)]  # most recent first
    warmer = PoolWarmer(service, sessions=None, limit=10)  # type: ignore[arg-type]
    feeds = [(r.username, r.category_id, r.mood) for r in warmer._feeds(session, held)]
    active = _by_latest_event(session)
    assert feeds == [("fan5", 2, None), ("fan6", None, None),
                     *[(n, None, None) for n in active if n != "fan6"],
                     ("newbie", None, None)]  # fmt: skip
    warmer.limit = 3
    rest = [n for n in active if n != "fan6"]
    assert [r.username for r in warmer._feeds(session, held)] == ["fan5", "fan6", rest[0]]
