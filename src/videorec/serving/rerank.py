"""Re-ranking of one page: caps per creator and per category, MMR diversity, exploration.

Works on a session's remaining pool (best first) and picks the next page from it. Greedy MMR
over a window of the best remaining posts: value = lambda * relevance - (1 - lambda) * the
largest cosine similarity to a post already on the page. The exploration slots' posts are shown
after the page's first `exploration_after` posts, where they are seen. When the caps cannot fill
a page (a small category, one creator), they are relaxed rather than returning a short page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.serving.config import FeedConfig
from videorec.serving.index import CatalogIndex

IntArray = npt.NDArray[np.int64]
WINDOW = 4
"""The MMR window is WINDOW x page size of the best remaining posts."""


@dataclass(frozen=True)
class PagePick:
    """Positions (into the pool) chosen for a page, in display order, and which were exploration."""

    positions: list[int]
    explored: list[int]


def pick_page(
    index: CatalogIndex,
    rows: IntArray,
    scores: npt.NDArray[np.float32],
    page_size: int,
    config: FeedConfig,
    *,
    category_filtered: bool,
) -> PagePick:
    """Choose the next page from the remaining pool.

    Args:
        rows: shape (r,), the remaining pool's catalogue rows, best first (-1 = gone).
        scores: shape (r,), their ranking scores.
        category_filtered: the request filters one category (the category cap is then moot).
    """
    live = np.flatnonzero(rows >= 0)
    explore_slots = min(config.exploration_slots, max(page_size - 1, 0))
    main = _mmr(index, rows, scores, live, page_size - explore_slots, config, category_filtered)
    left = np.ones(rows.size, dtype=bool)  # a mask, not `np.isin`: ~20x cheaper at this size
    left[main] = False
    rest = live[left[live]]
    explored = _explore(index, rows, rest, page_size - len(main), config)
    after = config.exploration_after
    return PagePick(positions=main[:after] + explored + main[after:], explored=explored)


def _mmr(
    index: CatalogIndex,
    rows: IntArray,
    scores: npt.NDArray[np.float32],
    live: IntArray,
    size: int,
    config: FeedConfig,
    category_filtered: bool,
) -> list[int]:
    window = live[: WINDOW * size]
    if window.size == 0 or size <= 0:
        return []
    if config.mmr_lambda == 1.0:  # MMR off (the default): the same picks without the vectors
        return _capped(index, rows, scores, window, size, config, category_filtered)
    vecs = index.row_vectors(rows[window])
    rel = scores[window].astype(np.float32)
    rel = (rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-6)
    creators = index.creators[rows[window]]
    cats = index.category_ids[rows[window]]
    creator_list, cat_list = creators.tolist(), cats.tolist()
    per_creator: dict[int, int] = {}  # posts on the page so far, by creator and by category
    per_cat: dict[int, int] = {}
    cat_cap = window.size if category_filtered else config.max_per_category
    relevance = config.mmr_lambda * rel
    diversity = 1 - config.mmr_lambda
    max_sim = np.zeros(window.size, dtype=np.float32)
    # 0 where a post may be picked, -inf where it may not: taken, or (until relaxed) at a cap
    taken = np.zeros(window.size, dtype=np.float32)
    capped = np.full(window.size, -np.inf if config.max_per_creator <= 0 or cat_cap <= 0 else 0.0,
                     dtype=np.float32)  # fmt: skip
    chosen: list[int] = []
    for relax in (False, True):
        while len(chosen) < size:
            value = relevance - diversity * max_sim
            value += taken if relax else taken + capped
            pick = int(np.argmax(value))
            if value[pick] == -np.inf:  # nothing left to pick at this stage
                break
            taken[pick] = -np.inf
            creator, cat = creator_list[pick], cat_list[pick]
            per_creator[creator] = per_creator.get(creator, 0) + 1
            per_cat[cat] = per_cat.get(cat, 0) + 1
            if per_creator[creator] >= config.max_per_creator:
                capped[creators == creator] = -np.inf
            if per_cat[cat] >= cat_cap:
                capped[cats == cat] = -np.inf
            chosen.append(int(window[pick]))
            np.maximum(max_sim, vecs @ vecs[pick], out=max_sim)
    return chosen


def _capped(
    index: CatalogIndex,
    rows: IntArray,
    scores: npt.NDArray[np.float32],
    window: IntArray,
    size: int,
    config: FeedConfig,
    category_filtered: bool,
) -> list[int]:
    """`_mmr` at `mmr_lambda` 1, in one pass: its greedy argmax then picks the best post not
    taken and not at a cap, and caps only grow, so it walks the window best first (ties: the
    earlier position, as `argmax`), skipping capped posts; relaxed, it takes the best left."""
    rel = scores[window].astype(np.float32)
    rel = (rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-6)  # as `_mmr` ties them
    order = np.argsort(-rel, kind="stable").tolist()
    creators = index.creators[rows[window]].tolist()
    cats = index.category_ids[rows[window]].tolist()
    cat_cap = window.size if category_filtered else config.max_per_category
    per_creator: dict[int, int] = {}
    per_cat: dict[int, int] = {}
    chosen: list[int] = []
    if config.max_per_creator > 0 and cat_cap > 0:
        for pick in order:
            creator, cat = creators[pick], cats[pick]
            if per_creator.get(creator, 0) >= config.max_per_creator:
                continue
            if per_cat.get(cat, 0) >= cat_cap:
                continue
            per_creator[creator] = per_creator.get(creator, 0) + 1
            per_cat[cat] = per_cat.get(cat, 0) + 1
            chosen.append(pick)
            if len(chosen) == size:
                break
    if len(chosen) < size:  # relaxed: the best posts left, whatever their caps
        taken = set(chosen)
        chosen += [p for p in order if p not in taken][: size - len(chosen)]
    return [int(window[p]) for p in chosen]


def _explore(
    index: CatalogIndex, rows: IntArray, rest: IntArray, slots: int, config: FeedConfig
) -> list[int]:
    """The best remaining little-seen posts, then (fewer of them than slots) the best left."""
    if slots <= 0 or rest.size == 0:
        return []
    seen_little = index.views[rows[rest]] <= config.explore_max_views
    pool = np.concatenate([rest[seen_little], rest[~seen_little]])
    return [int(p) for p in pool[:slots]]
