"""JSON columns round-trip through the engine's orjson serialiser, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from videorec.kit.time import utc_now
from videorec.storage.repositories import feed_sessions


def test_a_session_snapshot_round_trips_like_the_standard_json(session) -> None:
    data = {"ids": [3, 1, 2], "scores": [0.12345, -1.5, 1e-05], "reason_names": ["new", "é"],
            "pages": [[0, 1]], "model_version": None, "cold_start": True,
            "by_id": {7: "seven"}}  # fmt: skip
    expires = utc_now() + timedelta(hours=1)
    feed_sessions.create(session, id="s1", key="k", data=data, expires_at=expires)
    session.flush()
    session.expire_all()
    loaded = feed_sessions.get(session, "s1", utc_now())
    assert loaded is not None
    assert loaded[1] == {**data, "by_id": {"7": "seven"}}  # int keys become strings, as in json
