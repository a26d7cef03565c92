"""Rich views of ingestion: progress per resource, the sync summary and the stats tables.

Used by `videorec sync|stats` and by `videorec up`'s demo ingestion.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from videorec.ingestion.resources import Resource
from videorec.ingestion.schemas import UpstreamPage
from videorec.ingestion.sync import ResourceReport


class SyncProgress:
    """One progress line per resource: pages and items so far (upstream gives no totals)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<8}"),
            TextColumn("page {task.fields[page]:>5}"),
            TextColumn("{task.completed:>10,.0f} items"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> SyncProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, resource: Resource) -> None:
        """Show a line for `resource`."""
        self._tasks[resource.name] = self._progress.add_task(resource.name, total=None, page="-")

    def advance(self, resource: Resource, page: UpstreamPage) -> None:
        """Count one committed page; the empty last page completes the line."""
        task = self._tasks[resource.name]
        self._progress.update(task, advance=len(page.items), page=page.page)
        if not page.items:
            completed = self._progress.tasks[self._tasks[resource.name]].completed
            self._progress.update(task, total=completed or 1, completed=completed or 1)


def render_summary(console: Console, reports: list[ResourceReport]) -> None:
    """The table printed at the end of `videorec sync`."""
    table = Table(title="sync summary")
    for column in ("resource", "from page", "pages", "items", "new rows", "quarantined", "orphans"):
        table.add_column(column, justify="left" if column == "resource" else "right")
    for report in reports:
        table.add_row(
            report.resource, str(report.start_page), f"{report.pages:,}", f"{report.items:,}",
            f"{report.added:,}", f"{report.quarantined:,}",
            "-" if report.orphans is None else f"{report.orphans:,}",
        )  # fmt: skip
    console.print(table)


def render_stats(console: Console, figures: dict[str, Any]) -> None:
    """The tables of `videorec stats`."""
    counts = Table(title="stored rows")
    counts.add_column("what")
    counts.add_column("rows", justify="right")
    for name in ("users", "posts", "categories"):
        counts.add_row(name, f"{figures[name]:,}")
    for kind, count in figures["interactions"].items():
        counts.add_row(f"{kind} interactions", f"{count:,}")
    counts.add_row("orphan interactions", f"{figures['orphan_interactions']:,}")
    counts.add_row("quarantined items", f"{figures['quarantined_items']:,}")
    console.print(counts)
    syncs = Table(title="last sync per resource")
    for column in ("resource", "next page", "items seen", "last synced (UTC)", "completed (UTC)"):
        syncs.add_column(column)
    for resource, state in figures["sync"].items():
        syncs.add_row(resource, str(state["next_page"]), f"{state['items_seen']:,}",
                      state["last_synced_at"] or "-", state["completed_at"] or "-")  # fmt: skip
    console.print(syncs)
