"""Shared contract suites. A test class inherits one and says how to build the thing under test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from videorec.serving.candidates.base import CandidateSource


class CandidateSourceContract:
    """What every candidate source must do. Subclasses define `make_source` and may set
    `context_kwargs` (e.g. a mood, a model) so the source has something to find."""

    context_kwargs: dict[str, Any] = {}
    needs_history = False
    known_user = 50_001

    def make_source(self, feed_world: Any) -> CandidateSource:
        raise NotImplementedError

    def _fetch(self, feed_world: Any, user: int | None, limit: int = 30, **extra: Any) -> list:
        source = self.make_source(feed_world)
        ctx = feed_world.context(user, **{**self.context_kwargs, **extra})
        return source.fetch(ctx, limit)

    def test_empty_history_gives_a_list_of_public_posts(self, feed_world: Any) -> None:
        found = self._fetch(feed_world, None)
        assert isinstance(found, Sequence)  # a list, or the arrays of a `CandidateList`
        assert all(feed_world.index.public[c.row] for c in found)
        if not self.needs_history:
            assert found

    def test_unknown_user_gets_what_a_user_without_history_gets(self, feed_world: Any) -> None:
        """An id never seen has no history: it is served as a newcomer, never an error, and a
        source that works without history still finds posts for it (public ones only)."""
        found = self._fetch(feed_world, 999_999_999)
        assert found == self._fetch(feed_world, None)
        if self.needs_history:
            assert found == []
        else:
            assert found
        assert all(feed_world.index.public[c.row] for c in found)

    def test_respects_the_limit(self, feed_world: Any) -> None:
        for limit in (0, 1, 7):
            assert len(self._fetch(feed_world, self.known_user, limit)) <= limit

    def test_never_returns_excluded_or_hidden_posts(self, feed_world: Any) -> None:
        excluded = np.arange(0, len(feed_world.index), 2, dtype=np.int64)
        found = self._fetch(feed_world, self.known_user, 50, excluded_rows=excluded)
        rows = {c.row for c in found}
        assert not rows & set(excluded.tolist())
        assert all(feed_world.index.public[r] for r in rows)

    def test_no_duplicates_and_one_source_name(self, feed_world: Any) -> None:
        found = self._fetch(feed_world, self.known_user, 60)
        assert len({c.row for c in found}) == len(found)
        assert {c.source for c in found} <= {self.make_source(feed_world).name}

    def test_is_deterministic(self, feed_world: Any) -> None:
        first = self._fetch(feed_world, self.known_user, 25)
        second = self._fetch(feed_world, self.known_user, 25)
        assert first == second
