"""`videorec sync`: pull the upstream resources page by page into the database.

Order: users, then posts (with categories and topics), then the four interaction logs.

Each page is validated, upserted and checkpointed in ONE transaction: the rows and the
resource's `sync_state` row (`next_page`, `items_seen`) commit together or not at all. So a run
killed at any point (even `kill -9`) and run again continues at the first uncommitted page and
ends with exactly the database an uninterrupted run gives; re-fetching a page is harmless because
every write is an idempotent upsert keyed by upstream id.

When a resource reaches its empty page it is marked complete and its `next_page` is set back to
the last page that held items. A later `videorec sync` therefore re-fetches that last page and
whatever follows, which picks up rows appended upstream since (the logs and the catalogues come
in ascending id order) at the cost of one page. Upstream also deletes old rows (API.md §1.2),
which moves every later row to an earlier position: rows appended since could then sit on pages
before the resume page. So a resumed run first checks that its start page begins at an id it
has stored (or below); if not (or the page is empty now), it steps back 1, 2, 4, ... pages until
one does, or page 1 (`_gapless_start`; re-reading is harmless). Rows changed on earlier pages
are only seen by `--full`, which restarts every selected resource from page 1 (upserts refresh
what changed; nothing is deleted). `items_seen` is the position
reached: the items received in this pass up to the last committed page, a re-fetched page
counted once, so a killed-and-resumed run ends with the same checkpoint as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from videorec.ingestion.client import DEFAULT_PAGE_SIZE, UpstreamClient
from videorec.ingestion.records import PreparedPage, prepare_page, store_prepared
from videorec.ingestion.resources import RESOURCES, Resource
from videorec.ingestion.schemas import UpstreamPage
from videorec.ingestion.usernames import UsernameClaims
from videorec.kit.time import utc_now
from videorec.storage.repositories import sync_state
from videorec.storage.repositories.ingest_interactions import count_orphans
from videorec.storage.repositories.ingest_stats import count_rows, last_upstream_id
from videorec.storage.tables import SyncState

log = structlog.get_logger(__name__)

PageHook = Callable[[Resource, UpstreamPage], None]
"""Called after each page's transaction committed (progress bars; tests simulate crashes)."""


@dataclass
class ResourceReport:
    """What one resource's sync did."""

    resource: str
    start_page: int
    pages: int = 0
    items: int = 0
    quarantined: int = 0
    rows_before: int = 0
    rows_after: int = 0
    orphans: int | None = None

    @property
    def added(self) -> int:
        """Rows that are new in the database (0 on an idempotent rerun)."""
        return self.rows_after - self.rows_before


