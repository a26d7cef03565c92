"""`LoadedModel`: a trained two-tower + ranker pair with its fitted features and ANN index.

It satisfies `videorec.serving.scorer.FeedModel` and adds `score_all` for offline evaluation.
Built by `training.fit(...)` or `training.artifact.load_artifact(path)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
import torch

from videorec.features.log import InteractionLog
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.kit.ann import PostSearch, mips_to_l2
from videorec.models.ensemble import Retrieval, named_encoders
from videorec.models.layers import PostEncoder
from videorec.models.ranker import Ranker
from videorec.models.short_history import ShortHistoryTower
from videorec.models.short_history import user_vectors as tower_user_vectors
from videorec.training.config import IndexConfig, TrainConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
FREEZE_ENCODERS_UP_TO = 250_000
"""Catalogues up to this size get precomputed post encodings (one row a post per post encoder:
the two-tower's, one per member of a pair, 192 floats each, and the ranker's 96; ~480 MB at the
limit with the default widths): per-request scoring then indexes them."""


def build_index(vectors: FloatArray, config: IndexConfig) -> Any:
    """Exact inner-product index for small catalogues; above the threshold, HNSW over the
    vectors made searchable by L2 (`kit.ann.mips_to_l2`: one extra coordinate).

    HNSW on raw inner products of unnormalised vectors (the two-tower's `dot` similarity:
    norms 16-32 at 100k posts) left most of the catalogue unreachable: recall@500 against
    exact search was 0.00 with real user vectors at efSearch 512, and 64% of the 500 slots came
    back empty. Over the L2 form it was 0.999 (bench/results/2026-11-27-feed-c.md).
    """
    dim = int(vectors.shape[1])
    index: Any
    if vectors.shape[0] > config.hnsw_above:
        index = faiss.IndexHNSWFlat(dim + 1, config.hnsw_m, faiss.METRIC_L2)
        index.hnsw.efSearch = config.ef_search
        index.add(mips_to_l2(np.asarray(vectors, dtype=np.float32)))
        return index
    index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class LoadedModel:
    """A trained model ready to serve (`FeedModel`) and to evaluate (`score_all`).

    Attributes:
        version: registered version, or "unsaved" before `save_artifact`.
        post_ids: shape (m,), catalogue post ids, ascending; the rows of `post_vectors`.
        post_vectors: shape (m, d), unit post-tower vectors (the ANN index holds them).
    """

    def __init__(
        self,
        *,
        version: str,
        config: TrainConfig,
        pipeline: FeaturePipeline,
        table: PostTable,
        two_tower: Retrieval,
        ranker: Ranker | None,
        index: Any = None,
        post_vectors: FloatArray | None = None,
        metrics: dict[str, Any] | None = None,
        encodings: dict[str, FloatArray] | None = None,
        short_tower: ShortHistoryTower | None = None,
    ) -> None:
        self.version = version
        self.config = config
        self.pipeline = pipeline
        self.table = table
        self.two_tower = two_tower.eval()
        self.ranker = ranker.eval() if ranker is not None else None
        self.short_tower = short_tower.eval() if short_tower is not None else None
        self.metrics: dict[str, Any] = metrics or {}
        self.post_ids = table.post_ids
        self._device = next(two_tower.parameters()).device
        self.post_vectors = self._post_vectors() if post_vectors is None else post_vectors
        self.index = index if index is not None else build_index(self.post_vectors, config.index)
        self._search = PostSearch(self.index, self.post_ids)
        self._blend = torch.tensor(config.blend.head_weights(), device=self._device)
        self._oov_vector = self._unknown_post_vector()
        if self.post_ids.shape[0] <= FREEZE_ENCODERS_UP_TO:
            self._freeze_encoders(encodings)
        self._last_user: tuple[tuple[Any, ...], FloatArray] | None = None

    @property
    def short_history_events(self) -> int:
        """Histories of 1..this many known events use the short-history tower (0: none)."""
        short = self.short_tower
        return 0 if short is None else int(short.get_buffer("max_events"))

    def serves_short_history(self, history: InteractionLog) -> bool:
        """`FeedModel.serves_short_history`."""
        known = self.pipeline.known_events(self.table, history)
        return 0 < known <= self.short_history_events

    @torch.no_grad()
    def _post_vectors(self, batch: int = 65_536) -> FloatArray:
        rows = torch.arange(1, self.post_ids.shape[0] + 1, device=self._device)
        parts = [self.two_tower.post_vectors(rows[i : i + batch]).cpu()
                 for i in range(0, rows.shape[0], batch)]  # fmt: skip
        if not parts:
            empty = self.two_tower.post_vectors(
                torch.zeros(1, dtype=torch.long, device=self._device)
            )
            return np.zeros((0, empty.shape[1]), np.float32)
        return np.asarray(torch.cat(parts).numpy(), dtype=np.float32)

    def _inputs(
        self, user_ids: Sequence[int | None], histories: Sequence[InteractionLog]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        known = np.array([-1 if u is None else u for u in user_ids], dtype=np.int64)
        users = self.pipeline.users.lookup(known)
        hist = self.pipeline.histories(self.table, list(histories))

        def to(x: npt.NDArray[Any]) -> torch.Tensor:
            return torch.from_numpy(x).to(self._device)

        return to(users), to(hist.rows), to(hist.weights)

    @torch.no_grad()
    def user_vectors(
        self, user_ids: Sequence[int | None], histories: Sequence[InteractionLog]
    ) -> FloatArray:
        """User-tower vectors, shape (n, d), for n users and their chronological histories
        (the short-history tower's for histories of 1..its `max_events` events, when kept)."""
        users, rows, weights = self._inputs(user_ids, histories)
        vectors: FloatArray = self._user_tower(users, rows, weights).cpu().numpy()
        return vectors

    def _user_tower(
        self, users: torch.Tensor, rows: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        return tower_user_vectors(self.two_tower, self.short_tower, users, rows, weights)

    def user_vector(self, user_id: int | None, history: InteractionLog) -> FloatArray:
        """`FeedModel.user_vector`: shape (d,).

        The last user's vector is remembered (keyed by the user and the history's contents), so
        the feed's `retrieve` then `score` of one request run the user tower once.
        """
        key = (user_id, *(a.tobytes() for a in (history.post_ids, history.kinds,
                                                 history.ratings, history.timestamps)))  # fmt: skip
        last = self._last_user
        if last is not None and last[0] == key:
            return last[1]
        vector: FloatArray = self.user_vectors([user_id], [history])[0]
        self._last_user = (key, vector)
        return vector

    def _freeze_encoders(self, stored: dict[str, FloatArray] | None = None) -> None:
        """Precompute every post encoder's outputs (the models are in eval mode from here on).

        `stored` (from the artifact, by model name) replaces the computation where its shape fits.
        """
        for name, encoder in self._encoders():
            rows = int(encoder.get_buffer("table_id_rows").shape[0])
            given = (stored or {}).get(name)
            if given is not None and given.shape == (rows, encoder.out_dim):
                encoder._frozen = torch.from_numpy(given).to(self._device)
            else:
                encoder.freeze()

    def frozen_encodings(self) -> dict[str, FloatArray]:
        """Each post encoder's precomputed output by model name ({} when not frozen)."""
        found: dict[str, FloatArray] = {}
        for name, encoder in self._encoders():
            frozen = encoder._frozen
            if frozen is not None:
                found[name] = np.asarray(frozen.detach().cpu().numpy(), dtype=np.float32)
        return found

    def _encoders(self) -> list[tuple[str, PostEncoder]]:
        """Every post encoder by name: the retrieval's (one per ensemble member) and the
        ranker's."""
        ranker = [] if self.ranker is None else [("ranker", self.ranker.encoder)]
        return [*named_encoders(self.two_tower, "two_tower"), *ranker]

    @torch.no_grad()
    def _unknown_post_vector(self) -> FloatArray:
        """The post tower's vector of table row 0 (an unknown post), shape (d,)."""
        row = torch.zeros(1, dtype=torch.long, device=self._device)
        return np.asarray(self.two_tower.post_vectors(row).cpu().numpy()[0], dtype=np.float32)

    def _post_vectors_of(self, rows: IntArray) -> FloatArray:
        """Post-tower vectors of table rows (0 = unknown post), shape rows.shape + (d,).

        Reads the precomputed `post_vectors` (row r is `post_vectors[r - 1]`): the feed scores
        ~500 candidates per request, and running the post tower on them cost more than the ranker.
        """
        vectors = self.post_vectors[np.maximum(rows - 1, 0)]
        vectors[rows == 0] = self._oov_vector
        return np.asarray(vectors, dtype=np.float32)

    def retrieve(
        self, user_id: int | None, history: InteractionLog, k: int
    ) -> tuple[IntArray, FloatArray]:
        """`FeedModel.retrieve`: the k nearest posts by the index, best first."""
        return self._search.nearest(self.user_vector(user_id, history), k)

    @torch.no_grad()
    def score_pairs(
        self,
        user_ids: Sequence[int | None],
        histories: Sequence[InteractionLog],
        post_ids: IntArray,
    ) -> FloatArray:
        """Final scores of candidates: post_ids shape (n, c) -> scores shape (n, c).

        The ranker heads blended with the config's weights, plus `blend.retrieval` times the
        two-tower similarity; without a ranker, the similarity alone.
        """
        users, rows, weights = self._inputs(user_ids, histories)
        table_rows = self.table.rows_of(post_ids)
        posts = torch.from_numpy(table_rows).to(self._device)
        if len(user_ids) == 1:  # the feed's path: reuse the vector `retrieve` just computed
            user = self.user_vector(user_ids[0], histories[0])[None, :]
            vectors = torch.from_numpy(np.ascontiguousarray(user)).to(self._device)
        else:
            vectors = self._user_tower(users, rows, weights)
        post_vectors = torch.from_numpy(self._post_vectors_of(table_rows)).to(self._device)
        similarity = (post_vectors @ vectors.unsqueeze(-1)).squeeze(-1)
        if self.ranker is None:
            return similarity.cpu().numpy()
        logits, rating = self.ranker(users, rows, weights, posts)
        blended = self.ranker.blend(logits, rating, self._blend)
        return (blended + self.config.blend.retrieval * similarity).cpu().numpy()

    def score(self, user_id: int | None, history: InteractionLog, post_ids: IntArray) -> FloatArray:
        """`FeedModel.score`: the ranker's blended score per candidate, shape (c,)."""
        post_ids = np.asarray(post_ids, dtype=np.int64)
        if post_ids.shape[0] == 0:
            return np.zeros(0, np.float32)
        scores: FloatArray = self.score_pairs([user_id], [history], post_ids[None, :])[0]
        return scores

    def score_all(
        self,
        user_ids: Sequence[int | None] | IntArray,
        histories: Sequence[InteractionLog],
        *,
        batch: int = 256,
    ) -> FloatArray:
        """Scores of every catalogue post for each user, shape (n, m) over `post_ids`.

        Two-tower inner products for all posts; the top `ranker.rerank_depth` of each user are
        reordered by the ranker blend and lifted above the rest. Seen posts are NOT removed.
        """
        users = [None if u is None else int(u) for u in user_ids]
        out = np.zeros((len(users), self.post_ids.shape[0]), dtype=np.float32)
        for start in range(0, len(users), batch):
            part = slice(start, start + batch)
            out[part] = self._score_block(users[part], histories[part])
        return out

    def _score_block(
        self, users: list[int | None], histories: Sequence[InteractionLog]
    ) -> FloatArray:
        scores = self.user_vectors(users, histories) @ self.post_vectors.T
        depth = min(self.config.ranker.rerank_depth, scores.shape[1])
        if self.ranker is None or depth == 0:
            return scores
        top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
        blended = self.score_pairs(users, histories, self.post_ids[top])
        lifted = (
            scores.max(axis=1, keepdims=True) + 1.0 + blended - blended.min(axis=1, keepdims=True)
        )
        np.put_along_axis(scores, top, lifted, axis=1)
        return scores
