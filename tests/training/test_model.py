"""`LoadedModel` from `fit`: the FeedModel contract, unknown inputs, artifact round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from videorec.errors import InvalidInput
from videorec.features.log import InteractionLog
from videorec.serving.scorer import FeedModel
from videorec.training import fit, load_artifact, save_artifact, split_by_user
from videorec.training.fit import device_for


def _histories(log: InteractionLog, users: list[int]) -> list[InteractionLog]:
    by_user = split_by_user(log)
    return [by_user.get(u, InteractionLog.empty()) for u in users]


class TestLoadedModel:
    def test_satisfies_the_feed_contract(self, trained, tiny_data) -> None:
        model: FeedModel = trained
        log, catalog = tiny_data
        history = _histories(log, [1])[0]
        assert model.post_vectors.shape == (len(catalog), 8)
        assert model.user_vector(1, history).shape == (8,)
        ids, sims = model.retrieve(1, history, 5)
        assert ids.shape == sims.shape == (5,)
        assert np.all(np.diff(sims) <= 1e-6)
        assert set(ids.tolist()) <= set(catalog.post_ids.tolist())
        assert model.score(1, history, ids).shape == (5,)

    def test_unknown_users_and_posts_and_empty_history_are_scored(self, trained) -> None:
        scores = trained.score(None, InteractionLog.empty(), np.array([999_999, 1_000]))
        assert scores.shape == (2,)
        assert np.isfinite(scores).all()
        ids, _ = trained.retrieve(123_456, InteractionLog.empty(), 3)
        assert ids.shape == (3,)

    def test_precomputed_post_vectors_equal_the_post_tower(self, trained, tiny_data) -> None:
        _, catalog = tiny_data
        ids = np.concatenate([catalog.post_ids[:20], [999_999]])  # one post the model never saw
        rows = trained.table.rows_of(ids)
        with torch.no_grad():
            tower = trained.two_tower.post_vectors(torch.from_numpy(rows)).numpy()
        assert np.allclose(trained._post_vectors_of(rows), tower, atol=1e-5)

    def test_frozen_encoders_score_like_the_live_ones(self, trained, tiny_data) -> None:
        log, catalog = tiny_data
        history = _histories(log, [3])[0]
        ids = np.concatenate([catalog.post_ids[:30], [999_999]])
        trained._last_user = None
        frozen = trained.score(3, history, ids)
        encoders = [trained.two_tower.encoder]
        if trained.ranker is not None:  # validation may have dropped it
            encoders.append(trained.ranker.encoder)
        for encoder in encoders:
            encoder.train()  # drops the precomputed encodings
            encoder.eval()
        assert all(encoder._frozen is None for encoder in encoders)
        trained._last_user = None
        live = trained.score(3, history, ids)
        trained._freeze_encoders()
        assert np.allclose(frozen, live, atol=1e-5)

    def test_remembered_user_vector_follows_a_changed_history(self, trained, tiny_data) -> None:
        log, _ = tiny_data
        history = _histories(log, [1])[0]
        shorter = history.select(np.arange(len(history)) < len(history) // 2)
        first = trained.user_vector(1, history).copy()
        assert np.allclose(trained.user_vector(1, history), first)
        assert not np.allclose(trained.user_vector(1, shorter), first)

    def test_score_all_ranks_the_whole_catalogue(self, trained, tiny_data) -> None:
        log, catalog = tiny_data
        scores = trained.score_all(np.array([1, 2, 77_777]), _histories(log, [1, 2, 77_777]))
        assert scores.shape == (3, len(catalog))
        assert np.isfinite(scores).all()

    def test_beats_popularity_on_planted_tastes(self, trained) -> None:
        metrics = trained.metrics
        assert metrics["model"]["ndcg@10"] > metrics["popularity"]["ndcg@10"]


class TestArtifact:
    def test_round_trip_gives_identical_scores(self, trained, tiny_data, tmp_path) -> None:
        log, _ = tiny_data
        users = [1, 2, 3, 424_242]
        histories = _histories(log, users)
        before = trained.score_all(np.array(users), histories)
        folder = save_artifact(trained, tmp_path, version="v1")
        loaded = load_artifact(folder)
        assert loaded.version == "v1"
        np.testing.assert_array_equal(loaded.post_ids, trained.post_ids)
        np.testing.assert_array_equal(loaded.post_vectors, trained.post_vectors)
        np.testing.assert_array_equal(loaded.score_all(np.array(users), histories), before)
        np.testing.assert_array_equal(
            loaded.retrieve(1, histories[0], 5)[0], trained.retrieve(1, histories[0], 5)[0]
        )

    def test_stored_encodings_load_without_recomputing_them(
        self, trained, tiny_data, tmp_path, monkeypatch
    ) -> None:
        import shutil

        from videorec.models.layers import PostEncoder

        log, _ = tiny_data
        users = [1, 2, 424_242]
        histories = _histories(log, users)
        before = trained.score_all(np.array(users), histories)
        folder = save_artifact(trained, tmp_path, version="v2")
        kept = {"two_tower.npy"} | ({"ranker.npy"} if trained.ranker is not None else set())
        assert {p.name for p in (folder / "encodings").iterdir()} == kept
        with monkeypatch.context() as patched:
            patched.setattr(PostEncoder, "freeze", lambda *_a, **_k: pytest.fail("recomputed"))
            loaded = load_artifact(folder)
        np.testing.assert_array_equal(loaded.score_all(np.array(users), histories), before)
        shutil.rmtree(folder / "encodings")  # an artifact saved before encodings were stored
        older = load_artifact(folder)
        np.testing.assert_array_equal(older.score_all(np.array(users), histories), before)

    def test_missing_artifact_is_a_clear_error(self, tmp_path) -> None:
        from videorec.errors import NotFound

        with pytest.raises(NotFound):
            load_artifact(tmp_path / "nope")


class TestFit:
    def test_is_deterministic_for_a_seed(self, tiny_data) -> None:
        from tests.training.conftest import tiny_config

        log, catalog = tiny_data
        config = tiny_config(epochs=1)
        config.ranker.enabled = False
        first = fit(log, catalog, config, max_steps=3)
        second = fit(log, catalog, config, max_steps=3)
        np.testing.assert_array_equal(first.post_vectors, second.post_vectors)

    def test_refuses_an_empty_log(self, tiny_data) -> None:
        with pytest.raises(InvalidInput):
            fit(InteractionLog.empty(), tiny_data[1])

    def test_cuda_without_a_gpu_is_a_clear_error(self) -> None:
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
        with pytest.raises(InvalidInput):
            device_for("cuda")


class TestRetrieve:
    def test_a_served_model_reads_m_squared_once(self, trained) -> None:
        from tests.kit.counting import CountingIndex
        from videorec.training.config import IndexConfig
        from videorec.training.model import LoadedModel, build_index

        index = CountingIndex(build_index(trained.post_vectors, IndexConfig(hnsw_above=10)))
        model = LoadedModel(
            version="counted", config=trained.config, pipeline=trained.pipeline,
            table=trained.table, two_tower=trained.two_tower, ranker=None, index=index,
            post_vectors=trained.post_vectors,
        )  # fmt: skip
        for user in (None, 1, 2, 3, 4):
            model.retrieve(user, InteractionLog.empty(), 10)
        assert index.reconstructed <= 1


class TestHistoryIds:
    """`two_tower.history_ids`: the user tower's own post id table, trained, saved and loaded."""

    def test_the_option_builds_trains_and_round_trips(self, tiny_data, tmp_path) -> None:
        from tests.training.conftest import tiny_config

        log, catalog = tiny_data
        torch.set_num_threads(1)
        model = fit(log, catalog, tiny_config(history_ids=True, epochs=2))
        table = model.two_tower.history_ids
        assert table is not None
        assert table.weight.std().item() > 0.011  # trained away from N(0, 0.01^2)
        users = [1, 2, 424_242]
        histories = _histories(log, users)
        folder = save_artifact(model, tmp_path, version="v-ids")
        loaded = load_artifact(folder)
        assert loaded.two_tower.history_ids is not None
        np.testing.assert_array_equal(
            loaded.score_all(np.array(users), histories),
            model.score_all(np.array(users), histories),
        )

    def test_an_artifact_from_before_the_option_loads_without_the_table(
        self, tiny_data, tmp_path
    ) -> None:
        import json

        from tests.training.conftest import tiny_config

        log, catalog = tiny_data
        torch.set_num_threads(1)
        older = fit(log, catalog, tiny_config(history_ids=False, epochs=1))
        users = [1, 2, 424_242]
        histories = _histories(log, users)
        folder = save_artifact(older, tmp_path, version="v-old")
        doc = json.loads((folder / "config.json").read_text())
        del doc["train"]["two_tower"]["history_ids"]  # config.json as written before the option
        (folder / "config.json").write_text(json.dumps(doc))
        loaded = load_artifact(folder)
        assert loaded.two_tower.history_ids is None
        np.testing.assert_array_equal(
            loaded.score_all(np.array(users), histories),
            older.score_all(np.array(users), histories),
        )


