"""Generated statistics meet the real 2024-12 logs' targets (`datagen.targets`) within bounds."""

from __future__ import annotations

from collections import Counter

import numpy as np

from videorec.datagen.targets import (
    ENGAGED_WITHOUT_VIEW_SHARE,
    INACTIVE_USER_SHARE,
    KIND_SHARES,
    LIGHT_VIEWER_SHARE,
    MEDIAN_VIEWS_PER_VIEWER,
    RATING_HISTOGRAM,
    RATING_MEAN,
)
from videorec.datagen.writers import TIME_KEYS

from .conftest import STATS_CONFIG

KINDS = ("view", "like", "inspire", "rating")
RATING_EDGES = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 101]


class TestKindShares:
    def test_total_rows_are_the_requested_interactions_within_one_percent(self, stats_set) -> None:
        total = sum(len(stats_set[k]) for k in KINDS)
        assert abs(total - STATS_CONFIG.interactions) <= 0.01 * STATS_CONFIG.interactions

    def test_each_log_share_matches_the_real_logs_within_one_point(self, stats_set) -> None:
        total = sum(len(stats_set[k]) for k in KINDS)
        for kind in KINDS:
            assert abs(len(stats_set[kind]) / total - KIND_SHARES[kind]) < 0.01, kind


class TestRatings:
    def test_mean_is_within_two_points_of_the_real_mean(self, stats_set) -> None:
        values = np.array([r["rating_percent"] for r in stats_set["rating"]])
        assert abs(values.mean() - RATING_MEAN) < 2.0
        assert values.min() >= 0
        assert values.max() <= 100

    def test_histogram_matches_the_real_one_within_two_points_per_bin(self, stats_set) -> None:
        values = np.array([r["rating_percent"] for r in stats_set["rating"]])
        got = np.histogram(values, bins=RATING_EDGES)[0] / len(values)
        want = np.array(RATING_HISTOGRAM) / sum(RATING_HISTOGRAM)
        assert np.abs(got - want).max() < 0.02


class TestActivity:
    def test_inactive_share_is_within_three_points_of_the_real_share(self, stats_set) -> None:
        active = {row["user_id"] for kind in KINDS for row in stats_set[kind]}
        inactive = 1 - len(active) / len(stats_set["users"])
        assert abs(inactive - INACTIVE_USER_SHARE) < 0.03

    def test_median_viewer_has_two_views(self, stats_set) -> None:
        views = np.array(list(Counter(r["user_id"] for r in stats_set["view"]).values()))
        assert np.median(views) == MEDIAN_VIEWS_PER_VIEWER

    def test_light_viewer_share_is_within_four_points_of_the_real_share(self, stats_set) -> None:
        views = np.array(list(Counter(r["user_id"] for r in stats_set["view"]).values()))
        assert abs((views <= 2).mean() - LIGHT_VIEWER_SHARE) < 0.04

    def test_the_heaviest_viewer_has_over_fifty_times_the_median(self, stats_set) -> None:
        views = Counter(r["user_id"] for r in stats_set["view"])
        assert max(views.values()) > 50 * MEDIAN_VIEWS_PER_VIEWER

    def test_post_popularity_is_skewed(self, stats_set) -> None:
        per_post = np.sort(list(Counter(r["post_id"] for r in stats_set["view"]).values()))[::-1]
        top_decile = per_post[: len(per_post) // 10].sum() / per_post.sum()
        assert top_decile > 0.25


class TestPairs:
    def test_view_like_and_rating_logs_hold_each_pair_once(self, stats_set) -> None:
        for kind in ("view", "like", "rating"):
            pairs = [(r["user_id"], r["post_id"]) for r in stats_set[kind]]
            assert len(pairs) == len(set(pairs)), kind

    def test_most_engagements_are_on_viewed_posts(self, stats_set) -> None:
        viewed = {(r["user_id"], r["post_id"]) for r in stats_set["view"]}
        for kind in ("like", "inspire", "rating"):
            rows = stats_set[kind]
            unviewed = sum((r["user_id"], r["post_id"]) not in viewed for r in rows) / len(rows)
            assert 0.02 < unviewed < 2 * ENGAGED_WITHOUT_VIEW_SHARE, kind

    def test_engagements_follow_their_view_in_time(self, stats_set) -> None:
        view_at = {(r["user_id"], r["post_id"]): r["viewed_at"] for r in stats_set["view"]}
        for kind in ("like", "rating"):
            key = TIME_KEYS[kind]
            pairs = [((r["user_id"], r["post_id"]), r[key]) for r in stats_set[kind]]
            late = [stamp >= view_at[pair] for pair, stamp in pairs if pair in view_at]
            assert all(late), kind
