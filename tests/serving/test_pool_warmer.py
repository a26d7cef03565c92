"""`PoolWarmer`: which feeds are ranked ahead after a new feed state, and in what order."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.serving import world
from tests.serving.test_ranked_pools import _open, _service
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
    service, _ = _service(pools)
    _open(service, session, "fan5", category_id=2)  # a feed someone opened: held (no stamp)
    assert pools.users() == []  # held with a stamp only (a service that watches changes)
    held = [(50_005, 2, None)]
    warmer = PoolWarmer(service, sessions=None, limit=10)  # type: ignore[arg-type]
    feeds = [(r.username, r.category_id, r.mood) for r in warmer._feeds(session, held)]
    active = _by_latest_event(session)
    assert feeds == [("fan5", 2, None), *[(n, None, None) for n in active], ("newbie", None, None)]
    warmer.limit = 3
    assert [r.username for r in warmer._feeds(session, held)] == ["fan5", *active[:2]]
