"""What the app's feed set-up wires: the mood encoder follows the catalogue's encoder."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from videorec.api.feed_setup import start_feed, stop_feed
from videorec.features import text, text_onnx
from videorec.features.text import DIM
from videorec.settings import Settings


def test_moods_run_on_the_exported_graph_where_bfloat16_is_not_native(
    tmp_path, monkeypatch
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", var_dir=tmp_path)
    folder = settings.embedding_cache.parent
    assert text_onnx.encoder_session(folder, 1) is not None  # as training leaves it
    monkeypatch.setattr(text, "native_bf16", lambda: False)
    monkeypatch.setattr(text, "load_encoder", lambda: pytest.fail("the PyTorch encoder loaded"))
    app = FastAPI()
    start_feed(app, settings, None, None)
    try:
        vectors = app.state.feed.registry.mood_encoder(["calm", "gym motivation"])
    finally:
        stop_feed(app)
    assert vectors.shape == (2, DIM)
    assert abs(float((vectors[0] * vectors[0]).sum()) - 1.0) < 1e-5
