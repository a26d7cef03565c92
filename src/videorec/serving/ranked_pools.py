"""Ranked pools of recent new sessions, reused while nothing they were ranked from has changed.

A new session's pool (every candidate source, then the ranking: most of its CPU) is a function of
the feed state, the user, the history read for this request and the request's filters, and of
nothing else (no clock, no randomness). A user who opens a new session again with the same
history in the same feed state (pull to refresh, the app reopened) gets the pool they got
before; `RankedPools` hands it back instead of ranking it again. The key holds the history as
read now, so an event (`POST /events`) changes the next new session's key: the pool is ranked
again. A new feed state (a refresh) empties the cache.

A pool ranked with a `UserChanges` stamp is also held by (user, category, mood): while the user
has had no events since the stamp, a new session may be opened from it without reading the
history (`held`, `FeedService.open_in_memory`). Those are kept in two segments (a segmented
LRU): pools ranked ahead (`serving/pool_warmer.py`) or opened a second time are protected;
pools ranked once on the request path wait on probation, a quarter of the size, so a flood of
users seen once (crawlers, a burst of new users) pushes out only each other.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from videorec.serving.candidates.base import FeedContext
from videorec.serving.ranking import Ranked
from videorec.serving.registry import PipelineState

RANKED_POOLS = 2048
"""Pools each process keeps at least (`api/feed_setup.py` keeps 2 x `warm_pools` when more):
~10 kB each at a 300-post pool, plus up to `OPENINGS` snapshots of ~25 kB for a user's feed."""
OPENINGS = 2
"""Opening snapshots kept per held pool (page sizes, the latest used): a client picks it."""
PoolKey = tuple[int | None, int | None, str | None, bytes]
UserKey = tuple[int, int | None, str | None]
"""(user id, category id, mood): a known user's feed without a project filter."""


def pool_key(ctx: FeedContext) -> PoolKey:
    """What a new session's ranked pool depends on besides the feed state: the user, the
    filters, the mood, and a digest of the history (post ids, kinds, ratings, times) and of the
    rows a project filter allows."""
    digest = hashlib.blake2b(digest_size=16)
    history = ctx.history
    for array in (history.post_ids, history.kinds, history.ratings, history.timestamps):
        digest.update(array.tobytes())
        digest.update(b"|")
    if ctx.allowed_rows is not None:
        digest.update(b"allowed:" + ctx.allowed_rows.tobytes())
    return ctx.user_id, ctx.category_id, ctx.mood, digest.digest()


@dataclass(frozen=True)
class HeldPool:
    """A pool held for a user's feed, with what it was ranked from."""

    ranked: Ranked
    cold: bool
    """Ranked on the cold path (`FeedContext.cold`)."""
    stamp: int
    """The `UserChanges` stamp taken before the history was read."""
    openings: dict[int, dict[str, Any]] = field(default_factory=dict)
    """By page size, the snapshot a new session over this pool starts from (its first pages
    picked), made once (`FeedService._opening`), at most `OPENINGS`; never modified once
    here."""

    def opening(self, page_size: int) -> dict[str, Any] | None:
        return self.openings.get(page_size)

    def keep_opening(self, page_size: int, snapshot: dict[str, Any]) -> None:
        """Keep `snapshot` for `page_size`, dropping the oldest past `OPENINGS`."""
        self.openings[page_size] = snapshot
        while len(self.openings) > OPENINGS:
            del self.openings[next(iter(self.openings))]


@dataclass(frozen=True)
class _Held:
    state: weakref.ref[PipelineState] | None
    """The feed state the pools were ranked in (weak: a replaced state is not kept alive)."""
    pools: OrderedDict[PoolKey, Ranked]
    protected: OrderedDict[UserKey, HeldPool] = field(default_factory=OrderedDict)
    """Users' feeds ranked ahead or opened twice, least recently used first."""
    probation: OrderedDict[UserKey, HeldPool] = field(default_factory=OrderedDict)
    """Users' feeds ranked once on the request path, least recently used first."""

    def of(self, state: PipelineState) -> bool:
        return self.state is not None and self.state() is state


