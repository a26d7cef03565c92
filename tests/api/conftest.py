"""Fixtures of the API tests."""

from __future__ import annotations

import pytest

from videorec.features.text import EmbeddingCache


@pytest.fixture(scope="session")
def text_cache() -> EmbeddingCache:
    """One in-memory cache for every test, so each text is encoded once per run."""
    return EmbeddingCache()
