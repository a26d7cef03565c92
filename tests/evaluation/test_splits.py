from __future__ import annotations

import numpy as np
import pytest

from videorec.errors import InvalidInput
from videorec.evaluation.datasets import bare_catalog
from videorec.evaluation.matrix import to_matrices
from videorec.evaluation.splits import (
    first_per_pair,
    random_split,
    split,
    split_counts,
    temporal_split,
)
from videorec.features.log import InteractionLog

from .conftest import clustered_log


def _pairs(log: InteractionLog) -> set[tuple[int, int]]:
    return set(zip(log.user_ids.tolist(), log.post_ids.tolist(), strict=True))


class TestTemporalSplit:
    def test_training_never_sees_the_future(self):
        parts = temporal_split(clustered_log())
        assert parts.train.timestamps.max() <= parts.valid.timestamps.min()
        assert parts.valid.timestamps.max() <= parts.test.timestamps.min()

    def test_cuts_80_10_10(self):
        parts = temporal_split(clustered_log())
        assert (len(parts.train), len(parts.valid), len(parts.test)) == (576, 72, 72)

    def test_repeated_pair_stays_on_its_first_side(self):
        log = clustered_log()
        repeated = InteractionLog(
            *(
                np.concatenate([getattr(log, f), getattr(log, f)[:5]])
                for f in log.__dataclass_fields__
            )
        )
        late = repeated.timestamps.copy()
        late[-5:] = late.max() + 1000
        parts = temporal_split(
            InteractionLog(
                *(getattr(repeated, f) for f in list(log.__dataclass_fields__)[:4]), late
            )
        )
        assert not _pairs(parts.train) & _pairs(parts.test)
        assert len(parts.train) + len(parts.valid) + len(parts.test) == len(log)


class TestRandomSplit:
    def test_parts_are_disjoint_and_cover_everything(self):
        log = clustered_log()
        parts = random_split(log, seed=3)
        train, valid, test = _pairs(parts.train), _pairs(parts.valid), _pairs(parts.test)
        assert not train & valid
        assert not train & test
        assert not valid & test
        assert train | valid | test == _pairs(first_per_pair(log))

    def test_each_user_is_cut_8_1_1(self):
        parts = random_split(clustered_log(per_user=20), seed=1)
        for part, expected in ((parts.train, 16), (parts.valid, 2), (parts.test, 2)):
            _, counts = np.unique(part.user_ids, return_counts=True)
            assert set(counts.tolist()) == {expected}

    def test_seed_changes_the_split_and_repeats_it(self):
        log = clustered_log()
        a, b, c = random_split(log, 1), random_split(log, 1), random_split(log, 2)
        assert _pairs(a.test) == _pairs(b.test)
        assert _pairs(a.test) != _pairs(c.test)

    def test_small_users_keep_one_event_out_like_recbole(self):
        assert split_counts(5) == [3, 1, 1]
        assert split_counts(2) == [1, 0, 1]
        assert split_counts(25) == [21, 2, 2]


class TestSplitMatrices:
    def test_held_out_cells_are_not_in_train(self):
        log = clustered_log()
        m = to_matrices(random_split(log, 0), bare_catalog(np.unique(log.post_ids)))
        assert m.train.multiply(m.test).nnz == 0
        assert m.train.multiply(m.valid).nnz == 0
        assert m.train.nnz + m.valid.nnz + m.test.nnz == len(log)

    def test_unknown_protocol_is_refused(self):
        with pytest.raises(InvalidInput):
            split(clustered_log(), "leave-one-out")


class TestEmptyTraining:
    def test_a_split_without_training_users_gives_empty_matrices(self):
        log = clustered_log().select(np.zeros(720, bool))
        m = to_matrices(temporal_split(log), bare_catalog(np.arange(5)))
        assert m.train.shape == m.test.shape == (0, 5)
