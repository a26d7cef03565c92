"""The feed, end to end: open or resume a session, rank, re-rank the next page, sign the cursor.

A session snapshot holds the ranked pool (post ids, scores, reasons) and the pages already
served as positions into that pool, so a cursor always returns the same page and no page of a
session repeats a post. Racing writers are resolved by the store's compare-and-set.

Page numbers are bounded by the pool: a session has at most `last_page(snapshot)` pages, and
a page past that (a forged cursor, `page=10000`) is empty with no `next_cursor`. Such a page
ranks nothing: past what any pool could fill it is answered without reading a session, and
past its own session's pool without computing or writing any page.

A new session whose pool is held (`RankedPools.held`) and whose user has had no events since it
was ranked (`UserChanges`) is opened in memory (`open_in_memory`): no history read, no ranking,
its first `1 + pages_ahead` pages picked once per pool and page size (more once a refill of a
session opened from it stored more: `_upgrade_opening`), and its store write left to the
caller (`api/session_writes.py` writes it behind the answer).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from videorec.errors import InvalidCursor
from videorec.kit.cursor import decode_cursor, encode_cursor
from videorec.serving.candidates import CandidateSource, default_sources
from videorec.serving.candidates.base import FeedContext
from videorec.serving.config import FeedConfig
from videorec.serving.context import FeedRequest, build_context, normalized_mood
from videorec.serving.ranked_pools import HeldPool, RankedPools, pool_key
from videorec.serving.ranking import Ranked, rank
from videorec.serving.registry import PipelineRegistry, PipelineState
from videorec.serving.rerank import pick_page
from videorec.serving.sessions import RecentSessions, SessionStore, Snapshot
from videorec.serving.user_changes import UserChanges

CAS_ATTEMPTS = 8
OPENED_FROM = 1024
"""Recent sessions whose held pool and page size are remembered (`_upgrade_opening`)."""
WRITTEN_WAIT_S = 1.0
"""How long a cursor for one of a session's first pages (up to `2 + pages_ahead`: the pages
another process may have served from memory before storing it) waits for the session to be
stored: a session opened in memory is written behind its first page, within milliseconds."""
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FeedPage:
    """One page of a feed: post ids in display order with their scores and reasons."""

    post_ids: list[int]
    scores: list[float]
    reasons: list[str]
    page: int
    page_size: int
    next_cursor: str | None
    cold_start: bool
    model_version: str | None
    ahead_ids: list[int] = field(default_factory=list)
    """Post ids of the session's pages stored after this one (`pages_ahead`), which a caller may
    present in advance."""
    session_id: str | None = None
    refill: bool = False
    """A scroll page (not a first page) with at most `pages_ahead` pages stored after it: a
    caller may call `FeedService.refill` once it is answered, so the next pages are held."""


@dataclass(frozen=True)
class OpenedSession:
    """A new session opened in memory (`FeedService.open_in_memory`), not stored yet."""

    session_id: str
    key: str
    """The request's `FeedRequest.key` (what `page=K` requests find it by)."""
    snapshot: Snapshot
    page: FeedPage


