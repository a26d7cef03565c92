"""Registering and activating model versions (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from videorec.errors import NotFound
from videorec.storage.repositories import model_versions


class TestModelVersions:
    def test_registered_versions_start_inactive_and_are_listed(self, session) -> None:
        model_versions.register(session, version="a", path="/m/a", metrics={"x": 1}, config={})
        rows = model_versions.list_all(session)
        assert [row.version for row in rows] == ["a"]
        assert not rows[0].is_active
        assert model_versions.get_active(session) is None

    def test_activating_one_deactivates_the_others(self, session) -> None:
        for version in ("a", "b"):
            model_versions.register(session, version=version, path="/m", metrics={}, config={})
        model_versions.activate(session, "a")
        model_versions.activate(session, "b")
        active = model_versions.get_active(session)
        assert active is not None
        assert active.version == "b"
        assert sum(row.is_active for row in model_versions.list_all(session)) == 1

    def test_activating_an_unknown_version_is_not_found(self, session) -> None:
        with pytest.raises(NotFound):
            model_versions.activate(session, "missing")
