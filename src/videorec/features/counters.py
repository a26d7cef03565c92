"""Post counters as of a cut: computed from the training log, never from upstream lifetime totals.

Upstream counters (`view_count`, `upvote_count`, `rating_count`, `average_rating`, ...) are
totals at the time the posts were captured, which under a temporal split is after the cut: read
as features they carry the future (the demo generator's counters are totals over its whole log;
the samples' posts are a 2025-06 capture of 2024-12 logs). `as_of` replaces them with what the
log shows up to the cut:

- `view_count`, `upvote_count` (likes), `rating_count`: events of that kind at or before the cut;
- `average_rating`: mean `rating_percent` of those ratings (NaN when there is none);
- counters the log cannot show (comments, shares, exits, bookmarks) are dropped, so the feature
  pipeline sees them as missing rather than as future values.

Post age is relative to the cut already (`FeaturePipeline.reference_time` is the newest training
event); posts created after the cut keep their creation time and get age 0.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from videorec.features.log import KIND_CODES, FloatArray, InteractionLog, PostCatalog

COUNTED = {"view_count": "view", "upvote_count": "like", "rating_count": "rating"}
"""Counter name -> the interaction kind it counts."""


def as_of(catalog: PostCatalog, log: InteractionLog, cut: int | None = None) -> PostCatalog:
    """The catalogue with counters computed from `log`'s events at or before `cut`.

    Args:
        catalog: any catalogue; only its counters change.
        log: the events the counters may know (e.g. the training part of a split, or the raw
            log, then cut by `cut`).
        cut: epoch seconds; None = every event of `log`.
    """
    if cut is not None:
        log = log.select(log.timestamps <= cut)
    order = np.argsort(catalog.post_ids, kind="stable")
    ids = catalog.post_ids[order]
    pos = np.searchsorted(ids, log.post_ids).clip(0, max(len(ids) - 1, 0))
    known = (pos < len(ids)) & (ids[pos] == log.post_ids) if len(ids) else pos < 0
    rows = order[pos[known]]
    kinds, ratings = log.kinds[known], log.ratings[known]
    m = len(catalog)
    counters = {name: _count(rows[kinds == KIND_CODES[kind]], m) for name, kind in COUNTED.items()}
    rated = kinds == KIND_CODES["rating"]
    total = np.bincount(rows[rated], weights=np.nan_to_num(ratings[rated]), minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counters["rating_count"] > 0, total / counters["rating_count"], np.nan)
    counters["average_rating"] = mean.astype(np.float32)
    return replace(catalog, counters=counters)


def _count(rows: np.ndarray, m: int) -> FloatArray:
    return np.bincount(rows, minlength=m).astype(np.float32)
