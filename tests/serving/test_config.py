"""The feed's code defaults and the shipped `configs/serve/default.toml` are one source; a
config file named by the operator must be readable."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from videorec.errors import ConfigurationError
from videorec.serving.config import BLEND_NAMES, DEFAULT_CONFIG, FeedConfig, load_feed_config
from videorec.settings import Settings


def test_every_scalar_knob_in_the_shipped_toml_equals_the_code_default() -> None:
    """A deployment without the file must serve the knobs chosen on validation (page caps, MMR,
    exploration), not older ones left in the code."""
    with (Path(__file__).resolve().parents[2] / DEFAULT_CONFIG).open("rb") as handle:
        shipped = tomllib.load(handle)
    defaults = FeedConfig().model_dump()
    scalars = {k: v for k, v in shipped.items() if not isinstance(v, dict)}
    assert scalars, "the shipped toml sets no scalar knob"
    differ = {k: (v, defaults[k]) for k, v in scalars.items() if defaults[k] != v}
    assert differ == {}


def test_a_named_file_that_is_missing_is_an_error_naming_it(tmp_path: Path) -> None:
    """A typo in `VIDEOREC_FEED_CONFIG` used to serve the built-in defaults without a word."""
    missing = tmp_path / "serve.toml"
    with pytest.raises(ConfigurationError, match="serve.toml"):
        load_feed_config(missing)


def test_a_named_file_with_a_bad_value_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "serve.toml"
    path.write_text("default_page_size = 0\n")
    with pytest.raises(ConfigurationError, match="default_page_size"):
        load_feed_config(path)


def test_a_named_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "serve.toml"
    path.write_text("default_page_size = 7\n")
    assert load_feed_config(path).default_page_size == 7


def test_unset_reads_the_shipped_file_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings name no file by default, and the shipped one is found from elsewhere: a
    changed knob in it (the page size: in the checkout's file, then in a copy in the working
    directory) is what the server reads. The shipped file equals the code defaults, so only a
    changed knob shows which file was read."""
    monkeypatch.delenv("VIDEOREC_FEED_CONFIG", raising=False)
    assert Settings(_env_file=None).feed_config is None
    monkeypatch.chdir(tmp_path)
    assert load_feed_config(None) == load_feed_config(
        Path(__file__).resolve().parents[2] / DEFAULT_CONFIG
    )
    checkout = tmp_path / "checkout"
    (checkout / DEFAULT_CONFIG).parent.mkdir(parents=True)
    (checkout / DEFAULT_CONFIG).write_text("default_page_size = 11\n")
    monkeypatch.setattr("videorec.kit.shipped.CHECKOUT", checkout)
    assert load_feed_config(None).default_page_size == 11  # found in the checkout
    own = tmp_path / DEFAULT_CONFIG
    own.parent.mkdir(parents=True)
    own.write_text("default_page_size = 9\n")
    assert load_feed_config(None).default_page_size == 9


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("max_per_creater = 3\n", "max_per_creater"),  # a typo of a knob
        ("[source_weight]\ntrending = 5.0\n", "source_weight"),  # of a table
        ('exclude_kinds = ["veiw"]\n', "veiw"),  # of a kind: it excluded nothing
        ("[source_weights]\ntrendng = 5.0\n", "trendng"),  # of a source: it weighed nothing
        ("[cold_weights]\nmoods = 3.0\n", "moods"),
    ],
)
def test_an_unknown_key_or_name_is_an_error_naming_it(
    tmp_path: Path, toml: str, named: str
) -> None:
    """These were read without a word and served the defaults (or dropped the name)."""
    path = tmp_path / "serve.toml"
    path.write_text(toml)
    with pytest.raises(ConfigurationError, match=named):
        load_feed_config(path)


def test_the_names_a_weight_may_take_are_the_sources_the_model_and_popularity() -> None:
    from videorec.serving.candidates import default_sources

    sources = {source.name for source in default_sources()}
    assert BLEND_NAMES == sources | {"model", "popularity"}
