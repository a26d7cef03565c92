"""A FAISS index wrapper for tests that count what a search reads."""

from __future__ import annotations

import numpy as np


class CountingIndex:
    """A FAISS index that counts the stored vectors read back (`reconstruct`)."""

    def __init__(self, index: object) -> None:
        self._index = index
        self.reconstructed = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)

    def reconstruct(self, key: int) -> np.ndarray:
        self.reconstructed += 1
        return self._index.reconstruct(key)  # type: ignore[attr-defined,no-any-return]
