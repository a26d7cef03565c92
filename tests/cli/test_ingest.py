"""`videorec sync`, `videorec stats` end to end against an in-process replay server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.ingestion.conftest import KEY, SAMPLE_COUNTS, SAMPLES, TOKEN
from videorec.cli import app
from videorec.ingestion.replay.app import create_replay_app
from videorec.ingestion.replay.data import load_folder
from videorec.ingestion.replay.server import ReplayServer
from videorec.settings import get_settings


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Settings for the CLI: a fresh SQLite file and the test secrets."""
    monkeypatch.setenv("VIDEOREC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("VIDEOREC_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FLIC_TOKEN", TOKEN)
    monkeypatch.setenv("VIDEOREC_RESONANCE_KEY", KEY)
    monkeypatch.setenv("VIDEOREC_SYNC_NICE", "0")  # in-process: never renice the test runner
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("VIDEOREC_API_BASE_URL", url)
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def replay_url():
    """A replay server of the real samples, shared by the module's tests."""
    if not SAMPLES.is_dir():
        pytest.skip("samples not available")
    app_ = create_replay_app(load_folder(SAMPLES), flic_token=TOKEN, resonance_key=KEY)
    with ReplayServer(app_) as server:
        yield server.url


class TestSyncCommand:
    def test_syncs_everything_and_prints_a_summary(self, cli_env, replay_url) -> None:
        point_at(cli_env, replay_url)
        result = CliRunner().invoke(app, ["sync"])
        assert result.exit_code == 0, result.output
        assert "sync summary" in result.output
        assert "5,534" in result.output
        stats = json.loads(CliRunner().invoke(app, ["stats", "--json"]).output)
        assert stats["users"] == SAMPLE_COUNTS["users"]
        assert stats["posts"] == SAMPLE_COUNTS["posts"]
        assert stats["interactions"] == {k: SAMPLE_COUNTS[k] for k in stats["interactions"]}
        assert stats["orphan_interactions"] == 4144
        assert set(stats["sync"]) == set(SAMPLE_COUNTS)

    def test_lowers_its_cpu_priority_by_the_setting(self, cli_env, replay_url) -> None:
        import videorec.cli.ingest as ingest

        asked: list[int] = []
        cli_env.setattr(ingest, "lower_priority", asked.append)
        point_at(cli_env, replay_url)
        cli_env.setenv("VIDEOREC_SYNC_NICE", "7")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["sync", "--only", "users"])
        assert result.exit_code == 0, result.output
        assert asked == [7]

    def test_only_syncs_the_named_resources(self, cli_env, replay_url) -> None:
        point_at(cli_env, replay_url)
        result = CliRunner().invoke(app, ["sync", "--only", "like,inspire"])
        assert result.exit_code == 0, result.output
        stats = json.loads(CliRunner().invoke(app, ["stats", "--json"]).output)
        assert (stats["users"], stats["interactions"]["view"]) == (0, 0)
        assert stats["interactions"]["like"] == 1234

    def test_a_rejected_token_exits_1_naming_the_setting(self, cli_env, replay_url):
        point_at(cli_env, replay_url)
        cli_env.setenv("FLIC_TOKEN", "wrong")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["sync"])
        assert result.exit_code == 1
        assert "FLIC_TOKEN" in result.output
        assert "wrong" not in result.output

    def test_an_unreachable_upstream_exits_1(self, cli_env) -> None:
        point_at(cli_env, "http://127.0.0.1:9")  # discard port: nothing listens
        result = CliRunner().invoke(app, ["sync", "--only", "view", "--attempts", "1"])
        assert result.exit_code == 1
        assert "reachable" in result.output

    def test_a_missing_key_exits_1_before_any_request(self, cli_env) -> None:
        cli_env.delenv("VIDEOREC_RESONANCE_KEY")
        point_at(cli_env, "http://127.0.0.1:9")
        result = CliRunner().invoke(app, ["sync", "--only", "rating"])
        assert result.exit_code == 1
        assert "VIDEOREC_RESONANCE_KEY" in result.output

    def test_refuses_an_unknown_resource(self, cli_env) -> None:
        result = CliRunner().invoke(app, ["sync", "--only", "views"])
        assert result.exit_code == 2
        assert "unknown resource" in result.output


class TestStatsCommand:
    def test_reports_an_empty_database(self, cli_env) -> None:
        assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0  # `stats` makes none
        result = CliRunner().invoke(app, ["stats"])
        assert result.exit_code == 0, result.output
        assert "orphan interactions" in result.output
        assert "quarantined items" in result.output