class Syncer:
    """Runs the sync of a selection of resources.

    Args:
        client: the upstream client (real API or replay server).
        engine: the database; one connection is held per resource, one transaction per page.
        page_size: items requested per page.
        on_page: called after each committed page.
    """

    def __init__(
        self,
        client: UpstreamClient,
        engine: Engine,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        on_page: PageHook | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
        self._page_size = page_size
        self._on_page = on_page

    def run(
        self, resources: Sequence[Resource] = RESOURCES, *, full: bool = False
    ) -> list[ResourceReport]:
        """Sync `resources` in the canonical order; checks every credential before any fetch."""
        selected = [resource for resource in RESOURCES if resource in resources]
        for resource in selected:
            self._client.check_credentials(resource)
        return [self.sync_resource(resource, full=full) for resource in selected]

    def sync_resource(self, resource: Resource, *, full: bool = False) -> ResourceReport:
        """Fetch and store `resource` from its checkpoint (or page 1 with `full`) to its end."""
        with self._engine.connect() as connection:
            return self._sync_on(connection, resource, full=full)

    def _sync_on(self, connection: Connection, resource: Resource, *, full: bool) -> ResourceReport:
        with _transaction(connection) as session:
            state = sync_state.get_state(session, resource.name)
            start = 1 if full or state is None else self._resume_page(state)
            stored = None if start == 1 else last_upstream_id(session, resource.name)
            report = ResourceReport(resource.name, start, rows_before=_rows(session, resource))
        first, start = self._gapless_start(resource, start, stored)
        seen = 0 if state is None or start == 1 else self._items_before(state, start)
        report.start_page = start
        log.info("sync_resource_started", resource=resource.name, start_page=start, full=full)
        rest = self._client.iter_pages(resource, start_page=start + 1, page_size=self._page_size)
        pages = chain([first], rest if first.items else ())
        claims = UsernameClaims()
        for number, (page, prepared) in enumerate(_prefetched(pages, resource), start=start):
            seen += len(page.items)
            with _transaction(connection) as session:
                sync_state.tune_for_bulk_writes(session)
                report.quarantined += store_prepared(session, prepared)
                claims.add(prepared.users)
                if not page.items:  # the end, in its checkpoint's transaction: e.g. a swap of
                    report.quarantined -= claims.retry(session)  # names across two pages
                self._checkpoint(session, resource, number, seen, done=not page.items)
            report.pages += 1
            report.items += len(page.items)
            if self._on_page is not None:
                self._on_page(resource, page)
        with _transaction(connection) as session:
            report.rows_after = _rows(session, resource)
            if resource.is_log:
                report.orphans = count_orphans(session, resource.name)
        log.info("sync_resource_finished", resource=resource.name, pages=report.pages,
                 items=report.items, added=report.added)  # fmt: skip
        return report

    def _gapless_start(self, resource: Resource, start: int, stored: int | None
                       ) -> tuple[UpstreamPage, int]:  # fmt: skip
        """(the page to start from, its number): `start`, or an earlier page when upstream
        deleted rows since, so that no row before the returned page is newer than `stored`,
        the largest id stored (ids ascend). Steps back 1, 2, 4, ... pages; page 1 always does.
        """
        step = 1
        while True:
            page = self._client.fetch_page(resource, start, page_size=self._page_size)
            first = _first_id(page.items)
            if start == 1 or (stored is not None and first is not None and first <= stored):
                return page, start
            log.info("sync_resume_stepped_back", resource=resource.name, page=start,
                     first_id=first, stored_id=stored)  # fmt: skip
            start, step = max(1, start - step), step * 2

    def _resume_page(self, state: SyncState) -> int:
        """The checkpoint's page in this run's page size, rounded down: never skips an item."""
        if state.page_size is None or state.page_size == self._page_size:
            return state.next_page
        offset = (state.next_page - 1) * state.page_size
        return offset // self._page_size + 1

    def _items_before(self, state: SyncState, start: int) -> int:
        # Every upstream page but the last is full, so the pages before `start` hold this many.
        return min(state.items_seen, (start - 1) * self._page_size)

    def _checkpoint(self, session: Session, resource: Resource, number: int, seen: int, *,
                    done: bool) -> None:  # fmt: skip
        now = utc_now()
        sync_state.save_state(
            session,
            resource.name,
            # Complete: point back at the last page with items, so the next run re-reads it.
            next_page=max(1, number - 1) if done else number + 1,
            page_size=self._page_size,
            items_seen=seen,
            last_synced_at=now,
            completed_at=now if done else None,
        )


@contextmanager
def _transaction(connection: Connection) -> Iterator[Session]:
    """A session on the held connection, committed on success, rolled back on error.

    Holding one connection for the whole resource spares a pool checkout (and its pre-ping
    round trip) per page.
    """
    with Session(bind=connection, expire_on_commit=False) as session, session.begin():
        yield session


def _first_id(items: Sequence[Any]) -> int | None:
    """The id of a page's first item that has an integer one (None: empty, or none has)."""
    for item in items:
        if isinstance(item, dict) and type(item.get("id")) is int:
            return int(item["id"])
    return None


def _rows(session: Session, resource: Resource) -> int:
    return count_rows(session, resource.name)


def _prefetched(
    pages: Iterator[UpstreamPage], resource: Resource
) -> Iterator[tuple[UpstreamPage, PreparedPage]]:
    """Each page with its validated rows. A worker thread fetches and validates the next page
    while the caller writes this one (the database wait releases the GIL)."""

    def next_prepared() -> tuple[UpstreamPage, PreparedPage] | None:
        page = next(pages, None)
        return None if page is None else (page, prepare_page(resource, page.items))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-fetch") as pool:
        pending = pool.submit(next_prepared)
        while (ready := pending.result()) is not None:
            if ready[0].items:
                pending = pool.submit(next_prepared)
            yield ready
            if not ready[0].items:
                return
