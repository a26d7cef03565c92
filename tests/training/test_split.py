"""Temporal split and the validation protocol."""

from __future__ import annotations

import numpy as np

from videorec.features.log import InteractionLog
from videorec.features.signals import RATING, VIEW, SignalWeights
from videorec.training.split import split_by_user, temporal_split, validation_set


def _log(users, posts, kinds, ratings, times) -> InteractionLog:
    return InteractionLog(
        np.array(users, np.int64), np.array(posts, np.int64), np.array(kinds, np.int8),
        np.array(ratings, np.float32), np.array(times, np.int64),
    )  # fmt: skip


class TestTemporalSplit:
    def test_holds_out_the_last_fraction_of_the_time_span(self) -> None:
        log = _log([1] * 5, [1, 2, 3, 4, 5], [VIEW] * 5, [np.nan] * 5, [50, 0, 100, 89, 91])
        train, valid = temporal_split(log, 0.1)
        assert train.timestamps.tolist() == [0, 50, 89]
        assert valid.timestamps.tolist() == [91, 100]


class TestValidationSet:
    def test_keeps_known_users_new_positive_catalogue_posts_only(self) -> None:
        train = _log([1, 2], [10, 10], [VIEW, VIEW], [np.nan] * 2, [0, 0])
        valid = _log(
            [1, 1, 1, 1, 3], [10, 11, 12, 99, 11], [VIEW, VIEW, RATING, VIEW, VIEW],
            [np.nan, np.nan, 1.0, np.nan, np.nan], [5] * 5,
        )  # fmt: skip
        out = validation_set(
            train, valid, np.array([10, 11, 12]), SignalWeights(), max_users=10, seed=0
        )
        assert out.user_ids.tolist() == [1]
        assert out.targets == [{11}]  # 10 seen in training, 12 rated low, 99 not in catalogue

    def test_split_by_user_orders_each_users_events(self) -> None:
        log = _log([2, 1, 2], [5, 6, 7], [VIEW] * 3, [np.nan] * 3, [9, 1, 3])
        by_user = split_by_user(log)
        assert by_user[2].post_ids.tolist() == [7, 5]


class TestFirstEvents:
    def test_cuts_the_histories_with_enough_events_to_their_first_ones(self) -> None:
        train = _log([1, 1, 1, 2], [10, 11, 12, 20], [VIEW] * 4, [np.nan] * 4, [5, 1, 3, 0])
        valid = _log([1, 2], [30, 31], [VIEW] * 2, [np.nan] * 2, [9, 9])
        users = validation_set(train, valid, np.array([10, 11, 12, 20, 30, 31]), SignalWeights(),
                               max_users=10, seed=0)  # fmt: skip
        one, two = users.first_events(1), users.first_events(2)
        assert [h.post_ids.tolist() for h in one.histories] == [[11], [20]]
        assert one.targets == users.targets == [{30}, {31}]
        assert [h.post_ids.tolist() for h in two.histories] == [[11, 12]]  # user 2 has 1 event
        assert two.user_ids.tolist() == [1]
        assert two.targets == [{30}]
