"""The fitted feature pipeline: post table, histories, unseen values, saved state."""

from __future__ import annotations

import numpy as np
import pytest

from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.pipeline import FeaturePipeline
from videorec.features.signals import LIKE, RATING, VIEW
from videorec.training.synthetic import synthetic_data


def _log(users, posts, kinds, ratings, times) -> InteractionLog:
    return InteractionLog(
        np.array(users, np.int64), np.array(posts, np.int64), np.array(kinds, np.int8),
        np.array(ratings, np.float32), np.array(times, np.int64),
    )  # fmt: skip


def _catalog(**overrides) -> PostCatalog:
    fields = {
        "post_ids": np.array([10, 20], np.int64),
        "category_ids": np.array([1, 2], np.int64),
        "creators": ["ann", "bob"],
        "created_at": np.array([0, 86_400], np.int64),
        "texts": ["calm sea", "gym"],
        "mood_terms": [["calm"], ["energetic"]],
        "counters": {"view_count": np.array([10, 1000], np.float32)},
    }
    return PostCatalog(**{**fields, **overrides})


@pytest.fixture
def pipeline() -> FeaturePipeline:
    train = _log([1, 1, 2], [10, 20, 10], [VIEW, LIKE, VIEW], [np.nan] * 3, [0, 100, 200])
    return FeaturePipeline.fit(train, _catalog(), history_length=3)


class TestPostTable:
    def test_rows_line_up_with_sorted_post_ids_and_row_zero_is_unknown(self, pipeline) -> None:
        table = pipeline.post_table(_catalog(), None)
        np.testing.assert_array_equal(table.post_ids, [10, 20])
        np.testing.assert_array_equal(table.rows_of(np.array([20, 10, 99])), [2, 1, 0])
        assert table.dense.shape == (3, pipeline.dense_width)
        assert table.text.shape == (3, 384)
        assert (table.dense[0] == 0).all()

    def test_text_rows_follow_the_sorted_post_ids_below_a_zero_row(self, pipeline) -> None:
        text = np.random.default_rng(0).normal(size=(2, 384))  # float64: stored as float32
        table = pipeline.post_table(_catalog(post_ids=np.array([20, 10], np.int64)), text)
        assert table.text.dtype == np.float32
        np.testing.assert_array_equal(table.text[0], 0)
        np.testing.assert_allclose(table.text[1:], text[[1, 0]].astype(np.float32))

    def test_unseen_posts_categories_creators_and_moods_go_to_oov(self, pipeline) -> None:
        unseen = _catalog(
            post_ids=np.array([30], np.int64), category_ids=np.array([-1], np.int64),
            creators=["zed"], created_at=np.array([-1], np.int64), texts=[""],
            mood_terms=[["unheard-of"]], counters={},
        )  # fmt: skip
        table = pipeline.post_table(unseen, None)
        assert table.id_rows[1] == table.category_rows[1] == table.creator_rows[1] == 0
        assert (table.mood_rows[1] == 0).all()
        assert np.isfinite(table.dense).all()
        assert table.dense[1, pipeline.dense_width // 2 :].all()  # every value flagged missing

    def test_partial_counters_are_imputed_with_flags(self, pipeline) -> None:
        table = pipeline.post_table(_catalog(counters={}), None)
        half = pipeline.dense_width // 2
        assert table.dense[1:, half].tolist() == [1.0, 1.0]  # view_count missing
        assert np.isfinite(table.dense).all()


class TestHistories:
    def test_left_pads_and_weights_low_ratings_negatively(self, pipeline) -> None:
        table = pipeline.post_table(_catalog(), None)
        history = _log([1, 1], [10, 20], [VIEW, RATING], [np.nan, 2.0], [0, 0])
        out = pipeline.histories(table, [history, InteractionLog.empty()])
        np.testing.assert_array_equal(out.rows, [[0, 1, 2], [0, 0, 0]])
        np.testing.assert_allclose(out.weights, [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]])

    def test_older_events_weigh_less(self, pipeline) -> None:
        table = pipeline.post_table(_catalog(), None)
        half_life = int(pipeline.recency_half_life_days * 86_400)
        history = _log([1, 1], [10, 20], [VIEW, VIEW], [np.nan] * 2, [0, half_life])
        out = pipeline.histories(table, [history])
        np.testing.assert_allclose(out.weights[0, 1:], [0.5, 1.0])


class TestState:
    def test_round_trip_gives_the_same_table_and_lookups(self) -> None:
        log, catalog = synthetic_data(users=20, posts=30, interactions=200, seed=3)
        fitted = FeaturePipeline.fit(log, catalog)
        again = FeaturePipeline.from_state(*fitted.state())
        a, b = fitted.post_table(catalog, None), again.post_table(catalog, None)
        for name, value in a.arrays().items():
            np.testing.assert_array_equal(value, b.arrays()[name])
        np.testing.assert_array_equal(
            again.users.lookup(log.user_ids), fitted.users.lookup(log.user_ids)
        )
