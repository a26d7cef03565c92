"""Migrations: upgrade, downgrade and re-upgrade on both backends; the ORM matches the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from tests.conftest import PostgresFactory, fresh_database_url
from videorec.kit.db import make_engine
from videorec.storage import migrate, tables  # noqa: F401
from videorec.storage.base import Base

EXPECTED_TABLES = {
    "users",
    "categories",
    "topics",
    "posts",
    "interactions",
    "quarantined_items",
    "sync_state",
    "model_versions",
    "feed_sessions",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request, tmp_path: Path, postgres_factory: PostgresFactory):
    engine = make_engine(fresh_database_url(request.param, tmp_path, postgres_factory))
    yield engine
    engine.dispose()


class TestMigrations:
    def test_upgrade_creates_every_table(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        assert EXPECTED_TABLES <= set(inspect(fresh_engine).get_table_names())

    def test_downgrade_to_base_removes_every_table(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        migrate.downgrade(fresh_engine, "base")
        assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
        assert migrate.current(fresh_engine) is None

    def test_upgrade_after_downgrade_works_again(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        migrate.downgrade(fresh_engine, "base")
        migrate.upgrade(fresh_engine)
        assert EXPECTED_TABLES <= set(inspect(fresh_engine).get_table_names())

    def test_orm_models_match_migrated_schema(self, fresh_engine: Engine) -> None:
        migrate.upgrade(fresh_engine)
        with fresh_engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
