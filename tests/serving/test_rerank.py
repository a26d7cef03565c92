"""Page re-ranking: caps, diversity and the exploration slot."""

from __future__ import annotations

import numpy as np

from videorec.serving.config import FeedConfig
from videorec.serving.rerank import pick_page


class TestPickPage:
    def _pool(self, feed_world):
        rows = feed_world.stats.trend_order.copy()
        return rows, np.linspace(1, 0, rows.size).astype(np.float32)

    def test_at_most_n_posts_per_creator_and_category(self, feed_world) -> None:
        rows, scores = self._pool(feed_world)
        config = FeedConfig(max_per_creator=2, max_per_category=4, exploration_slots=0)
        pick = pick_page(feed_world.index, rows, scores, 10, config, category_filtered=False)
        chosen = rows[pick.positions]
        assert len(set(pick.positions)) == 10
        assert np.bincount(feed_world.index.creators[chosen]).max() <= 2
        assert np.bincount(feed_world.index.category_ids[chosen]).max() <= 4

    def test_caps_relax_rather_than_return_a_short_page(self, feed_world) -> None:
        rows, scores = self._pool(feed_world)
        config = FeedConfig(max_per_creator=1, max_per_category=1, exploration_slots=0)
        pick = pick_page(feed_world.index, rows, scores, 20, config, category_filtered=False)
        assert len(pick.positions) == 20

    def test_the_exploration_slot_holds_a_little_seen_post(self, feed_world) -> None:
        rows, scores = self._pool(feed_world)
        config = FeedConfig(exploration_slots=1, explore_max_views=50)
        pick = pick_page(feed_world.index, rows, scores, 10, config, category_filtered=False)
        assert len(pick.explored) == 1
        assert feed_world.index.views[rows[pick.explored[0]]] <= 50

    def test_explored_posts_follow_the_first_exploration_after_posts(self, feed_world) -> None:
        rows, scores = self._pool(feed_world)
        config = FeedConfig(exploration_slots=2, exploration_after=3, explore_max_views=50)
        pick = pick_page(feed_world.index, rows, scores, 10, config, category_filtered=False)
        assert len(pick.explored) == 2
        assert pick.positions[3:5] == pick.explored
        assert not set(pick.positions[:3]) & set(pick.explored)

    def test_too_few_little_seen_posts_still_fill_the_page(self, feed_world) -> None:
        rows, scores = self._pool(feed_world)
        views = feed_world.index.views[rows]
        little = np.flatnonzero(views <= 50)
        rows[little[1:]] = -1  # one little-seen post left for three slots
        config = FeedConfig(exploration_slots=3, explore_max_views=50)
        pick = pick_page(feed_world.index, rows, scores, 5, config, category_filtered=False)
        assert len(pick.positions) == len(set(pick.positions)) == 5
        assert int(little[0]) in pick.explored

    def test_served_rows_are_never_picked_again(self, feed_world) -> None:
        rows, scores = self._pool(feed_world)
        rows[:30] = -1
        pick = pick_page(feed_world.index, rows, scores, 10, FeedConfig(), category_filtered=False)
        assert min(pick.positions) >= 30
