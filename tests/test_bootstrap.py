"""`videorec up`'s preparation: demo data through the replay path and a model, each once."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from videorec.bootstrap import prepare
from videorec.datagen import GeneratorConfig
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.settings import Settings
from videorec.storage.tables import Interaction, ModelVersion, Post, User
from videorec.training.config import TrainConfig

TINY_DATA = GeneratorConfig(users=60, posts=80, interactions=1_500, seed=7)
TINY_TRAINING = TrainConfig.model_validate(
    {
        "seed": 3,
        "threads": 1,
        "features": {"history_length": 8, "use_text": False},
        "two_tower": {"dim": 8, "hidden": [16], "out_dim": 8, "batch_size": 64, "epochs": 1},
        "ranker": {"dim": 4, "hidden": [8], "batch_size": 64, "epochs": 1, "rerank_depth": 5},
    }
)


def _counts(engine) -> tuple[int, ...]:
    with make_sessionmaker(engine)() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (User, Post, Interaction, ModelVersion)
        )


def test_demo_data_and_model_are_made_once(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", var_dir=tmp_path / "var")
    engine = make_engine(settings.database_url)
    console = Console(file=io.StringIO())
    prepare(settings, engine, console, demo=TINY_DATA, training=TINY_TRAINING)
    users, posts, interactions, models = _counts(engine)
    assert (users, posts, models) == (60, 80, 1)
    assert interactions > 500
    served = settings.var_dir / "demo" / "posts.json"
    stamp = served.stat().st_mtime_ns

    prepare(settings, engine, console, demo=TINY_DATA, training=TINY_TRAINING)
    assert _counts(engine) == (users, posts, interactions, 1)
    assert served.stat().st_mtime_ns == stamp
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "skipping demo data" in output
    assert "not retraining" in output
    engine.dispose()
