"""The DNN rows of `videorec evaluate`: seeded by the run, `two-tower` and `sasrec` distinct."""

from __future__ import annotations

import numpy as np
import pytest

from videorec.evaluation.offline import OPTIONAL
from videorec.evaluation.two_tower import TwoTowerSource, variant_config
from videorec.features.log import InteractionLog
from videorec.training.synthetic import synthetic_data


class TestVariants:
    def test_both_dnns_are_rows_of_their_own(self) -> None:
        assert {"two-tower", "sasrec"} <= set(OPTIONAL)

    def test_the_post_bias_row_is_the_two_tower_with_the_bias_only(self) -> None:
        assert "two-tower-bias" in OPTIONAL
        bias, plain = variant_config("two-tower-bias", 1), variant_config("two-tower", 1)
        assert bias.two_tower.post_bias
        assert not plain.two_tower.post_bias
        assert bias.model_copy(update={"two_tower": plain.two_tower}) == plain

    def test_the_single_row_is_the_default_pair_cut_to_one_member(self) -> None:
        assert "two-tower-single" in OPTIONAL
        single, plain = variant_config("two-tower-single", 1), variant_config("two-tower", 1)
        assert (single.two_tower.members, plain.two_tower.members) == (1, 2)
        assert single.model_copy(update={"two_tower": plain.two_tower}) == plain
        assert variant_config("sasrec", 1).two_tower.members == 1

    def test_the_run_seed_reaches_the_training_config(self) -> None:
        assert variant_config("two-tower", 0).seed == 0
        assert variant_config("two-tower", 2).seed == 2

    def test_rows_train_on_the_given_base_config_under_their_own_overrides(self) -> None:
        from videorec.training.config import TrainConfig

        base = TrainConfig().model_dump()
        base["two_tower"] |= {"epochs": 7, "dropout": 0.3}
        base["features"] |= {"history_length": 33, "use_text": False}
        plain, sasrec = variant_config("two-tower", 3, base), variant_config("sasrec", 3, base)
        assert (plain.two_tower.epochs, plain.two_tower.dropout) == (7, 0.3)
        assert (plain.features.history_length, plain.seed) == (33, 3)
        assert (sasrec.two_tower.epochs, sasrec.features.history_length) == (40, 50)  # its own
        assert (sasrec.two_tower.dropout, sasrec.features.use_text) == (0.3, False)  # the base's
        assert variant_config("two-tower", 3) == TrainConfig(seed=3)  # no base: code defaults

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


class TestFoldedIn:
    """The DNN alone on cut histories (the cold slices): each user scored as one never seen."""

    @staticmethod
    def _source() -> TwoTowerSource:
        log, catalog = synthetic_data(users=40, posts=50, interactions=800, seed=3)
        order = np.argsort(log.timestamps, kind="stable")
        train, valid = log.select(order[:640]), log.select(order[640:])
        users, items = np.unique(train.user_ids), np.sort(catalog.post_ids)
        config = variant_config("two-tower", 0)
        config.features.use_text = False
        config.two_tower.epochs = 2
        config.two_tower.user_id = True  # a known user's id must not reach the cut history
        config.ranker.enabled = False
        source = TwoTowerSource(train, valid, catalog, users, items, config=config)
        source.fit(None)
        return source

    def test_scores_the_given_history_as_an_unknown_user(self) -> None:
        source = self._source()
        users = np.array([0, 1, 2])
        ids = [int(u) for u in source.user_ids[users]]
        cut = {ids[0]: source.histories[0].select(np.arange(1)),
               ids[1]: source.histories[1].select(np.arange(2))}  # fmt: skip
        folded = source.folded_in(cut).scores(users)
        expected = source.score_histories(
            [None, None, None], [cut[ids[0]], cut[ids[1]], InteractionLog.empty()]
        )
        np.testing.assert_array_equal(folded, expected)
        full = source.scores(users)
        assert not np.allclose(folded[0], full[0])
        # The id would have mattered where the two-tower serves the history (past the
        # short-history tower's 1..n events): folding in as an unknown user is not a no-op.
        longer = source.histories[0].select(np.arange(source.model.short_history_events + 1))
        as_known = source.score_histories([ids[0]], [longer])
        assert not np.allclose(source.score_histories([None], [longer])[0], as_known[0])
        # The short-history tower reads no user id at all (it was fine-tuned on the unknown
        # user's row), so there a known user's cut history scores as the folded-in one.
        short = source.score_histories([ids[0]], [cut[ids[0]]])
        assert source.model.short_history_events >= 1  # the short tower was kept and serves it
        np.testing.assert_allclose(short[0], folded[0], rtol=1e-5, atol=1e-6)  # batch of 1


def test_post_texts_go_through_the_given_encoder() -> None:
    """The evaluation hands its one caching encoder to every fit (no re-encoding per run)."""
    log, catalog = synthetic_data(users=20, posts=30, interactions=300, seed=1)
    order = np.argsort(log.timestamps, kind="stable")
    train, valid = log.select(order[:240]), log.select(order[240:])
    seen: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.zeros((len(texts), 384), np.float32)

    config = variant_config("two-tower", 0)
    config.two_tower.epochs = 1
    config.ranker.enabled = False
    users, items = np.unique(train.user_ids), np.sort(catalog.post_ids)
    source = TwoTowerSource(train, valid, catalog, users, items, config=config, text_encoder=encode)
    source.fit(None)
    assert sorted(seen) == sorted(catalog.texts)


@pytest.mark.parametrize("row", ["two-tower", "two-tower-single"])
def test_describe_reports_the_fits_own_validation(row: str) -> None:
    log, catalog = synthetic_data(users=20, posts=30, interactions=300, seed=1)
    order = np.argsort(log.timestamps, kind="stable")
    train, valid = log.select(order[:240]), log.select(order[240:])
    config = variant_config(row, 0)
    config.features.use_text = False
    config.two_tower.epochs = 3
    config.two_tower.patience = 3
    config.ranker.enabled = False
    users, items = np.unique(train.user_ids), np.sort(catalog.post_ids)
    source = TwoTowerSource(train, valid, catalog, users, items, config=config)
    source.fit(None)
    described = source.describe()
    epochs = source.model.metrics["two_tower_epochs"]
    if row == "two-tower":  # the default pair: one entry per member
        assert described["epochs"] == [3, 3]
        for k in (0, 1):
            best = max((e for e in epochs if e["member"] == k), key=lambda e: e["ndcg@10"])
            assert described["best_epoch"][k] == best["epoch"]
    else:
        assert described["epochs"] == 3
        assert described["best_epoch"] == max(epochs, key=lambda e: e["ndcg@10"])["epoch"]
    assert described["validation_ndcg@10"] == round(source.model.metrics["model"]["ndcg@10"], 5)
    cold = source.model.metrics["model"]["cold_ndcg@10"]
    assert described["validation_cold_ndcg@10"] == round(cold, 5)
    short = source.model.metrics["selection"]["short_history"]
    assert described["short_history_events"] == short["max_events"]
