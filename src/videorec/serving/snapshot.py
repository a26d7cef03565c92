"""Feed-state snapshots on disk: the catalogue index and log statistics, reloaded at start-up.

Building the feed state reads every post and event and computes embeddings lookups,
popularity and co-occurrence (tens of seconds at 1M posts). A snapshot keeps the result as one
`.npy` file per array plus `meta.json`, in a folder named by what it was built from (the
data watermark and the knobs that shape it), so a restart on unchanged data memory-maps the
arrays instead of rebuilding them (well under a second). A snapshot of other data or other
knobs is never read; a damaged one is ignored (the state is then built as usual).

Layout of `<root>/<key>/`: `meta.json` (key, labels, dicts, array names) and `<name>.npy`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import structlog

from videorec.kit.mapped import load_mapped
from videorec.serving.groups import Groups
from videorec.serving.index import CatalogIndex
from videorec.serving.popularity import LogStats
from videorec.serving.text_search import CompressedTexts

log = structlog.get_logger(__name__)
FORMAT = 2
"""Bumped whenever the layout or the meaning of a stored array changes (2: the compressed
texts past `text_search.EXACT_UP_TO`, which a snapshot of format 1 lacks)."""
KEEP = 2
"""Snapshots kept per root (the newest); older ones are deleted after a save."""

_INDEX_ARRAYS = ("post_ids", "public", "category_ids", "creators", "views", "created_at",
                 "text_vecs", "text_of_row", "fresh_order")  # fmt: skip
_STATS_ARRAYS = ("trend", "trend_order")


def snapshot_key(watermark: tuple[object, ...], knobs: dict[str, object]) -> str:
    """A folder name for state built from data at `watermark` with these knobs."""
    doc = json.dumps({"format": FORMAT, "watermark": list(watermark), "knobs": knobs},
                     sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


def save_snapshot(root: Path, key: str, index: CatalogIndex, stats: LogStats) -> Path:
    """Write the snapshot atomically (a temporary folder renamed into place); returns it."""
    final = root / key
    if (final / "meta.json").exists():
        return final
    tmp = root / f".{key}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    arrays = _arrays(index, stats)
    for name, array in arrays.items():
        np.save(tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
    meta = {
        "key": key,
        "arrays": sorted(arrays),
        "mood_labels": index.mood_labels,
        "category_names": {str(k): v for k, v in index.category_names.items()},
        "category_top": {str(k): v for k, v in stats.category_top.items()},
        "covisit_shape": list(stats.covisit.shape),
        "text_trained_on": index.text_compressed.trained_on if index.text_compressed else 0,
    }
    (tmp / "meta.json").write_text(json.dumps(meta))
    try:
        tmp.rename(final)
    except OSError:  # another process saved the same snapshot first
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(root, keep=final)
    return final


def load_snapshot(root: Path, key: str) -> tuple[CatalogIndex, LogStats] | None:
    """The snapshot saved under `key` (arrays memory-mapped, read-only), or None."""
    folder = root / key
    if not (folder / "meta.json").exists():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("key") != key:
            return None
        a = {name: load_mapped(folder / f"{name}.npy") for name in meta["arrays"]}
        compressed = (
            CompressedTexts.loaded(a["text_compressed"], int(meta["text_trained_on"]))
            if "text_compressed" in a
            else None
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:  # RuntimeError: FAISS's
        log.warning("feed_snapshot_unreadable", folder=str(folder), error=str(exc))
        return None
    index = CatalogIndex(
        **{name: a[name] for name in _INDEX_ARRAYS},
        text_groups=Groups(ptr=a["text_groups_ptr"], rows=a["text_groups_rows"]),
        mood_labels=list(meta["mood_labels"]),
        mood_vecs=a["mood_vecs"],
        mood_groups=Groups(ptr=a["mood_groups_ptr"], rows=a["mood_groups_rows"]),
        category_names={int(k): str(v) for k, v in meta["category_names"].items()},
        text_compressed=compressed,
    )
    covisit = sp.csr_matrix(
        (a["covisit_data"], a["covisit_indices"], a["covisit_indptr"]),
        shape=tuple(meta["covisit_shape"]),
    )
    stats = LogStats(
        **{name: a[name] for name in _STATS_ARRAYS},
        category_top={int(k): int(v) for k, v in meta["category_top"].items()},
        by_category=Groups(ptr=a["by_category_ptr"], rows=a["by_category_rows"]),
        covisit=covisit,
    )
    return index, stats


def _arrays(index: CatalogIndex, stats: LogStats) -> dict[str, Any]:
    covisit = stats.covisit.tocsr()
    compressed = index.text_compressed
    return {
        **({} if compressed is None else {"text_compressed": compressed.serialized}),
        **{name: getattr(index, name) for name in _INDEX_ARRAYS},
        "mood_vecs": index.mood_vecs,
        "text_groups_ptr": index.text_groups.ptr, "text_groups_rows": index.text_groups.rows,
        "mood_groups_ptr": index.mood_groups.ptr, "mood_groups_rows": index.mood_groups.rows,
        **{name: getattr(stats, name) for name in _STATS_ARRAYS},
        "by_category_ptr": stats.by_category.ptr, "by_category_rows": stats.by_category.rows,
        "covisit_data": covisit.data, "covisit_indices": covisit.indices,
        "covisit_indptr": covisit.indptr,
    }  # fmt: skip


def _prune(root: Path, keep: Path) -> None:
    """Delete all but the newest `KEEP` snapshots (never `keep`)."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)  # fmt: skip
    for old in folders[KEEP:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
