"""Counters as of a cut: what the log shows up to the cut, never upstream lifetime totals."""

from __future__ import annotations

import numpy as np

from videorec.features.counters import as_of
from videorec.features.log import KIND_CODES, InteractionLog, PostCatalog
from videorec.features.pipeline import FeaturePipeline


def _catalog(views: list[float]) -> PostCatalog:
    n = len(views)
    return PostCatalog(
        post_ids=np.asarray([30, 10, 20][:n], np.int64),
        category_ids=np.full(n, -1, np.int64),
        creators=["a"] * n,
        created_at=np.asarray([100, 200, 300][:n], np.int64),
        texts=[""] * n,
        mood_terms=[[] for _ in range(n)],
        counters={
            "view_count": np.asarray(views, np.float32),
            "comment_count": np.asarray(views, np.float32),
        },  # fmt: skip
    )


def _log(rows: list[tuple[int, int, str, float, int]]) -> InteractionLog:
    users, posts, kinds, ratings, times = zip(*rows, strict=True)
    return InteractionLog(
        np.asarray(users, np.int64),
        np.asarray(posts, np.int64),
        np.asarray([KIND_CODES[k] for k in kinds], np.int8),
        np.asarray(ratings, np.float32),
        np.asarray(times, np.int64),
    )


EVENTS = [
    (1, 10, "view", np.nan, 1000),
    (2, 10, "view", np.nan, 1001),
    (2, 10, "like", np.nan, 1002),
    (3, 20, "rating", 80.0, 1003),
    (4, 20, "rating", 20.0, 1004),
    (5, 30, "view", np.nan, 5000),  # after the cut
]


class TestAsOf:
    def test_counts_each_kind_up_to_the_cut(self) -> None:
        counted = as_of(_catalog([999, 999, 999]), _log(EVENTS), cut=2000)
        # catalogue order is kept: posts 30, 10, 20
        assert counted.counters["view_count"].tolist() == [0, 2, 0]
        assert counted.counters["upvote_count"].tolist() == [0, 1, 0]
        assert counted.counters["rating_count"].tolist() == [0, 0, 2]
        assert counted.counters["average_rating"][2] == 50.0
        assert np.isnan(counted.counters["average_rating"][:2]).all()

    def test_drops_counters_the_log_cannot_show(self) -> None:
        counted = as_of(_catalog([5, 6, 7]), _log(EVENTS), cut=2000)
        assert "comment_count" not in counted.counters

    def test_events_and_upstream_totals_after_the_cut_change_no_feature(self) -> None:
        later = [*EVENTS, (6, 10, "like", np.nan, 6000), (7, 20, "view", np.nan, 7000)]
        train = _log(EVENTS[:5])
        one = as_of(_catalog([1, 2, 3]), _log(EVENTS), cut=2000)
        two = as_of(_catalog([900, 800, 700]), _log(later), cut=2000)
        tables = [FeaturePipeline.fit(train, c).post_table(c, None).dense for c in (one, two)]
        np.testing.assert_array_equal(tables[0], tables[1])

    def test_upstream_totals_would_leak_without_it(self) -> None:
        """The control of the test above: raw upstream counters do change the features."""
        train = _log(EVENTS[:5])
        raw = [_catalog(v) for v in ([1, 2, 3], [900, 800, 700])]
        tables = [FeaturePipeline.fit(train, c).post_table(c, None).dense for c in raw]
        assert not np.array_equal(tables[0], tables[1])