class FeedService:
    """Serves pages of feed sessions.

    Args:
        registry: the long-lived pipeline state.
        config: feed configuration.
        secret: the cursor signing key.
        sources: candidate sources (default: all of them).
        pools: ranked pools of recent new sessions to reuse (`ranked_pools.py`); None: none.
        changes: which users had events lately (`user_changes.py`), kept current by a poller;
            with `pools`, what lets `open_in_memory` open a session without reading a history.
    """

    def __init__(
        self,
        registry: PipelineRegistry,
        config: FeedConfig,
        secret: bytes,
        sources: list[CandidateSource] | None = None,
        pools: RankedPools | None = None,
        changes: UserChanges | None = None,
    ) -> None:
        self.registry = registry
        self.config = config
        self.secret = secret
        self.sources = sources if sources is not None else default_sources()
        self.pools = pools
        self.changes = changes
        self._opened_from: OrderedDict[str, tuple[HeldPool, int]] = OrderedDict()
        self._opened_lock = threading.Lock()

    def page(self, db: Session, store: SessionStore, request: FeedRequest) -> FeedPage:
        """The requested page (a new session's first page when there is no cursor or page)."""
        state = self.registry.state(db)
        session_id, number = self._locate(store, request)
        if number > self._most_pages(request):  # past any pool: nothing to read or rank
            return self._past_the_end(number, request, state)
        if session_id is None:  # a new session is written with its first pages already in it
            session_id, snapshot = self._open(db, store, state, request, number)
            return self._render(snapshot, session_id, number, request.username)
        loaded = store.load(session_id)
        if loaded is None and number <= 2 + self.config.pages_ahead:  # opened in memory by
            loaded = _await_stored(store, session_id)  # another process, pages held, just now?
        if loaded is None:
            raise InvalidCursor("feed session has expired; start again without a cursor")
        upto = number + self.config.pages_ahead
        snapshot = self._ensure_page(store, state, session_id, loaded, number, upto)
        return self._render(snapshot, session_id, number, request.username)

    def page_in_memory(self, recent: RecentSessions, request: FeedRequest) -> FeedPage | None:
        """The page, when this process holds it already computed: a cursor into a session of
        `recent` whose page is stored (or past its pool); else None (then call `page`).

        No I/O and no ranking, so a caller may run it on the event loop.

        Raises:
            InvalidCursor: the cursor is malformed, forged or expired.
        """
        if request.cursor is None:
            return None
        session_id, number = self._locate_cursor(request.cursor, request.username)
        cached = recent.get(session_id)
        if cached is None or number > self._most_pages(request):
            return None
        snapshot = cached[1]
        if len(snapshot["pages"]) < number <= last_page(snapshot):
            return None  # still to be computed and written
        return self._render(snapshot, session_id, number, request.username)

    def open_in_memory(self, request: FeedRequest) -> OpenedSession | None:
        """A new session's first page from the pool held for the user's feed (its snapshot
        holding the `pages_ahead` after it too), when the user has had no events since it was
        ranked; else None (then call `page`).

        No I/O and no ranking, so a caller may run it on the event loop; the caller stores the
        session (in this process's recent sessions at once, in the store behind the answer).
        Only for a known user's first page without a project filter, while the change poller
        is current (`UserChanges.watching`).
        """
        if (self.pools is None or self.changes is None or request.cursor is not None
                or (request.page or 1) != 1 or request.project_code is not None
                or not self.changes.watching(self.config.user_changes_max_age_s)):  # fmt: skip
            return None
        state = self.registry.current
        user_id = None if state is None else state.user_ids.get(request.username)
        if state is None or user_id is None:
            return None
        self.registry.poke()  # a refresh, when due, as a request on the other path would start
        user_key = (user_id, request.category_id, normalized_mood(request.mood))
        held = self.pools.held(state, *user_key)
        if held is None or self.changes.changed_since(user_id, held.stamp):
            return None
        snapshot = held.opening(request.page_size)  # picking one here would hold the loop
        if snapshot is None:
            return None
        self.pools.opened(user_key)
        session_id = uuid.uuid4().hex
        self._remember_opening(session_id, held, request.page_size)
        page = self._render(snapshot, session_id, 1, request.username)
        return OpenedSession(session_id, request.key, snapshot, page)

    def hold_pool(self, db: Session, state: PipelineState, request: FeedRequest) -> list[int]:
        """Rank and hold the pool of `request`'s feed in `state` now, so the user's next new
        session is opened in memory (`serving/pool_warmer.py`); the post ids of that session's
        first pages (which a caller may present ahead)."""
        snapshot = self._opening(state, request, self._pool(db, state, request, protect=True))
        return [snapshot["ids"][p] for page in snapshot["pages"] for p in page]

    def _opening(self, state: PipelineState, request: FeedRequest, held: HeldPool) -> Snapshot:
        """A new session's snapshot over a held pool with its first page and the
        `pages_ahead` after it picked (the pages a scroll would compute one at a time), so
        they are answered from memory too: made once per page size and kept with the pool
        (sessions share it; nothing modifies a snapshot)."""
        snapshot = held.opening(request.page_size)
        if snapshot is None:
            snapshot = self._snapshot(state, request, held, 1 + self.config.pages_ahead)
            held.keep_opening(request.page_size, snapshot)
        return snapshot

    def cursor_session(self, request: FeedRequest) -> str | None:
        """The session a request's cursor points into (None without a cursor).

        Raises:
            InvalidCursor: the cursor is malformed, forged, expired or another user's.
        """
        if request.cursor is None:
            return None
        return self._locate_cursor(request.cursor, request.username)[0]

    def refill(self, db: Session, store: SessionStore, session_id: str, number: int) -> list[int]:
        """After page `number` of a session was answered, off the request path: when at most
        `pages_ahead` pages are stored after it, store the pages up to `number + refill_pages`
        (at least `number + 2 x pages_ahead`; compare-and-set, as a page does); the post ids of
        the stored pages after `number`.

        The pages are the ones the session would compute one at a time (`_extend` is the same).
        """
        loaded = store.load(session_id)
        if loaded is None:
            return []
        snapshot, ahead = loaded[1], self.config.pages_ahead
        if len(snapshot["pages"]) <= number + ahead:
            upto = min(number + max(self.config.refill_pages, 2 * ahead), last_page(snapshot))
            state = self.registry.state(db)
            snapshot = self._ensure_page(store, state, session_id, loaded, upto)
            self._upgrade_opening(session_id, snapshot)
        return [snapshot["ids"][p] for later in snapshot["pages"][number:] for p in later]

    def _remember_opening(self, session_id: str, held: HeldPool, page_size: int) -> None:
        """Note which held pool's opening a new session started from."""
        with self._opened_lock:
            self._opened_from[session_id] = (held, page_size)
            while len(self._opened_from) > OPENED_FROM:
                self._opened_from.popitem(last=False)

    def _upgrade_opening(self, session_id: str, snapshot: Snapshot) -> None:
        """After a refill stored more of a session's pages: when the session grew from its
        held pool's opening (the same pool list, so pages picked the same way, in the same
        state), keep the longer snapshot as that opening, so the user's next session starts
        with those pages held and needs no refill."""
        with self._opened_lock:
            found = self._opened_from.pop(session_id, None)
        if found is None:
            return
        held, size = found
        current = held.opening(size)
        if (current is not None and current["ids"] is snapshot["ids"]
                and len(snapshot["pages"]) > len(current["pages"])):  # fmt: skip
            held.keep_opening(size, snapshot)

    def _most_pages(self, request: FeedRequest) -> int:
        """Pages a full pool can fill (a cursor's page size is in its session: assume 1)."""
        size = 1 if request.cursor is not None else max(request.page_size, 1)
        return -(-self.config.session_pool_size // size)

    def _past_the_end(self, number: int, request: FeedRequest, state: PipelineState) -> FeedPage:
        return FeedPage(post_ids=[], scores=[], reasons=[], page=number,
                        page_size=request.page_size, next_cursor=None, cold_start=False,
                        model_version=state.model_version)  # fmt: skip

    def _locate(self, store: SessionStore, request: FeedRequest) -> tuple[str | None, int]:
        """(existing session or None, page number) of a request."""
        if request.cursor is not None:
            return self._locate_cursor(request.cursor, request.username)
        number = request.page or 1
        return (store.latest(request.key) if number > 1 else None), number

    def _locate_cursor(self, cursor: str, username: str) -> tuple[str, int]:
        """(session, page) of a cursor issued to `username` (a cursor names its user: another
        user's cursor would read that user's session)."""
        payload = decode_cursor(cursor, secret=self.secret)
        try:
            session_id, number, owner = str(payload["s"]), int(payload["p"]), payload["u"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidCursor("cursor is malformed; start again without a cursor") from exc
        if owner != username:
            raise InvalidCursor("cursor belongs to another username; start again without a cursor")
        return session_id, number

    def _open(
        self,
        db: Session,
        store: SessionStore,
        state: PipelineState,
        request: FeedRequest,
        pages: int,
    ) -> tuple[str, Snapshot]:
        """A new session stored with its pages up to `pages` (a first page: the opening,
        `1 + pages_ahead` pages or more, as a session opened in memory starts)."""
        pool = self._pool(db, state, request)
        session_id = uuid.uuid4().hex
        if pages == 1:
            snapshot = self._opening(state, request, pool)
            self._remember_opening(session_id, pool, request.page_size)
            user_id = state.user_ids.get(request.username)
            if self.pools is not None and pool.stamp and user_id is not None:  # a user's feed
                self.pools.opened((user_id, request.category_id, normalized_mood(request.mood)))
        else:
            snapshot = self._snapshot(state, request, pool, pages)
        store.create(session_id, request.key, snapshot, self.config.session_ttl_s)
        return session_id, snapshot

    def _snapshot(
        self, state: PipelineState, request: FeedRequest, pool: HeldPool, pages: int
    ) -> Snapshot:
        """A new session's snapshot over `pool`, with its first `pages` pages computed."""
        ranked, keep = pool.ranked, self.config.session_pool_size
        names = sorted(set(ranked.reasons[:keep]) | {"new"})
        code = {name: i for i, name in enumerate(names)}
        snapshot: Snapshot = {
            "ids": ranked.post_ids[:keep].tolist(),
            "scores": np.round(ranked.scores[:keep].astype(np.float64), 5).tolist(),
            "reason_names": names,
            "reasons": [code[r] for r in ranked.reasons[:keep]],
            "pages": [],
            "page_size": request.page_size,
            "category_filtered": request.category_id is not None,
            "cold_start": pool.cold,
            "model_version": state.model_version,
        }
        return self._extend(state, snapshot, pages, ranked.rows[:keep].copy())

    def _pool(
        self, db: Session, state: PipelineState, request: FeedRequest, protect: bool = False
    ) -> HeldPool:
        """The new session's ranked pool, from the user's history read now (a stamp of 0:
        taken without `changes`)."""
        stamp = self.changes.stamp() if self.changes is not None else 0  # before the read
        ctx, cold = build_context(db, self.registry, state, request, self.config)
        return self._ranked(state, ctx, cold, stamp, protect)

    def _ranked(
        self, state: PipelineState, ctx: FeedContext, cold: bool, stamp: int, protect: bool = False
    ) -> HeldPool:
        """The new session's ranked pool (its first `session_pool_size` posts): the one held for
        the same user, history and filters in `state`, else every source, then the ranking.

        A pool is held with its stamp for the user's feed (`RankedPools.held`) when there is a
        stamp and no project filter (the feed key does not name the project).
        """
        if self.pools is None:
            return HeldPool(self._rank(ctx), cold, stamp)
        key = pool_key(ctx)
        ranked = self.pools.get(state, key)
        if ranked is None:
            ranked = self._rank(ctx)
        if state is not self.registry.current:  # a request still on a replaced state would
            return HeldPool(ranked, cold, stamp)  # empty the new state's pools
        stamped = stamp > 0 and ctx.allowed_rows is None
        return self.pools.put(state, key, ranked, cold=cold, stamp=stamp if stamped else None,
                              protect=protect)  # fmt: skip

    def _rank(self, ctx: FeedContext) -> Ranked:
        lists = [source.fetch(ctx, self.config.limit(source.name)) for source in self.sources]
        return rank(ctx, lists, self.config).head(self.config.session_pool_size)

    def _ensure_page(
        self,
        store: SessionStore,
        state: PipelineState,
        session_id: str,
        loaded: tuple[int, Snapshot],
        number: int,
        upto: int | None = None,
    ) -> Snapshot:
        """The snapshot with pages up to `number` computed (and on to `upto` when any is
        computed), written once whoever wins the race."""
        for _ in range(CAS_ATTEMPTS):
            version, snapshot = loaded
            if len(snapshot["pages"]) >= number or number > last_page(snapshot):
                return snapshot  # served already, or past the pool (rendered empty)
            extended = self._extend(state, snapshot, max(number, upto or number))
            if store.compare_and_set(session_id, version, extended):
                return extended
            again = store.load(session_id)
            if again is None:
                break
            loaded = again
        raise InvalidCursor("feed session is busy or gone; retry the same cursor")

    def _extend(
        self, state: PipelineState, snapshot: Snapshot, number: int, rows: IntArray | None = None
    ) -> Snapshot:
        """The snapshot with its pages computed up to `number`.

        Args:
            rows: shape (len(snapshot["ids"]),), the pool's catalogue rows when the caller has
                them (a new session: its ranking's, `state`'s rows of its ids); else looked up.
        """
        number = min(number, last_page(snapshot))
        if len(snapshot["pages"]) >= number:
            return snapshot
        pages: list[list[int]] = [list(p) for p in snapshot["pages"]]
        reasons = list(snapshot["reasons"])
        if rows is None:
            rows = state.index.rows_of(np.asarray(snapshot["ids"], dtype=np.int64))
        known = rows >= 0  # a post withdrawn since the session opened is not picked any more
        rows[known & ~state.index.public[np.where(known, rows, 0)]] = -1
        for served in pages:
            rows[served] = -1
        scores = np.asarray(snapshot["scores"], dtype=np.float32)
        while len(pages) < number:
            pick = pick_page(state.index, rows, scores, int(snapshot["page_size"]), self.config,
                             category_filtered=bool(snapshot["category_filtered"]))  # fmt: skip
            for position in pick.explored:
                reasons[position] = snapshot["reason_names"].index("new")
            rows[pick.positions] = -1
            pages.append(pick.positions)
        return {**snapshot, "pages": pages, "reasons": reasons}

    def _render(self, snapshot: Snapshot, session_id: str, number: int, username: str) -> FeedPage:
        pages = snapshot["pages"]
        positions = pages[number - 1] if number <= len(pages) else []  # past the pool: empty
        served = sum(len(p) for p in snapshot["pages"][:number])
        more = len(snapshot["pages"]) > number or served < len(snapshot["ids"])
        cursor = (
            encode_cursor(
                {"s": session_id, "p": number + 1, "u": username},
                secret=self.secret,
                ttl_s=self.config.session_ttl_s,
            )  # fmt: skip
            if more and positions
            else None
        )
        return FeedPage(
            post_ids=[snapshot["ids"][p] for p in positions],
            scores=[snapshot["scores"][p] for p in positions],
            reasons=[snapshot["reason_names"][snapshot["reasons"][p]] for p in positions],
            page=number,
            page_size=int(snapshot["page_size"]),
            next_cursor=cursor,
            cold_start=bool(snapshot["cold_start"]),
            model_version=snapshot["model_version"],
            ahead_ids=[snapshot["ids"][p] for later in pages[number:] for p in later],
            session_id=session_id,
            refill=bool(positions)
            and number > 1  # a first page may be the only one: page 2 computes pages ahead
            and 0 < self.config.pages_ahead >= len(pages) - number
            and len(pages) < last_page(snapshot),
        )


def _await_stored(store: SessionStore, session_id: str) -> tuple[int, Snapshot] | None:
    """The session once stored, read again for up to `WRITTEN_WAIT_S` (each read is a new
    statement, which sees later commits); None if it never is."""
    deadline = time.monotonic() + WRITTEN_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(0.02)
        loaded = store.load(session_id)
        if loaded is not None:
            return loaded
    return None


def last_page(snapshot: Snapshot) -> int:
    """The number of pages a session's pool fills (each page takes `page_size` posts of it)."""
    size = max(int(snapshot["page_size"]), 1)
    return max(-(-len(snapshot["ids"]) // size), 1)
