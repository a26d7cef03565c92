"""The feed's per-request reads: a user and their history in one round trip, as two reads give."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from tests.factories import create_interaction, create_post, create_user
from videorec.storage.repositories import feed


def _same(a, b) -> None:
    for name in ("user_ids", "post_ids", "kinds", "ratings", "timestamps"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_user_and_history_equal_the_two_reads(session) -> None:
    active = create_user(session, username="active-fan")
    idle = create_user(session, username="idle-fan")
    numeric = create_user(session, id=987_654, username="someone")
    posts = [create_post(session) for _ in range(4)]
    start = datetime(2025, 3, 1)
    for i, (post, kind) in enumerate(zip(posts * 2, ["view", "like", "rating", "inspire"] * 2,
                                         strict=True)):  # fmt: skip
        for user in (active, numeric):
            create_interaction(session, user_id=user.id, post_id=post.id, kind=kind,
                               rating=80 if kind == "rating" else None,
                               occurred_at=start + timedelta(minutes=i))  # fmt: skip
    for username, limit in [("active-fan", 5), ("active-fan", 100), ("idle-fan", 10),
                            ("987654", 3), ("nobody", 10)]:  # fmt: skip
        user_id, history = feed.user_and_history(session, username, limit)
        assert user_id == feed.find_user_id(session, username)
        if user_id is None:
            assert len(history) == 0
            continue
        _same(history, feed.user_history(session, user_id, limit))
    assert len(feed.user_and_history(session, "active-fan", 5)[1]) == 5
    assert feed.user_and_history(session, "idle-fan", 10)[0] == idle.id