class RankedPools:
    """A thread-safe LRU of ranked pools (`Ranked`, cut to the session pool) for one feed state.

    Callers must not modify a pool they get (its arrays are shared with later sessions).
    """

    def __init__(self, maxsize: int = RANKED_POOLS) -> None:
        self.maxsize = maxsize
        self._held = _Held(None, OrderedDict())
        self._opened: OrderedDict[UserKey, int] = OrderedDict()
        """User feeds that opened sessions (any state) and how often, least recent first."""
        self._lock = threading.Lock()

    def get(self, state: PipelineState, key: PoolKey) -> Ranked | None:
        """The pool ranked for `key` in feed state `state`, if held."""
        with self._lock:
            if not self._held.of(state):
                return None
            found = self._held.pools.get(key)
            if found is not None:
                self._held.pools.move_to_end(key)
            return found

    def held(
        self, state: PipelineState, user_id: int, category_id: int | None, mood: str | None
    ) -> HeldPool | None:
        """The latest pool ranked with a stamp for this user's feed in `state`, if held."""
        with self._lock:
            if not self._held.of(state):
                return None
            user_key = (user_id, category_id, mood)
            held = self._held
            found = held.protected.get(user_key)
            if found is not None:
                held.protected.move_to_end(user_key)
                return found
            found = held.probation.pop(user_key, None)
            if found is not None:  # opened a second time: protected
                self._keep(held.protected, user_key, found, self.maxsize)
            return found

    def put(
        self,
        state: PipelineState,
        key: PoolKey,
        ranked: Ranked,
        *,
        cold: bool = False,
        stamp: int | None = None,
        protect: bool = False,
    ) -> HeldPool:
        """Hold `ranked` for `key` in `state` (a new state drops every pool of the previous);
        with a `stamp` (and a known user, no project filter) also for the user's feed, on
        probation unless `protect` (ranked ahead) or the feed is protected already. The pool
        as held (a stamp of 0 when none was given)."""
        pool = HeldPool(ranked, cold, stamp or 0)
        if self.maxsize <= 0:
            return pool
        with self._lock:
            if not self._held.of(state):
                self._held = _Held(weakref.ref(state), OrderedDict())
            held = self._held
            user_id, category_id, mood, _ = key
            user_key = (user_id, category_id, mood) if user_id is not None else None
            before = None
            if user_key is not None:
                before = held.protected.get(user_key) or held.probation.get(user_key)
            if before is not None and before.ranked is ranked:  # the same pool: its openings too
                pool = HeldPool(ranked, cold, stamp or 0, before.openings)
            self._keep(held.pools, key, ranked, self.maxsize)
            if stamp is not None and user_key is not None:
                if protect or user_key in held.protected:
                    held.probation.pop(user_key, None)
                    self._keep(held.protected, user_key, pool, self.maxsize)
                else:
                    self._keep(held.probation, user_key, pool, max(self.maxsize // 4, 1))
        return pool

    @staticmethod
    def _keep(lru: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
        lru[key] = value
        lru.move_to_end(key)
        while len(lru) > size:
            lru.popitem(last=False)

    def opened(self, user_key: UserKey) -> None:
        """Note that `user_key`'s feed opened a session now (kept across feed states)."""
        with self._lock:
            self._opened[user_key] = self._opened.get(user_key, 0) + 1
            self._opened.move_to_end(user_key)
            while len(self._opened) > self.maxsize:
                self._opened.popitem(last=False)

    def users(self) -> list[UserKey]:
        """The user feeds that opened sessions lately, in any feed state: those that opened
        two or more first (returning users: a flood of users seen once comes after them),
        each group most recent first; whom to rank again for a new one
        (`serving/pool_warmer.py`)."""
        with self._lock:
            recent = list(reversed(self._opened.items()))
        return [k for k, n in recent if n > 1] + [k for k, n in recent if n == 1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._held.pools)
