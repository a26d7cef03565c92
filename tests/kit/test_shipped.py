"""The shipped config files are found from any working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from videorec.kit.shipped import CHECKOUT, shipped

TRAIN = Path("configs/train/default.toml")
ROOT = Path(__file__).resolve().parents[2]


def test_the_checkout_is_this_repository() -> None:
    assert CHECKOUT == ROOT


def test_from_another_directory_the_checkouts_file_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert shipped(TRAIN) == ROOT / TRAIN


def test_the_working_directorys_own_file_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / TRAIN
    own.parent.mkdir(parents=True)
    own.write_text("seed = 7\n")
    monkeypatch.chdir(tmp_path)
    assert shipped(TRAIN) == Path.cwd() / TRAIN


def test_a_file_neither_has_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert shipped(Path("configs/train/nothing-here.toml")) is None
