"""Ranked pools computed ahead, so that a returning user's new session opens in memory.

A new session's sources and ranking are most of its cost (`FeedService.open_in_memory` skips
them when the user's pool is held). After each feed state is built (start-up, each refresh,
which drops every held pool), `PoolWarmer` ranks and holds, in a daemon thread, the pools of up
to `warm_pools` feeds: first the feeds that opened sessions lately (`RankedPools.users`, with
their category and mood), then the default feed of the users with the latest
events, then of the newest users. It presents each feed's first page too (`present`), so
that page is answered from memory.

It shares the process with requests: after each feed it sleeps as long as the feed took, so
it takes at most about half of one core (and of the GIL), and it stops as soon as a newer state
replaces the one it warms.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import structlog
from sqlalchemy.orm import Session, sessionmaker

from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedService
from videorec.serving.ranked_pools import UserKey
from videorec.serving.registry import PipelineState
from videorec.storage.repositories import feed

log = structlog.get_logger(__name__)
Present = Callable[[Session, Sequence[int], PipelineState], object]
"""Presents post ids in a state ahead of their page (`PresentedPosts.get_many_encoded`)."""


class PoolWarmer:
    """A `PipelineRegistry` listener that warms the pools of each new state.

    Args:
        service: the feed service whose `pools` are filled.
        sessions: database sessions for the warmer's thread.
        limit: feeds warmed per state (`FeedConfig.warm_pools`).
        present: presents the first page's posts (None: not presented ahead).
    """

    def __init__(
        self,
        service: FeedService,
        sessions: sessionmaker[Session],
        limit: int,
        present: Present | None = None,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.limit = limit
        self.present = present
        self.warmed = 0
        """Feeds warmed for the newest state so far."""
        self.status = "idle" if limit > 0 else "off"
        """ "idle" (no state yet), "warming", "warm" or "failed" (for the newest state); "off"
        when `limit` is 0."""
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def stop(self) -> None:
        """Stop warming and wait for a run to end after its feed (at shutdown, before the
        engine goes)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __call__(self, state: PipelineState) -> None:
        if self.limit <= 0 or self.service.pools is None or self._stopped.is_set():
            return
        held = self.service.pools.users()
        self.warmed, self.status = 0, "warming"
        self._thread = threading.Thread(target=self._run, args=(state, held), name="pool-warmer",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def _run(self, state: PipelineState, held: list[UserKey]) -> None:
        started = time.perf_counter()
        changes = self.service.changes
        while changes is not None and not changes.polled and time.perf_counter() - started < 60:
            if self._stopped.wait(0.05):  # a pool stamped before the first look is never trusted
                return
        try:
            with self.sessions() as db:
                for request in self._feeds(db, held):
                    if self.service.registry.current is not state or self._stopped.is_set():
                        return  # a newer state has its own warmer run
                    took = time.perf_counter()
                    ids = self.service.hold_pool(db, state, request)
                    if self.present is not None and ids:
                        self.present(db, ids, state)
                    db.rollback()  # end the read: hold no snapshot of the database
                    self.warmed += 1
                    time.sleep(time.perf_counter() - took)  # at most half a core
        except Exception as exc:  # a failed warm-up costs speed only: sessions rank as before
            log.warning("pool_warm_up_failed", error=f"{type(exc).__name__}: {exc}")
            self.status = "failed"
            return
        if self.service.registry.current is state:
            self.status = "warm"
        log.info("pools_warmed", feeds=self.warmed,
                 seconds=round(time.perf_counter() - started, 2))  # fmt: skip

    def _feeds(self, db: Session, held: list[UserKey]) -> list[FeedRequest]:
        """The feeds to warm: those that opened sessions lately (with their filters), then the
        users with the latest events, then the newest users (default feed), `limit` in all,
        each once."""
        names = feed.usernames(db, sorted({user for user, _, _ in held}))
        size = self.service.config.default_page_size
        moods = self.service.registry.text_model_status == "ready"  # else: not loaded twice
        requests = [FeedRequest(names[user], category_id=category, mood=mood, page_size=size)
                    for user, category, mood in held
                    if user in names and (mood is None or moods)]  # fmt: skip
        chosen = {(r.username, r.category_id, r.mood) for r in requests}
        for users in (feed.recently_active_users, feed.newest_users):
            for _, name in users(db, self.limit) if len(requests) < self.limit else []:
                if (name, None, None) not in chosen:
                    chosen.add((name, None, None))
                    requests.append(FeedRequest(name, page_size=size))
        return requests[: self.limit]