class TestPostBias:
    """`two_tower.post_bias`: trained, served by the index and the short-history tower alike,
    saved and loaded; an artifact from before the option loads without it."""

    def test_the_option_trains_serves_and_round_trips(self, tiny_data, tmp_path) -> None:
        from tests.training.conftest import tiny_config

        log, catalog = tiny_data
        torch.set_num_threads(1)
        model = fit(log, catalog, tiny_config(post_bias=True, epochs=2))
        bias = model.two_tower.post_bias
        assert bias is not None
        assert bias.weight.abs().max().item() > 0  # trained away from zero
        assert model.post_vectors.shape[1] == 8 + 1
        users = [1, 2, 424_242]
        histories = _histories(log, users)
        vectors = model.user_vectors(users, histories)
        np.testing.assert_allclose(vectors[:, -1], 1.0)  # short-history tower included
        ids, scores = model.retrieve(1, histories[0], 5)
        rows = np.searchsorted(model.post_ids, ids)
        np.testing.assert_allclose(scores, model.post_vectors[rows] @ vectors[0], rtol=1e-5)
        loaded = load_artifact(save_artifact(model, tmp_path, version="v-bias"))
        assert loaded.two_tower.post_bias is not None
        np.testing.assert_array_equal(
            loaded.score_all(np.array(users), histories),
            model.score_all(np.array(users), histories),
        )

    def test_an_artifact_from_before_the_option_loads_without_it(self, tiny_data, tmp_path) -> None:
        import json

        from tests.training.conftest import tiny_config

        log, catalog = tiny_data
        torch.set_num_threads(1)
        older = fit(log, catalog, tiny_config(epochs=1))
        folder = save_artifact(older, tmp_path, version="v-old-bias")
        doc = json.loads((folder / "config.json").read_text())
        del doc["train"]["two_tower"]["post_bias"]  # config.json as written before the option
        (folder / "config.json").write_text(json.dumps(doc))
        assert load_artifact(folder).two_tower.post_bias is None
