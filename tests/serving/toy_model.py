"""A small hand-written FeedModel: seeded random post vectors, exact inner-product retrieval."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog


class ToyModel:
    """Satisfies `videorec.serving.scorer.FeedModel`; users are the mean of their posts' vectors."""

    def __init__(
        self, post_ids: npt.NDArray[np.int64], dim: int = 16, seed: int = 3, short: int = 0
    ) -> None:
        self.version = "toy-1"
        self.short_history_events = short
        self.post_ids = np.asarray(post_ids, dtype=np.int64)
        rng = np.random.default_rng(seed)
        self.post_vectors = rng.standard_normal((len(post_ids), dim)).astype(np.float32)
        self._row = {int(p): i for i, p in enumerate(self.post_ids)}

    def serves_short_history(self, history: InteractionLog) -> bool:
        known = sum(int(p) in self._row for p in history.post_ids)
        return 0 < known <= self.short_history_events

    def user_vector(self, user_id: int | None, history: InteractionLog) -> npt.NDArray[np.float32]:
        rows = [self._row[int(p)] for p in history.post_ids if int(p) in self._row]
        if not rows:
            return self.post_vectors.mean(axis=0)
        return self.post_vectors[rows].mean(axis=0)

    def retrieve(
        self, user_id: int | None, history: InteractionLog, k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        sims = self.post_vectors @ self.user_vector(user_id, history)
        top = np.argsort(-sims, kind="stable")[:k]
        return self.post_ids[top], sims[top]

    def score(
        self, user_id: int | None, history: InteractionLog, post_ids: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        vector = self.user_vector(user_id, history)
        rows = np.asarray([self._row.get(int(p), -1) for p in post_ids])
        scores = np.where(rows >= 0, self.post_vectors[rows.clip(0)] @ vector, -1e3)
        return scores.astype(np.float32)
