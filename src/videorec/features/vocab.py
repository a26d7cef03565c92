"""Stable id <-> row index maps with an out-of-vocabulary bucket at row 0.

Fitted on training data only and saved inside the model artifact, so an id the model never saw
(a new user, post, creator, category or mood word) maps to row 0 at serving instead of failing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

OOV = 0
"""Row of every unknown key."""


class IdVocabulary:
    """Integer ids (users, posts, categories) -> rows 1..n; unknown ids -> `OOV`.

    Example:
        vocab = IdVocabulary.fit(np.array([7, 3, 7]))
        vocab.lookup(np.array([3, 7, 99]))  # array([1, 2, 0])
    """

    def __init__(self, ids: npt.NDArray[np.int64]) -> None:
        self.ids = np.unique(np.asarray(ids, dtype=np.int64))

    @classmethod
    def fit(cls, ids: npt.NDArray[np.int64], *, min_count: int = 1) -> IdVocabulary:
        """Keep the ids seen at least `min_count` times."""
        values, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        return cls(values[counts >= min_count])

    def __len__(self) -> int:
        """Rows including the OOV bucket."""
        return int(self.ids.shape[0]) + 1

    def lookup(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Rows of `ids`, shape like `ids`; unknown ids give `OOV`."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.ids.shape[0] == 0:
            return np.zeros(ids.shape, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.ids, ids), 0, self.ids.shape[0] - 1)
        return np.where(self.ids[pos] == ids, pos + 1, OOV).astype(np.int64)


class TermVocabulary:
    """String keys (creators, mood terms) -> rows 1..n; unknown keys -> `OOV`."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = list(terms)
        self._rows = {term: row for row, term in enumerate(self.terms, start=1)}

    @classmethod
    def fit(cls, terms: Iterable[str], *, min_count: int = 1) -> TermVocabulary:
        """Keep the non-empty terms seen at least `min_count` times, sorted for stability."""
        counts = Counter(term for term in terms if term)
        return cls(sorted(term for term, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        return len(self.terms) + 1

    def lookup(self, terms: Sequence[str]) -> npt.NDArray[np.int64]:
        """Rows of `terms`, shape (len(terms),)."""
        return np.asarray([self._rows.get(term, OOV) for term in terms], dtype=np.int64)

    def to_dict(self) -> dict[str, Any]:
        return {"terms": self.terms}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TermVocabulary:
        return cls(data["terms"])
