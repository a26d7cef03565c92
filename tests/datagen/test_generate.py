"""`generate` is deterministic, validates its config, and records what it generated."""

from __future__ import annotations

import pytest

from videorec.datagen import (
    GeneratorConfig,
    ensure_generated,
    generate,
    is_generated,
    kind_counts,
)
from videorec.errors import InvalidInput

SMALL = GeneratorConfig(users=200, posts=300, interactions=3_000, seed=3)


def _bytes(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


class TestDeterminism:
    def test_same_config_writes_byte_identical_files(self, tmp_path) -> None:
        generate(SMALL, tmp_path / "a")
        generate(SMALL, tmp_path / "b")
        first, second = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
        assert len(first) == 8
        assert first == second

    def test_another_seed_writes_other_files(self, tmp_path) -> None:
        generate(SMALL, tmp_path / "a")
        generate(GeneratorConfig(users=200, posts=300, interactions=3_000, seed=4), tmp_path / "b")
        assert _bytes(tmp_path / "a")["view.json"] != _bytes(tmp_path / "b")["view.json"]


class TestConfig:
    def test_kind_counts_split_the_total_exactly(self) -> None:
        counts = kind_counts(200_000)
        assert sum(counts.values()) == 200_000
        assert counts["view"] > counts["rating"] > counts["like"] > counts["inspire"]

    def test_more_interactions_than_pairs_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            GeneratorConfig(users=10, posts=30, interactions=1_000)

    def test_is_generated_recognises_its_own_config_only(self, tmp_path) -> None:
        assert not is_generated(tmp_path, SMALL)
        paths = generate(SMALL, tmp_path)
        assert is_generated(tmp_path, SMALL)
        assert not is_generated(tmp_path, GeneratorConfig(users=200, posts=300, interactions=3_000))
        assert set(paths.served) == {"users", "posts", "view", "like", "inspire", "rating"}

    def test_ensure_generated_generates_once_then_keeps_the_files(self, tmp_path) -> None:
        paths, made = ensure_generated(tmp_path, SMALL)
        stamp = paths.view.stat().st_mtime_ns
        again, made_again = ensure_generated(tmp_path, SMALL)
        assert (made, made_again) == (True, False)
        assert again.view.stat().st_mtime_ns == stamp

    def test_a_few_hundred_interactions_still_fill_every_log(self, tmp_path) -> None:
        paths = generate(GeneratorConfig(users=50, posts=60, interactions=300, seed=1), tmp_path)
        for path in paths.served.values():
            assert path.read_text().startswith("[\n{")
