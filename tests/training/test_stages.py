"""The stages of `fit`: the ranker is kept only when it earns it, its negatives are hard and never
the user's own positives, seeds and threads are honoured, held-out quality beats popularity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.training.conftest import tiny_config
from videorec.features.log import PostCatalog
from videorec.models import builders
from videorec.training import fit, load_artifact, save_artifact, temporal_split
from videorec.training.config import RankerConfig
from videorec.training.data import PairLabels, pair_key
from videorec.training.metrics import evaluate_scores, popularity_scores
from videorec.training.recipes.ranker import _Candidates
from videorec.training.split import validation_set
from videorec.training.stages import Trained, select


def _trained(retrieval: float, ranker: float) -> Trained:
    torch.manual_seed(0)
    table = {"id_rows": torch.arange(3), "creator_rows": torch.zeros(3, dtype=torch.long),
             "category_rows": torch.zeros(3, dtype=torch.long),
             "mood_rows": torch.zeros(3, 1, dtype=torch.long), "dense": torch.zeros(3, 1),
             "text": torch.zeros(3, 1)}  # fmt: skip
    sizes = {"n_users": 2, "n_ids": 3, "n_creators": 1, "n_categories": 1, "n_moods": 1}
    return Trained(
        builders.two_tower(table, **sizes, dim=2, hidden=[4], out_dim=2),
        builders.ranker(table, **sizes, dim=2, hidden=[4]),
        retrieval_epochs=[{"ndcg@10": retrieval}],
        ranker_epochs=[{"ndcg@10": ranker - 0.1}, {"ndcg@10": ranker}],
    )


class TestSelect:
    def test_a_ranker_that_does_not_beat_retrieval_alone_is_dropped(self) -> None:
        chosen = select(_trained(retrieval=0.30, ranker=0.30), min_gain=0.0)
        assert chosen.ranker is None
        assert chosen.selection == {
            "retrieval_ndcg@10": 0.30, "ranker_ndcg@10": 0.30, "ranker_kept": False,
        }  # fmt: skip

    def test_a_ranker_that_beats_retrieval_is_kept(self) -> None:
        chosen = select(_trained(retrieval=0.30, ranker=0.31), min_gain=0.01)
        assert chosen.ranker is not None
        assert chosen.selection["ranker_kept"] is True

    def test_a_ranker_that_gains_less_than_the_minimum_is_dropped(self) -> None:
        chosen = select(_trained(retrieval=0.30, ranker=0.305), min_gain=0.01)
        assert chosen.ranker is None
        assert chosen.selection["ranker_kept"] is False


class TestRankerNegatives:
    def test_come_from_the_retrieval_top_and_skip_the_users_positives(self) -> None:
        n_rows = 41
        torch.manual_seed(0)
        table = {"id_rows": torch.arange(n_rows),
                 "creator_rows": torch.zeros(n_rows, dtype=torch.long),
                 "category_rows": torch.zeros(n_rows, dtype=torch.long),
                 "mood_rows": torch.zeros(n_rows, 1, dtype=torch.long),
                 "dense": torch.zeros(n_rows, 1), "text": torch.zeros(n_rows, 1)}  # fmt: skip
        sizes = {"n_users": 3, "n_ids": n_rows, "n_creators": 1, "n_categories": 1, "n_moods": 1}
        retrieval = builders.two_tower(table, **sizes, dim=4, hidden=[8], out_dim=4).eval()
        users, history = torch.tensor([1, 2]), torch.tensor([[3, 4], [5, 6]])
        weights = torch.ones(2, 2)
        with torch.no_grad():
            scores = (
                retrieval.user_vectors(users, history, weights)
                @ retrieval.post_vectors(torch.arange(1, n_rows)).T
            )
        top = (torch.topk(scores, 5).indices + 1).numpy()
        wanted = np.sort(pair_key(np.array([1, 1]), top[0, :2], n_rows))  # user 1 wanted two
        labels = PairLabels(np.zeros(0, np.int64), np.zeros((0, 4), np.float32),
                            np.zeros(0, np.float32), wanted)  # fmt: skip
        config = RankerConfig(rerank_depth=5)
        candidates = _Candidates(retrieval, labels, n_rows, config, torch.device("cpu"))
        chosen, usable = candidates.negatives(
            users, history, weights, 200, np.random.default_rng(0)
        )
        assert set(chosen[0].tolist()) == set(top[0].tolist())
        assert set(chosen[1].tolist()) == set(top[1].tolist())
        np.testing.assert_array_equal(usable[0], ~np.isin(chosen[0], top[0, :2]))
        assert usable[1].all()


class TestFitStages:
    def test_a_dropped_ranker_is_not_saved_and_not_served(self, tiny_data, tmp_path) -> None:
        # Blended this way the ranker turns the retrieval's top 10 upside down: validation must
        # switch it off.
        log, catalog = tiny_data
        config = tiny_config(epochs=2)
        config.blend = config.blend.model_validate(
            {"retrieval": -1.0, "view": 0.0, "like": 0.0, "inspire": 0.0, "high_rating": 0.0}
        )
        model = fit(log, catalog, config)
        assert model.ranker is None
        assert model.metrics["selection"]["ranker_kept"] is False
        folder = save_artifact(model, tmp_path, version="v1")
        assert not (folder / "ranker.pt").exists()
        assert load_artifact(folder).ranker is None

    def test_threads_are_honoured_during_fit_and_restored_after(self, tiny_data) -> None:
        log, catalog = tiny_data
        config = tiny_config(epochs=1)
        config.ranker.enabled = False
        config.threads = 1
        seen: list[int] = []

        class Recorder:
            def on_stage(self, stage: str, steps: int, epochs: int) -> None:
                seen.append(torch.get_num_threads())

            def on_step(self, stage: str, loss: float) -> None:
                seen.append(torch.get_num_threads())

            def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict) -> None:
                return None

        torch.set_num_threads(2)
        try:
            fit(log, catalog, config, observer=Recorder(), max_steps=2)
            assert seen
            assert set(seen) == {1}
            assert torch.get_num_threads() == 2
        finally:
            torch.set_num_threads(1)

    def test_different_seeds_train_different_models(self, tiny_data) -> None:
        log, catalog = tiny_data
        vectors = []
        for seed in (1, 2):
            config = tiny_config(epochs=1)
            config.ranker.enabled = False
            config.seed = seed
            vectors.append(fit(log, catalog, config, max_steps=2).post_vectors)
        assert not np.allclose(vectors[0], vectors[1])


@pytest.fixture(scope="module")
def held_out(tiny_data):
    """A model fitted on the first 80% of the log (fit holds out its own validation from
    that); the last 20% is a test period it never saw."""
    log, catalog = tiny_data
    train, test = temporal_split(log, 0.2)
    return train, test, catalog, fit(train, catalog, tiny_config(epochs=20))


def _ndcg_against_popularity(model, train, test) -> tuple[float, float, int]:
    """Test-period NDCG@10 of `model` and of popularity counted on `train`, and the user count."""
    users = validation_set(train, test, model.post_ids, model.pipeline.signals,
                           max_users=1000, seed=0)  # fmt: skip
    ours = evaluate_scores(model.score_all(users.user_ids, users.histories), model.post_ids,
                           users)  # fmt: skip
    scores = popularity_scores(train, model.post_ids, model.pipeline.signals, len(users))
    popular = evaluate_scores(scores, model.post_ids, users)
    return ours["ndcg@10"], popular["ndcg@10"], len(users)


class TestHeldOutQuality:
    def test_beats_popularity_on_a_period_fit_never_saw(self, held_out) -> None:
        train, test, catalog, model = held_out
        ours, popular, n_users = _ndcg_against_popularity(model, train, test)
        assert n_users > 10
        assert ours > popular

    @pytest.mark.parametrize(
        "two_tower",
        [
            {"history": "holdout", "epochs": 60, "patience": 60},
            {"full_softmax_up_to": 0, "epochs": 60, "patience": 60},  # holdout, sampled
            # dropout, weight decay and the weight average slow learning down: 20 set epochs of
            # this tiny log stayed at popularity's level, 40 (patience 10) pass it clearly
            {"full_softmax_up_to": 0, "sampled_holdout": False, "epochs": 40, "patience": 10},
        ],
        ids=["holdout-examples", "sampled-holdout", "set-sampled-softmax"],
    )
    def test_other_example_styles_and_losses_beat_popularity(self, tiny_data, two_tower) -> None:
        log, catalog = tiny_data
        train, test = temporal_split(log, 0.2)
        config = tiny_config(**{"epochs": 20, **two_tower})
        config.ranker.enabled = False
        model = fit(train, catalog, config)
        ours, popular, _ = _ndcg_against_popularity(model, train, test)
        assert ours > popular


class TestSequentialUserTower:
    def test_sasrec_trains_saves_and_loads_with_identical_scores(self, tiny_data, tmp_path) -> None:
        log, catalog = tiny_data
        config = tiny_config(epochs=1, user_encoder="sasrec", history="sequence", heads=2)
        config.ranker.enabled = False
        model = fit(log, catalog, config, max_steps=3)
        assert model.two_tower.sequence is not None
        users = np.array([1, 2, 424_242])
        histories = [log.select(log.user_ids == u) for u in users]
        before = model.score_all(users, histories)
        assert np.isfinite(before).all()
        loaded = load_artifact(save_artifact(model, tmp_path, version="s1"))
        np.testing.assert_allclose(loaded.score_all(users, histories), before, atol=1e-5)

    @pytest.mark.parametrize(
        "softmax", [{}, {"full_softmax_up_to": 0}], ids=["full-softmax", "sampled-softmax"]
    )
    def test_sasrec_beats_popularity_on_a_period_fit_never_saw(self, tiny_data, softmax) -> None:
        log, catalog = tiny_data
        train, test = temporal_split(log, 0.2)
        config = tiny_config(user_encoder="sasrec", heads=2, epochs=30, patience=10, **softmax)
        config.ranker.enabled = False
        model = fit(train, catalog, config)
        ours, popular, _ = _ndcg_against_popularity(model, train, test)
        assert ours > popular


def _catalog(texts: list[str]) -> PostCatalog:
    """A catalogue of these post texts, nothing else about the posts."""
    n = len(texts)
    return PostCatalog(post_ids=np.arange(n, dtype=np.int64), category_ids=np.ones(n, np.int64),
                       creators=["c"] * n, created_at=np.zeros(n, np.int64), texts=texts,
                       mood_terms=[[]] * n, counters={})  # fmt: skip


class TestText:
    def test_chunks_fill_one_array_in_catalogue_order(self, monkeypatch) -> None:
        from videorec.training import stages
        from videorec.training.config import TrainConfig
        from videorec.training.observer import SilentObserver

        monkeypatch.setattr(stages, "TEXT_CHUNK", 2)
        texts = [f"t{i}" for i in range(5)]
        catalog = _catalog(texts)
        calls: list[list[str]] = []

        def encode(chunk: list[str]) -> np.ndarray:
            calls.append(chunk)
            return np.array([[float(t[1:]), 1.0] for t in chunk], np.float32)

        out = stages._text(catalog, TrainConfig(), encode, SilentObserver())
        assert out is not None
        assert calls == [["t0", "t1"], ["t2", "t3"], ["t4"]]
        np.testing.assert_array_equal(out[:, 0], np.arange(5))
        assert out.dtype == np.float32

    def test_chunks_go_longest_first_and_land_on_their_own_rows(self, monkeypatch) -> None:
        from videorec.training import stages
        from videorec.training.config import TrainConfig
        from videorec.training.observer import SilentObserver

        monkeypatch.setattr(stages, "TEXT_CHUNK", 2)
        texts = ["calm", "calm sunset over a quiet ocean", "gym", "#a #b #c #d #e #f", "sea waves"]
        catalog = _catalog(texts)
        calls: list[list[str]] = []

        def encode(chunk: list[str]) -> np.ndarray:
            calls.append(chunk)
            return np.array([[float(texts.index(t)), 1.0] for t in chunk], np.float32)

        out = stages._text(catalog, TrainConfig(), encode, SilentObserver())
        assert out is not None
        # in tokens "#a #b ..." (14) outranks the sentence longer in characters (8)
        assert calls == [["#a #b #c #d #e #f", "calm sunset over a quiet ocean"],
                         ["sea waves", "calm"], ["gym"]]  # fmt: skip
        np.testing.assert_array_equal(out[:, 0], np.arange(5))

    def test_with_a_cache_only_what_it_lacks_is_ordered_and_encoded(self, monkeypatch) -> None:
        from videorec.features import text
        from videorec.training import stages
        from videorec.training.config import TrainConfig
        from videorec.training.observer import SilentObserver

        texts = ["calm", "gym", "sea waves", "calm"]
        catalog = _catalog(texts)
        encoded: list[list[str]] = []

        def fake_encode(chunk: list[str], **options: object) -> np.ndarray:
            encoded.append(list(chunk))
            return np.array([[float(len(t)), 1.0] for t in chunk], np.float32)

        ordered: list[list[str]] = []
        real_by_length = stages.by_length

        def spy_by_length(chunk: list[str]) -> np.ndarray:
            ordered.append(list(chunk))
            return real_by_length(chunk)

        monkeypatch.setattr(text, "encode", fake_encode)
        monkeypatch.setattr(stages, "by_length", spy_by_length)
        empty = text.EmbeddingCache()  # no texts yet, and still the one filled
        stages._text(catalog, TrainConfig(), empty, SilentObserver())
        assert len(empty) == 3
        cache = text.EmbeddingCache()
        cache.encode(["calm", "gym"])
        ordered.clear()
        encoded.clear()

        out = stages._text(catalog, TrainConfig(), cache, SilentObserver())
        assert out is not None
        assert ordered == [["sea waves"]]
        assert encoded == [["sea waves"]]
        np.testing.assert_array_equal(out[:, 0], [4, 3, 9, 4])

        ordered.clear()
        encoded.clear()
        again = stages._text(catalog, TrainConfig(), cache, SilentObserver())  # all cached
        assert ordered == []  # all cached: no tokenizer
        assert encoded == []
        np.testing.assert_array_equal(again, out)
