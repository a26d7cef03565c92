"""`videorec up`'s preparation: demo data through the replay path, once."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from videorec.bootstrap import prepare
from videorec.datagen import GeneratorConfig
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.settings import Settings
from videorec.storage.tables import Interaction, Post, User

TINY = GeneratorConfig(users=60, posts=80, interactions=1_500, seed=7)


def _counts(engine) -> tuple[int, int, int]:
    with make_sessionmaker(engine)() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table))
            for table in (User, Post, Interaction)
        )


def test_empty_database_gets_demo_data_once(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", var_dir=tmp_path / "var")
    engine = make_engine(settings.database_url)
    console = Console(file=io.StringIO())
    prepare(settings, engine, console, demo=TINY)
    users, posts, interactions = _counts(engine)
    assert (users, posts) == (60, 80)
    assert interactions > 500
    served = settings.var_dir / "demo" / "posts.json"
    stamp = served.stat().st_mtime_ns

    prepare(settings, engine, console, demo=TINY)
    assert _counts(engine) == (users, posts, interactions)
    assert served.stat().st_mtime_ns == stamp
    assert "skipping demo data" in console.file.getvalue()  # type: ignore[attr-defined]
    engine.dispose()
