"""Pages computed off the request path, so that a scrolling user almost always gets a held page.

After `/feed` answers a scroll page with at most `pages_ahead` pages stored after it
(`FeedPage.refill`), the route starts a refill: an asyncio task created as the handler returns
(it first runs while the response is being sent, not strictly after it), whose worker thread
stores the next pages, up to `refill_pages` ahead (`FeedService.refill`, compare-and-set
as a page does: by default the rest of the session's pool), and presents their posts, so the
next cursors are answered on the event loop from memory (`page_in_memory`). One refill after
page 2 instead of one every other page: a reader who scrolls on fast (an app that prefetches)
waited for a refill every few pages, each a thread hop and a compare-and-set of its own.

Bounded: one refill at a time per session, at most `MAX_REFILLS` pending per process (past
that none starts, and the page is computed on the request path when asked for, as before), and
`REFILL_THREADS` worker thread(s) for all of them. A request for a page that a refill of its
session is computing (its thread has started) waits for that refill instead of computing the
page a second time; a refill still queued behind other sessions' is cancelled instead, and the
request computes its page (it never waits behind other users' work). Shutdown cancels the
queued refills and waits only for the running ones.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import structlog

log = structlog.get_logger(__name__)
MAX_REFILLS = 64
"""Refills pending or running per process; past this many a refill is not started."""
REFILL_THREADS = 1
"""Worker threads computing refills (beside the `FEED_THREADS` of pages asked for)."""


@dataclass
class _Refill:
    done: anyio.Event = field(default_factory=anyio.Event)
    started: bool = False
    """Set in the worker thread as `work` begins: from then on it cannot be cancelled."""
    task: asyncio.Task[None] | None = None


class PageRefills:
    """The refills of this process, by session id."""

    def __init__(self, max_pending: int = MAX_REFILLS, threads: int = REFILL_THREADS) -> None:
        self.max_pending = max_pending
        self._refills: dict[str, _Refill] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._limiter = anyio.CapacityLimiter(threads)
        self.started = 0
        """Refills started since the process began."""

    def start(
        self,
        session_id: str,
        work: Callable[[], None],
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> bool:
        """Run `work` (blocking: it runs in a worker thread) as `session_id`'s refill, once
        `ready()` is done when given (awaited on the event loop, before the refill takes a
        thread: the session's store write, `api/session_writes.py`); False when that session
        has one pending already or `max_pending` are. Call on the event loop."""
        if session_id in self._refills or len(self._refills) >= self.max_pending:
            return False
        refill = self._refills[session_id] = _Refill()
        refill.task = asyncio.get_running_loop().create_task(self._run(work, refill, ready))
        self._tasks.add(refill.task)  # held until done: the loop keeps only weak references
        refill.task.add_done_callback(functools.partial(self._finished, session_id, refill))
        self.started += 1
        return True

    async def wait(self, session_id: str | None) -> bool:
        """Wait for `session_id`'s refill if its thread has started; True when there was one.
        A refill still queued is cancelled instead (the caller computes the page itself)."""
        refill = self._refills.get(session_id) if session_id is not None else None
        if refill is None:
            return False
        if not refill.started:
            self._cancel(refill)
            return False
        await refill.done.wait()
        return True

    async def close(self) -> None:
        """Start no more refills, cancel the queued ones and wait for the running ones (before
        the engine goes)."""
        self.max_pending = 0
        for refill in list(self._refills.values()):
            if not refill.started:
                self._cancel(refill)
        for refill in list(self._refills.values()):
            await refill.done.wait()

    def pending(self) -> int:
        """Refills queued or running now."""
        return len(self._refills)

    def _cancel(self, refill: _Refill) -> None:
        if refill.task is not None:
            refill.task.cancel()  # before its thread starts: anyio gives up the limiter wait

    def _finished(self, session_id: str, refill: _Refill, task: asyncio.Task[None]) -> None:
        """A refill's end however it ended: done, failed, or cancelled, also before its task
        first ran (then no line of `_run`, not even a `finally`, runs: bookkeeping there left
        the session pending for good and made shutdown wait for it forever)."""
        self._tasks.discard(task)
        if self._refills.get(session_id) is refill:
            del self._refills[session_id]
        refill.done.set()

    async def _run(
        self,
        work: Callable[[], None],
        refill: _Refill,
        ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        def begin() -> None:
            refill.started = True
            work()

        try:
            if ready is not None:
                await ready()  # not started meanwhile: a page request cancels it, as if queued
            await anyio.to_thread.run_sync(begin, limiter=self._limiter)
        except Exception as exc:  # a failed refill costs nothing: the page is computed when asked
            log.warning("page_refill_failed", error=f"{type(exc).__name__}: {exc}")
