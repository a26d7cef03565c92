"""The activation rule and the 'is the newest model current' check of the train service."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.factories import create_interaction
from videorec.storage.repositories import model_versions
from videorec.training.service import newest_is_current, should_activate


def _metrics(model: float, popularity: float) -> dict:
    return {"model": {"ndcg@10": model}, "popularity": {"ndcg@10": popularity}}


class TestShouldActivate:
    def test_model_better_than_popularity_is_activated(self) -> None:
        assert should_activate(_metrics(0.3, 0.1))

    def test_model_worse_than_popularity_is_not_activated(self) -> None:
        assert not should_activate(_metrics(0.1, 0.3))

    def test_a_tie_is_not_activated(self) -> None:
        assert not should_activate(_metrics(0.2, 0.2))

    def test_force_activates_a_worse_model(self) -> None:
        assert should_activate(_metrics(0.1, 0.3), force=True)


class TestNewestIsCurrent:
    def test_no_model_is_not_current(self, engine: Engine) -> None:
        assert not newest_is_current(engine)

    def test_model_trained_on_the_stored_count_is_current(self, tmp_path) -> None:
        from videorec.kit.db import make_engine, make_sessionmaker
        from videorec.storage import migrate

        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        migrate.upgrade(engine)
        with make_sessionmaker(engine).begin() as session:
            create_interaction(session, user_id=1, post_id=2)
            metrics = {"trained_on": {"interactions": 1}}
            model_versions.register(session, version="v1", path="p", metrics=metrics, config={})
        assert newest_is_current(engine)
        with make_sessionmaker(engine).begin() as session:
            create_interaction(session, user_id=1, post_id=3)
        assert not newest_is_current(engine)
        engine.dispose()
