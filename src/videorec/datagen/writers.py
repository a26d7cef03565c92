"""Streaming writers of the served JSON files: plain JSON lists, one item per line.

Interaction rows are formatted in bulk: one `%` over a chunk's repeated row template, with the
timestamp built from integer year/month/day/hour/minute/second columns, so 10 million rows never
become 10 million dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import numpy as np

from videorec.datagen.truth import IntArray

CHUNK_ROWS = 250_000

TIME_KEYS = {
    "view": "viewed_at",
    "like": "liked_at",
    "inspire": "inspired_at",
    "rating": "rated_at",
}
"""The timestamp key of each log (API.md §3)."""

_STAMP = '"%04d-%02d-%02d %02d:%02d:%02d"'


def _row_template(kind: str) -> str:
    time_key = TIME_KEYS[kind]
    if kind == "rating":
        return (
            '{"id": %d, "post_id": %d, "user_id": %d, "rating_percent": %d, "rated_at": '
            + _STAMP
            + "}"
        )
    return '{"id": %d, "post_id": %d, "user_id": %d, "' + time_key + '": ' + _STAMP + "}"


def write_list(path: Path, chunks: Iterable[str]) -> Path:
    """Write a JSON list whose items come as pre-joined chunks of `",\\n"`-separated items."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("[")
        first = True
        for chunk in chunks:
            if not chunk:
                continue
            handle.write("\n" if first else ",\n")
            handle.write(chunk)
            first = False
        handle.write("\n]\n" if not first else "]\n")
    return path


def interaction_chunks(
    kind: str, ids: IntArray, posts: IntArray, users: IntArray, times: IntArray,
    values: IntArray | None = None,
) -> Iterable[str]:  # fmt: skip
    """The rows of one log as text chunks; `times` in epoch seconds, `values` for ratings."""
    template = _row_template(kind)
    for start in range(0, len(ids), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        columns = [ids[part], posts[part], users[part]]
        if values is not None:
            columns.append(values[part])
        columns.extend(_clock_columns(times[part]))
        rows = len(columns[0])
        flat = tuple(chain.from_iterable(zip(*(c.tolist() for c in columns), strict=True)))
        yield ",\n".join([template] * rows) % flat


def _clock_columns(times: IntArray) -> list[IntArray]:
    """Year, month, day, hour, minute, second of epoch seconds (UTC), each shape (n,)."""
    seconds = times.astype("datetime64[s]")
    days = seconds.astype("datetime64[D]")
    months = seconds.astype("datetime64[M]")
    day_seconds = (seconds - days).astype(np.int64)
    return [
        seconds.astype("datetime64[Y]").astype(np.int64) + 1970,
        months.astype(np.int64) % 12 + 1,
        (days - months).astype(np.int64) + 1,
        day_seconds // 3600,
        day_seconds // 60 % 60,
        day_seconds % 60,
    ]
