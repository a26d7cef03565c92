"""`videorec train`, `videorec models list|activate` end to end on a small SQLite database."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.factories import create_category, create_interaction, create_post
from videorec.cli import app
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.serving.extras import load_extras
from videorec.settings import get_settings
from videorec.storage import migrate
from videorec.storage.repositories import model_versions

TINY = """
seed = 3
threads = 1
[split]
validation_fraction = 0.2
[features]
history_length = 8
use_text = false
[two_tower]
dim = 8
hidden = [16]
out_dim = 8
batch_size = 64
epochs = 2
learning_rate = 0.02
[ranker]
dim = 4
hidden = [8]
batch_size = 60
epochs = 1
rerank_depth = 5
"""


@pytest.fixture
def small_db(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """A migrated SQLite file with 2 categories, 30 posts and ~400 interactions of 40 users."""
    url = f"sqlite:///{tmp_path / 'train.db'}"
    monkeypatch.setenv("VIDEOREC_DATABASE_URL", url)
    monkeypatch.setenv("VIDEOREC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = np.random.default_rng(0)
    start = datetime(2025, 1, 1)
    with make_sessionmaker(engine).begin() as session:
        categories = [create_category(session, id=i, name=f"c{i}") for i in (1, 2)]
        summary = [None, {}, {"description": "calm"}, {"keywords": [{"keyword": "gym"}]}]
        for pid in range(30):
            moods = ["calm"] if pid % 3 else []
            create_post(session, id=1000 + pid, category=categories[pid % 2],
                        post_summary=summary[pid % 4], mood_terms=moods)  # fmt: skip
        for n in range(400):
            user = int(rng.integers(0, 40))
            post = 1000 + int(rng.choice(np.arange(user % 2, 30, 2)))
            kind = "rating" if n % 5 == 0 else "view"
            create_interaction(session, user_id=user, post_id=post, kind=kind,
                               rating=80 if kind == "rating" else None,
                               occurred_at=start + timedelta(hours=n))  # fmt: skip
    (tmp_path / "tiny.toml").write_text(TINY)
    yield tmp_path, engine
    engine.dispose()
    get_settings.cache_clear()


class TestTrainCommand:
    def test_trains_saves_registers_and_lists(self, small_db) -> None:
        tmp_path, engine = small_db
        runner = CliRunner()
        result = runner.invoke(app, ["train", "--config", str(tmp_path / "tiny.toml"), "--force"])
        assert result.exit_code == 0, result.output
        assert "popularity" in result.output
        with make_sessionmaker(engine)() as session:
            rows = model_versions.list_all(session)
            assert len(rows) == 1
            assert rows[0].is_active
            version = rows[0].version
        folder = tmp_path / "var" / "models" / version
        assert (folder / "index.faiss").exists()
        extras = load_extras(folder)  # the feed's neighbour lists and learned weights
        assert extras is not None
        assert set(extras.neighbours) == {"ease", "rp3beta", "item_knn"}
        assert "model" in extras.weights
        assert any(key.startswith("cold.") for key in extras.weights)
        listed = runner.invoke(app, ["models", "list"])
        assert version in listed.output
        activated = runner.invoke(app, ["models", "activate", version])
        assert activated.exit_code == 0, activated.output

    def test_serving_extras_off_trains_a_servable_model_without_them(self, small_db) -> None:
        tmp_path, engine = small_db
        config = tmp_path / "no-extras.toml"
        config.write_text(TINY + "[serving_extras]\nenabled = false\n")
        result = CliRunner().invoke(app, ["train", "--config", str(config), "--force"])
        assert result.exit_code == 0, result.output
        with make_sessionmaker(engine)() as session:
            (row,) = model_versions.list_all(session)
        folder = tmp_path / "var" / "models" / row.version
        assert (folder / "index.faiss").exists()
        assert (folder / "post_vectors.npy").exists()
        assert load_extras(folder) is None  # the feed serves the config's weights
        assert "serving" not in row.metrics

    def test_activating_an_unknown_version_fails(self, small_db) -> None:
        result = CliRunner().invoke(app, ["models", "activate", "nope"])
        assert result.exit_code != 0


def test_a_missing_feed_config_stops_train_before_any_training(
    small_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The serving extras read the feed config after the fit: a bad file there used to cost
    the whole training (and its model) before it was named."""
    tmp_path, _ = small_db
    monkeypatch.setenv("VIDEOREC_FEED_CONFIG", str(tmp_path / "typo.toml"))
    get_settings.cache_clear()

    def fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr("videorec.training.service.fit", fit)
    result = CliRunner().invoke(app, ["train", "--config", str(tmp_path / "tiny.toml")])
    assert result.exit_code != 0
    assert "typo.toml" in str(result.exception)
    get_settings.cache_clear()


