"""What the dashboard's overview, models and events pages show, read through the repositories."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from videorec.storage.repositories import events, model_versions, quarantine
from videorec.storage.repositories.ingest_stats import ingestion_stats
from videorec.storage.tables import EventSource, ModelVersion

PLOT_DIRS = (Path("reports"), Path("bench/results"))
"""Where evaluation reports and benchmark results are written, relative to the checkout."""
MAX_PLOTS = 6
QUARANTINE_SHOWN = 20
EVENTS_SHOWN = 50
METRIC_KEYS = ("ndcg@10", "recall@10", "recall@50", "hr@10")


@dataclass(frozen=True)
class Plot:
    name: str
    folder: str
    kind: str
    """"evaluation" or "bench"."""


def overview(session: Session) -> dict[str, Any]:
    """Counts, sync state, quarantine, the active model and the newest plots."""
    stats = ingestion_stats(session)
    active = model_versions.get_active(session)
    return {
        "stats": stats,
        "by_source": events.count_by_source(session),
        "quarantined": quarantine.latest(session, QUARANTINE_SHOWN),
        "active": active,
        "active_metrics": model_metrics(active) if active is not None else {},
        "plots": list_plots(),
    }


def model_metrics(model: ModelVersion) -> dict[str, Any]:
    """The validation metrics worth a glance: flat numbers, the main ones first."""
    metrics = model.metrics or {}
    flat = _flatten(metrics)
    first = {key: flat.pop(key) for key in list(flat) if key.split(".")[-1] in METRIC_KEYS}
    return {**first, **flat}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = round(float(value), 4)
    return flat


def list_plots(dirs: tuple[Path, ...] = PLOT_DIRS) -> list[Plot]:
    """The newest PNG plots: evaluations first, then benchmarks (names start with their date)."""
    found: list[Plot] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in folder.glob("*.png"):
            kind = (
                "evaluation" if "evaluation" in path.name or folder.name == "reports" else "bench"
            )
            found.append(Plot(path.name, str(folder), kind))
    found.sort(key=lambda p: (p.kind != "evaluation", _newest_first(p.name)))
    return found[:MAX_PLOTS]


def _newest_first(name: str) -> tuple[int, str]:
    date = name[:10].replace("-", "")
    return (-int(date) if date.isdigit() else 0, name)


def find_plot(folder: str, name: str, dirs: tuple[Path, ...] = PLOT_DIRS) -> Path | None:
    """The plot file named by the overview, or None: only listed folders and PNG names."""
    for base in dirs:
        if str(base) == folder and name.endswith(".png") and "/" not in name and "\\" not in name:
            path = base / name
            if path.is_file():
                return path
    return None


def latest_events(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The newest events of each source."""
    return {
        source.value: events.latest(session, source.value, EVENTS_SHOWN) for source in EventSource
    }
