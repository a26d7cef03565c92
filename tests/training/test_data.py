"""Training examples: hold-one-out `set` histories and the ranker's pair labels."""

from __future__ import annotations

import numpy as np

from videorec.evaluation.datasets import bare_catalog
from videorec.features.log import InteractionLog
from videorec.features.pipeline import FeaturePipeline
from videorec.features.signals import RATING
from videorec.training.data import (
    EventArrays,
    causal_windows,
    pair_key,
    pair_labels,
    window_ends,
)


def _events(users: list[int], posts: list[int], ratings: list[float]) -> EventArrays:
    n = len(users)
    log = InteractionLog(
        user_ids=np.array(users, np.int64), post_ids=np.array(posts, np.int64),
        kinds=np.full(n, RATING, np.int8), ratings=np.array(ratings, np.float32),
        timestamps=np.arange(n, dtype=np.int64) * 60 + 1_700_000_000,
    )  # fmt: skip
    ids = np.unique(log.post_ids)
    catalog = bare_catalog(ids)
    pipeline = FeaturePipeline.fit(log, catalog, history_length=4)
    return EventArrays.build(log, pipeline, pipeline.post_table(catalog, None))


class TestSetHistories:
    def test_other_events_of_the_same_user_only_each_once(self) -> None:
        events = _events([1, 1, 1, 1, 2, 2], [10, 11, 12, 13, 10, 14], [80.0] * 6)
        rows, weights = events.set_histories(
            np.arange(6), 4, events.shuffled(np.random.default_rng(0))
        )
        for p in range(6):
            same_user = set(events.rows[events.starts[p] : events.ends[p]].tolist())
            got = rows[p][weights[p] != 0].tolist()
            assert sorted(got) == sorted(same_user - {int(events.rows[p])})

    def test_the_target_post_never_enters_its_history(self) -> None:
        # user 1 rated post 10 twice: neither event may be in the other's history
        events = _events([1, 1, 1], [10, 10, 11], [80.0, 90.0, 80.0])
        rows, _ = events.set_histories(np.arange(3), 4, events.shuffled(np.random.default_rng(1)))
        for p in range(3):
            assert int(events.rows[p]) not in rows[p].tolist()

    def test_window_is_capped_and_reshuffled(self) -> None:
        events = _events([1] * 8, list(range(10, 18)), [80.0] * 8)
        first, _ = events.set_histories(np.array([0]), 3, events.shuffled(np.random.default_rng(0)))
        again, _ = events.set_histories(np.array([0]), 3, events.shuffled(np.random.default_rng(5)))
        assert (first > 0).sum() == 3
        assert first.tolist() != again.tolist()


class TestKnownPosts:
    def test_marks_every_post_of_the_positions_user_and_nothing_else(self) -> None:
        events = _events([1, 1, 1, 2], [10, 11, 10, 12], [80.0] * 4)
        n_rows = int(events.rows.max()) + 1
        known = events.known_posts(np.array([0, 3]), n_rows)
        assert known.shape == (2, n_rows - 1)
        user_1 = {int(r) - 1 for r in events.rows[:3]}
        assert set(np.flatnonzero(known[0]).tolist()) == user_1
        assert np.flatnonzero(known[1]).tolist() == [int(events.rows[3]) - 1]


class TestHoldout:
    def test_targets_never_enter_the_history_and_every_user_gets_one(self) -> None:
        # user 1 has post 10 twice: when it is a target, neither event is history
        events = _events([1, 1, 1, 1, 1, 2], [10, 11, 10, 12, 13, 14], [80.0] * 6)
        n_rows = int(events.rows.max()) + 1
        users = np.unique(events.starts)
        for seed in range(20):
            split = events.holdout(users, 4, 0.3, np.random.default_rng(seed), n_rows)
            for b, user in enumerate(users):
                mine = set(events.rows[user : events.ends[user]].tolist())
                targets = {int(c) + 1 for c in np.flatnonzero(split.targets[b])}
                history = set(split.rows[b][split.rows[b] > 0].tolist())
                assert targets
                assert not targets & history
                assert targets | history == mine
                assert {int(c) + 1 for c in np.flatnonzero(split.seen[b])} == history

    def test_history_is_capped_at_the_length(self) -> None:
        events = _events([1] * 8, list(range(10, 18)), [80.0] * 8)
        split = events.holdout(np.array([0]), 3, 0.1, np.random.default_rng(0), 9)
        assert (split.rows > 0).sum() == 3
        assert split.weights[split.rows > 0].tolist() == [3.0, 3.0, 3.0]


class TestPairLabels:
    def test_wanted_head_agrees_with_the_evaluation_and_low_stars_count(self) -> None:
        # MovieLens-style: every rating (1 star = 20) is relevant to the evaluation.
        events = _events([1, 1, 2], [10, 11, 10], [20.0, 100.0, 40.0])
        labels = pair_labels(events, high_from=50.0, n_rows=10)
        assert labels.heads[:, 0].tolist() == [1.0, 1.0, 1.0]
        assert labels.heads[:, 3].tolist() == [0.0, 1.0, 0.0]
        keys = pair_key(events.users[labels.positions], events.rows[labels.positions], 10)
        np.testing.assert_array_equal(labels.positive_keys, np.sort(keys))


class TestCausalWindows:
    def test_every_later_event_is_one_windows_target_after_its_own_inputs(self) -> None:
        # user 1: 6 events, user 2: 2 events; windows of 2 targets
        events = _events([1] * 6 + [2] * 2, [10, 11, 12, 13, 14, 15, 10, 16], [80.0] * 8)
        ends = window_ends(events, 2)
        windows = causal_windows(events, ends, 2, np.ones(8, dtype=np.bool_))
        row = dict(zip(events.log.post_ids.tolist(), events.rows.tolist(), strict=False))
        targets = sorted(int(t) for t in windows.targets.ravel() if t > 0)
        # every event but each user's first is predicted exactly once
        assert targets == sorted(row[p] for p in [11, 12, 13, 14, 15, 16])
        for inputs, predicted in zip(windows.rows, windows.targets, strict=True):
            for slot in np.flatnonzero(predicted):
                # the input at a slot is the event just before the one it predicts
                order = [row[p] for p in [10, 11, 12, 13, 14, 15]]
                if predicted[slot] == row[16]:
                    assert inputs[slot] == row[10]
                else:
                    assert order.index(int(inputs[slot])) + 1 == order.index(int(predicted[slot]))
        assert ((windows.rows == 0) == (windows.weights == 0)).all()
        assert (windows.targets[windows.rows == 0] == 0).all()  # no target at a padding slot
        assert len(ends) == 3 + 1  # 5 targets of user 1 in windows of 2, 1 of user 2

    def test_only_marked_events_are_targets(self) -> None:
        events = _events([1, 1, 1], [10, 11, 12], [80.0] * 3)
        marked = np.array([True, False, True])
        windows = causal_windows(events, window_ends(events, 2), 2, marked)
        assert (windows.targets > 0).sum() == 1
