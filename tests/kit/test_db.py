"""JSON columns round-trip through the engine's orjson serialiser, on SQLite and PostgreSQL; a
reading command's engine does not make a database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from videorec.errors import NotFound
from videorec.kit.db import existing_engine, sqlite_file
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


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///var/videorec.db", "var/videorec.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u@h/test", None),
    ],
)
def test_sqlite_file_is_the_file_a_url_names(url: str, file: str | None) -> None:
    assert sqlite_file(url) == (None if file is None else Path(file))


def test_an_existing_engine_opens_an_existing_file_and_not_a_missing_one(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=str(tmp_path / "missing.db")):
        existing_engine(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "there.db").touch()
    existing_engine(f"sqlite:///{tmp_path / 'there.db'}").dispose()
    existing_engine("sqlite://").dispose()  # in memory: nothing to look for