def test_an_unknown_device_is_said_before_the_data_is_loaded(
    small_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path, _ = small_db

    def load(*args: object, **kwargs: object) -> None:
        raise AssertionError("the interactions were loaded first")

    monkeypatch.setattr("videorec.training.service.logs.load_interactions", load)
    result = CliRunner().invoke(app, ["train", "--device", "gpu", "--force"])
    assert result.exit_code != 0
    assert "unknown device 'gpu'" in str(result.exception)


class TestNeighbourListsBesideTraining:
    """`training.service` fits the serving extras' neighbour lists in a forked child while the
    model trains: the same lists and weights as fitted after it, and no child outlives a fit."""

    def _train(self, tmp_path, monkeypatch, *, beside: bool):
        import os

        from videorec.kit import cpu
        from videorec.training import lists_beside

        real = lists_beside.neighbour_lists
        pids = tmp_path / f"pids-{beside}"

        def recorded(*args, **kwargs):
            with pids.open("a") as out:
                out.write(f"{os.getpid()}\n")
            return real(*args, **kwargs)

        monkeypatch.setattr(lists_beside, "neighbour_lists", recorded)
        monkeypatch.setattr(cpu, "cores", lambda: 2 if beside else 1)
        result = CliRunner().invoke(app, ["train", "--config", str(tmp_path / "tiny.toml")])
        assert result.exit_code == 0, result.output
        version = result.output.split("model ")[-1].split()[0]
        ran_in = [int(p) for p in pids.read_text().split()] if pids.exists() else []
        return load_extras(tmp_path / "var" / "models" / version), ran_in

    def test_lists_fitted_beside_training_equal_those_fitted_after_it(
        self, small_db, monkeypatch
    ) -> None:
        import os

        tmp_path, _ = small_db
        after, after_pids = self._train(tmp_path, monkeypatch, beside=False)
        beside, beside_pids = self._train(tmp_path, monkeypatch, beside=True)
        assert after_pids == []  # one core: fitted after the model, here (not through the job)
        assert len(beside_pids) == 1
        assert beside_pids[0] != os.getpid()
        assert after is not None
        assert beside is not None
        assert set(beside.neighbours) == set(after.neighbours) == {"ease", "rp3beta", "item_knn"}
        for name, matrix in after.neighbours.items():
            assert (beside.neighbours[name] != matrix).nnz == 0, name
        assert beside.weights == after.weights
        assert beside.info["lists"] == after.info["lists"]

    def test_a_failed_fit_leaves_no_child_behind(self, small_db, monkeypatch) -> None:
        from videorec.kit import cpu
        from videorec.training import forked, lists_beside, service

        started: list[forked.Forked] = []
        real_start = forked.start

        def keep(*args, **kwargs):
            started.append(real_start(*args, **kwargs))
            return started[-1]

        def broken(*args, observer, **kwargs):
            observer.on_stage("two_tower", 1, 1)  # training starts: so does the lists' child
            raise RuntimeError("the model failed")

        def slow(*args, **kwargs):
            time.sleep(60)  # still running when the fit fails

        monkeypatch.setattr(lists_beside, "neighbour_lists", slow)
        monkeypatch.setattr(forked, "start", keep)
        monkeypatch.setattr(cpu, "cores", lambda: 2)
        monkeypatch.setattr(service, "fit", broken)
        tmp_path, _ = small_db
        result = CliRunner().invoke(app, ["train", "--config", str(tmp_path / "tiny.toml")])
        assert isinstance(result.exception, RuntimeError)
        assert len(started) == 1
        assert not started[0].process.is_alive()

    def test_a_failed_child_leaves_the_lists_to_this_process(self, small_db, monkeypatch) -> None:
        import os

        from videorec.kit import cpu
        from videorec.training import lists_beside

        def dies(*args, **kwargs):
            os._exit(9)  # as the OOM killer would end it

        monkeypatch.setattr(lists_beside, "neighbour_lists", dies)
        monkeypatch.setattr(cpu, "cores", lambda: 2)
        tmp_path, _ = small_db
        result = CliRunner().invoke(app, ["train", "--config", str(tmp_path / "tiny.toml")])
        assert result.exit_code == 0, result.output
        version = result.output.split("model ")[-1].split()[0]
        extras = load_extras(tmp_path / "var" / "models" / version)
        assert extras is not None
        assert set(extras.neighbours) == {"ease", "rp3beta", "item_knn"}


def test_the_lists_child_waits_for_the_text_encoding_to_end(monkeypatch) -> None:
    """The first-time text encoding sizes its threads by the idle cores: the child must not
    take one then."""
    from videorec.kit import cpu
    from videorec.training import forked, lists_beside
    from videorec.training.config import TrainConfig
    from videorec.training.observer import SilentObserver
    from videorec.training.stages import TEXT_STAGE

    monkeypatch.setattr(cpu, "cores", lambda: 2)
    monkeypatch.setattr(forked, "start", lambda *args, **kwargs: "started")
    lists = lists_beside.ListsBeside(None, None, None, TrainConfig())  # type: ignore[arg-type]
    observer = lists.watching(SilentObserver())
    observer.on_stage(TEXT_STAGE, 3, 1)
    observer.on_step(TEXT_STAGE, float("nan"))
    assert lists.job is None
    observer.on_stage("two_tower 1/2", 20, 40)
    assert lists.job == "started"
