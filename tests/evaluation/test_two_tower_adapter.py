"""The DNN rows of `videorec evaluate`: seeded by the run, `two-tower` and `sasrec` distinct."""

from __future__ import annotations

import numpy as np

from videorec.evaluation.offline import OPTIONAL
from videorec.evaluation.two_tower import TwoTowerSource, variant_config
from videorec.training.synthetic import synthetic_data


class TestVariants:
    def test_both_dnns_are_rows_of_their_own(self) -> None:
        assert {"two-tower", "sasrec"} <= set(OPTIONAL)

    def test_the_run_seed_reaches_the_training_config(self) -> None:
        assert variant_config("two-tower", 0).seed == 0
        assert variant_config("two-tower", 2).seed == 2

    def test_sasrec_swaps_the_user_encoder_over_time_ordered_examples(self) -> None:
        config = variant_config("sasrec", 1)
        assert config.two_tower.user_encoder == "sasrec"
        assert config.two_tower.history == "sequence"
        assert variant_config("two-tower", 1).two_tower.user_encoder == "pool"

    def test_runs_with_different_seeds_train_different_models(self) -> None:
        log, catalog = synthetic_data(users=40, posts=50, interactions=800, seed=3)
        cut = int(len(log) * 0.8)
        order = np.argsort(log.timestamps, kind="stable")
        train, valid = log.select(order[:cut]), log.select(order[cut:])
        users, items = np.unique(train.user_ids), np.sort(catalog.post_ids)
        vectors = []
        for seed in (0, 1):
            config = variant_config("two-tower", seed)
            config.features.use_text = False
            config.two_tower.epochs = 1
            config.ranker.enabled = False
            source = TwoTowerSource(train, valid, catalog, users, items, seed=seed, config=config)
            source.fit(None)
            vectors.append(source.model.post_vectors)
        assert not np.allclose(vectors[0], vectors[1])
