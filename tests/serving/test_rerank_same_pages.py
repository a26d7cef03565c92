"""The MMR loop keeps its caps as a running mask: the same pages as the loop it replaced (kept
below as the reference), across caps, page sizes, filters and served rows."""

from __future__ import annotations

import numpy as np

from videorec.serving.config import FeedConfig
from videorec.serving.rerank import pick_page


def reference_mmr(index, rows, scores, live, size, config, category_filtered) -> list[int]:
    """`rerank._mmr` as it was: the caps recomputed from the counts on every pick."""
    window = live[: 4 * size]
    if window.size == 0 or size <= 0:
        return []
    vecs = index.row_vectors(rows[window])
    rel = scores[window].astype(np.float32)
    rel = (rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-6)
    _, creators = np.unique(index.creators[rows[window]], return_inverse=True)
    _, cats = np.unique(index.category_ids[rows[window]], return_inverse=True)
    per_creator = np.zeros(window.size, dtype=np.int64)
    per_cat = np.zeros(window.size, dtype=np.int64)
    cat_cap = window.size if category_filtered else config.max_per_category
    max_sim = np.zeros(window.size, dtype=np.float32)
    taken = np.zeros(window.size, dtype=bool)
    chosen: list[int] = []
    for relax in (False, True):
        while len(chosen) < size:
            ok = ~taken
            if not relax:
                ok &= (per_creator[creators] < config.max_per_creator) & (per_cat[cats] < cat_cap)
            if not ok.any():
                break
            value = config.mmr_lambda * rel - (1 - config.mmr_lambda) * max_sim
            pick = int(np.argmax(np.where(ok, value, -np.inf)))
            taken[pick] = True
            per_creator[creators[pick]] += 1
            per_cat[cats[pick]] += 1
            chosen.append(int(window[pick]))
            max_sim = np.maximum(max_sim, vecs @ vecs[pick])
    return chosen


def test_pages_equal_the_reference_loop(feed_world) -> None:
    rng = np.random.default_rng(5)
    index = feed_world.index
    for trial in range(60):
        rows = rng.permutation(len(index)).astype(np.int64)
        rows[rng.random(rows.size) < 0.2] = -1  # served already
        scores = np.sort(rng.random(rows.size).astype(np.float32))[::-1].copy()
        config = FeedConfig(max_per_creator=int(rng.integers(1, 4)),
                            max_per_category=int(rng.integers(1, 9)),
                            mmr_lambda=float(rng.choice([0.0, 0.5, 0.75, 1.0])),
                            exploration_slots=0)  # fmt: skip
        size = int(rng.integers(1, 30))
        filtered = bool(trial % 3 == 0)
        live = np.flatnonzero(rows >= 0)
        want = reference_mmr(index, rows, scores, live, size, config, filtered)
        got = pick_page(index, rows, scores, size, config, category_filtered=filtered)
        assert got.positions == want, (trial, config)


def test_exploration_slots_equal_the_reference_set_difference(feed_world) -> None:
    """The explored posts come from the window's rest (taken with `np.isin` before: a mask now)."""
    rng = np.random.default_rng(9)
    index = feed_world.index
    for trial in range(60):
        rows = rng.permutation(len(index)).astype(np.int64)
        rows[rng.random(rows.size) < 0.3] = -1
        scores = np.sort(rng.random(rows.size).astype(np.float32))[::-1].copy()
        config = FeedConfig(max_per_creator=int(rng.integers(1, 4)),
                            max_per_category=int(rng.integers(1, 9)),
                            exploration_slots=int(rng.integers(1, 5)),
                            exploration_after=int(rng.integers(0, 8)),
                            explore_max_views=int(rng.choice([0, 50, 1000])))  # fmt: skip
        size = int(rng.integers(1, 30))
        live = np.flatnonzero(rows >= 0)
        slots = min(config.exploration_slots, max(size - 1, 0))
        main = reference_mmr(index, rows, scores, live, size - slots, config, False)
        rest = live[~np.isin(live, main)]
        little = index.views[rows[rest]] <= config.explore_max_views
        ordered = np.concatenate([rest[little], rest[~little]])
        explored = [int(p) for p in ordered[: size - len(main)]]
        after = config.exploration_after
        got = pick_page(index, rows, scores, size, config, category_filtered=False)
        assert got.positions == main[:after] + explored + main[after:], (trial, config)
        assert got.explored == explored


def test_mmr_off_pages_equal_the_reference_loop_with_tied_scores(feed_world) -> None:
    """At `mmr_lambda` 1 the page is picked in one pass without the text vectors: the same
    pages, also with tied and unsorted scores."""
    rng = np.random.default_rng(13)
    index = feed_world.index
    for trial in range(120):
        rows = rng.permutation(len(index)).astype(np.int64)
        rows[rng.random(rows.size) < 0.2] = -1
        scores = rng.integers(0, 4, rows.size).astype(np.float32)  # many ties
        if trial % 2:
            scores = np.sort(scores)[::-1].copy()  # a session's pool: best first
        config = FeedConfig(max_per_creator=int(rng.integers(1, 4)),
                            max_per_category=int(rng.integers(1, 9)),
                            mmr_lambda=1.0, exploration_slots=0)  # fmt: skip
        size = int(rng.integers(1, 30))
        filtered = bool(trial % 3 == 0)
        live = np.flatnonzero(rows >= 0)
        want = reference_mmr(index, rows, scores, live, size, config, filtered)
        got = pick_page(index, rows, scores, size, config, category_filtered=filtered)
        assert got.positions == want, (trial, config)
