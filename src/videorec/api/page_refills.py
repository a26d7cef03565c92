"""Pages computed off the request path, so that a scrolling user almost always gets a held page.

After `/feed` answers a scroll page with at most `pages_ahead` pages stored after it
(`FeedPage.refill`), the route starts a refill: in a worker thread, after the response, it
stores the next pages, up to 2 x `pages_ahead` ahead (`FeedService.refill`, compare-and-set
as a page does), and presents their posts, so the next cursors are answered on the event loop
from memory (`page_in_memory`).

Bounded: one refill at a time per session, at most `MAX_REFILLS` pending per process (past
that none starts, and the page is computed on the request path when asked for, as before), and
`REFILL_THREADS` worker thread(s) for all of them. A request for a page that a running refill
of its session is computing waits for that refill instead of computing the page a second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio
import structlog

log = structlog.get_logger(__name__)
MAX_REFILLS = 64
"""Refills pending or running per process; past this many a refill is not started."""
REFILL_THREADS = 1
"""Worker threads computing refills (beside the `FEED_THREADS` of pages asked for)."""


class PageRefills:
    """The refills of this process: session id -> an event set when its refill ends."""

    def __init__(self, max_pending: int = MAX_REFILLS, threads: int = REFILL_THREADS) -> None:
        self.max_pending = max_pending
        self._running: dict[str, anyio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._limiter = anyio.CapacityLimiter(threads)
        self.started = 0
        """Refills started since the process began."""

    def start(self, session_id: str, work: Callable[[], None]) -> bool:
        """Run `work` (blocking: it runs in a worker thread) as `session_id`'s refill; False when
        that session has one running already or `max_pending` are. Call on the event loop."""
        if session_id in self._running or len(self._running) >= self.max_pending:
            return False
        done = self._running[session_id] = anyio.Event()
        task = asyncio.get_running_loop().create_task(self._run(session_id, work, done))
        self._tasks.add(task)  # held until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
        self.started += 1
        return True

    async def wait(self, session_id: str | None) -> bool:
        """Wait for `session_id`'s running refill, if any; True when there was one."""
        done = self._running.get(session_id) if session_id is not None else None
        if done is None:
            return False
        await done.wait()
        return True

    async def close(self) -> None:
        """Start no more refills and wait for the running ones (before the engine goes)."""
        self.max_pending = 0
        for done in list(self._running.values()):
            await done.wait()

    def pending(self) -> int:
        """Refills pending or running now."""
        return len(self._running)

    async def _run(self, session_id: str, work: Callable[[], None], done: anyio.Event) -> None:
        try:
            await anyio.to_thread.run_sync(work, limiter=self._limiter)
        except Exception as exc:  # a failed refill costs nothing: the page is computed when asked
            log.warning("page_refill_failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            del self._running[session_id]
            done.set()
