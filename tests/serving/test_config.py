"""The feed's code defaults and the shipped `configs/serve/default.toml` are one source."""

from __future__ import annotations

import tomllib

from videorec.serving.config import DEFAULT_CONFIG, FeedConfig


def test_every_scalar_knob_in_the_shipped_toml_equals_the_code_default() -> None:
    """A deployment without the file must serve the knobs chosen on validation (page caps, MMR,
    exploration), not older ones left in the code."""
    with DEFAULT_CONFIG.open("rb") as handle:
        shipped = tomllib.load(handle)
    defaults = FeedConfig().model_dump()
    scalars = {k: v for k, v in shipped.items() if not isinstance(v, dict)}
    assert scalars, "the shipped toml sets no scalar knob"
    differ = {k: (v, defaults[k]) for k, v in scalars.items() if defaults[k] != v}
    assert differ == {}
