"""The fitted feature pipeline: vocabularies, scalers, time features and the post feature table.

`FeaturePipeline.fit(train, catalog)` learns everything from training data only. `post_table`
turns a catalogue into the arrays the towers read (row 0 is the "unknown post" row), and
`histories` turns users' events into fixed-length, signal- and recency-weighted windows. The
pipeline is saved inside the model artifact (`state` / `from_state`), so serving applies exactly
what training fitted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.scaling import LogStandardScaler
from videorec.features.signals import SignalWeights
from videorec.features.text import DIM
from videorec.features.vocab import IdVocabulary, TermVocabulary

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
COUNTERS = ("view_count", "upvote_count", "comment_count", "share_count", "rating_count",
            "average_rating", "exit_count", "bookmark_count")  # fmt: skip
DAY = 86_400.0


@dataclass(frozen=True)
class PostTable:
    """Features of every catalogue post; row 0 is the unknown post (all OOV / zeros).

    Attributes:
        post_ids: shape (m,), upstream ids of rows 1..m, sorted ascending.
        id_rows: shape (m+1,), row in the post-id vocabulary (0 = OOV, e.g. never interacted).
        creator_rows, category_rows: shape (m+1,), vocabulary rows.
        mood_rows: shape (m+1, M), mood vocabulary rows, 0 = padding / unknown word.
        dense: shape (m+1, D), scaled counters and post age with missing flags.
        text: shape (m+1, 384), unit text embeddings (zeros where the text is empty).
    """

    post_ids: IntArray
    id_rows: IntArray
    creator_rows: IntArray
    category_rows: IntArray
    mood_rows: IntArray
    dense: FloatArray
    text: FloatArray

    def rows_of(self, post_ids: IntArray) -> IntArray:
        """Table rows of upstream post ids, shape like `post_ids`; unknown ids give 0."""
        post_ids = np.asarray(post_ids, dtype=np.int64)
        if self.post_ids.shape[0] == 0:
            return np.zeros(post_ids.shape, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.post_ids, post_ids), 0, self.post_ids.shape[0] - 1)
        return np.where(self.post_ids[pos] == post_ids, pos + 1, 0).astype(np.int64)

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {f"table_{k}": v for k, v in asdict(self).items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[Any]]) -> PostTable:
        return cls(**{k.removeprefix("table_"): v for k, v in arrays.items()
                      if k.startswith("table_")})  # fmt: skip


@dataclass(frozen=True)
class Histories:
    """Fixed-length history windows, oldest first, left-padded.

    Attributes:
        rows: shape (b, L), post table rows (0 = padding or unknown post).
        weights: shape (b, L), signed signal weight times recency decay (0 = padding).
    """

    rows: IntArray
    weights: FloatArray


class FeaturePipeline:
    """Everything learnt from the training split that turns raw columns into model inputs."""

    def __init__(
        self,
        *,
        users: IdVocabulary,
        posts: IdVocabulary,
        categories: IdVocabulary,
        creators: TermVocabulary,
        moods: TermVocabulary,
        scaler: LogStandardScaler,
        reference_time: int,
        signals: SignalWeights,
        history_length: int = 50,
        recency_half_life_days: float = 14.0,
        max_moods: int = 4,
    ) -> None:
        self.users, self.posts, self.categories = users, posts, categories
        self.creators, self.moods, self.scaler = creators, moods, scaler
        self.reference_time = reference_time
        self.signals = signals
        self.history_length = history_length
        self.recency_half_life_days = recency_half_life_days
        self.max_moods = max_moods

    @classmethod
    def fit(
        cls,
        train: InteractionLog,
        catalog: PostCatalog,
        *,
        signals: SignalWeights | None = None,
        min_count: int = 1,
        history_length: int = 50,
        recency_half_life_days: float = 14.0,
        max_moods: int = 4,
    ) -> FeaturePipeline:
        """Fit vocabularies on the training events and scalers on the catalogue's posts.

        Ids (users, posts) need `min_count` training events to get their own row; creators,
        categories and moods are fitted on the posts the training events touch.
        """
        seen = np.isin(catalog.post_ids, train.post_ids)
        reference = int(train.timestamps.max()) if len(train) else 0
        return cls(
            users=IdVocabulary.fit(train.user_ids, min_count=min_count),
            posts=IdVocabulary.fit(train.post_ids, min_count=min_count),
            categories=IdVocabulary.fit(catalog.category_ids[seen & (catalog.category_ids >= 0)]),
            creators=TermVocabulary.fit(
                c for c, s in zip(catalog.creators, seen, strict=True) if s
            ),
            moods=TermVocabulary.fit(
                t for terms, s in zip(catalog.mood_terms, seen, strict=True) if s for t in terms
            ),
            scaler=LogStandardScaler.fit(_raw_dense(catalog, reference)),
            reference_time=reference,
            signals=signals or SignalWeights(),
            history_length=history_length,
            recency_half_life_days=recency_half_life_days,
            max_moods=max_moods,
        )

    @property
    def dense_width(self) -> int:
        return self.scaler.width

    def post_table(self, catalog: PostCatalog, text: FloatArray | None) -> PostTable:
        """The feature rows of `catalog`'s posts.

        Args:
            catalog: any catalogue (the training one, or a newer one at serving).
            text: shape (m, 384) text embeddings of `catalog.texts`, or None for zeros.
        """
        order = np.argsort(catalog.post_ids, kind="stable")
        m = len(catalog)
        moods = np.zeros((m, self.max_moods), dtype=np.int64)
        for i, terms in enumerate(catalog.mood_terms):
            rows = self.moods.lookup(terms[: self.max_moods])
            moods[i, : rows.shape[0]] = rows
        dense = self.scaler.transform(_raw_dense(catalog, self.reference_time))

        def padded(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return np.concatenate([np.zeros((1, *values.shape[1:]), values.dtype), values[order]])

        return PostTable(
            post_ids=catalog.post_ids[order].astype(np.int64),
            id_rows=padded(self.posts.lookup(catalog.post_ids)),
            creator_rows=padded(self.creators.lookup(catalog.creators)),
            category_rows=padded(self.categories.lookup(catalog.category_ids)),
            mood_rows=padded(moods),
            dense=padded(dense),
            text=_padded_text(text, order),
        )

    def histories(self, table: PostTable, logs: list[InteractionLog]) -> Histories:
        """The last `history_length` events of each user, weighted by signal and recency.

        Args:
            table: the post table the rows refer to.
            logs: one log per user, oldest first (may be empty).
        """
        size = self.history_length
        rows = np.zeros((len(logs), size), dtype=np.int64)
        weights = np.zeros((len(logs), size), dtype=np.float32)
        for i, log in enumerate(logs):
            tail = log.select(np.arange(max(0, len(log) - size), len(log)))
            if len(tail) == 0:
                continue
            r, w = self.event_features(table, tail)
            rows[i, size - len(tail) :] = r
            weights[i, size - len(tail) :] = w * self.decay(tail.timestamps, tail.timestamps[-1])
        return Histories(rows, weights)

    def known_events(self, table: PostTable, history: InteractionLog) -> int:
        """How many of the user tower's history events (the last `history_length`) are posts
        of `table`: what the short-history tower's dispatch counts."""
        tail = history.post_ids[max(0, len(history) - self.history_length) :]
        return int((table.rows_of(tail) > 0).sum())

    def event_features(self, table: PostTable, log: InteractionLog) -> tuple[IntArray, FloatArray]:
        """Post table row and signed signal weight of each event (unknown posts weigh 0)."""
        rows = table.rows_of(log.post_ids)
        weights = self.signals.of(log.kinds, log.ratings)
        return rows, np.where(rows > 0, weights, 0.0).astype(np.float32)

    def decay(self, times: IntArray, latest: IntArray | int) -> FloatArray:
        """Recency factor 0.5 ** (age / half-life), age measured from the user's latest event."""
        age_days = np.maximum(np.asarray(latest) - times, 0) / DAY
        return np.power(0.5, age_days / self.recency_half_life_days).astype(np.float32)

    def state(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        """JSON-able settings and NumPy arrays that `from_state` rebuilds the pipeline from."""
        meta: dict[str, Any] = {
            "creators": self.creators.to_dict(),
            "moods": self.moods.to_dict(),
            "reference_time": self.reference_time,
            "signals": asdict(self.signals),
            "history_length": self.history_length,
            "recency_half_life_days": self.recency_half_life_days,
            "max_moods": self.max_moods,
        }
        arrays: dict[str, npt.NDArray[Any]] = {
            "users": self.users.ids, "posts": self.posts.ids, "categories": self.categories.ids,
            "scaler_mean": self.scaler.mean, "scaler_std": self.scaler.std,
        }  # fmt: skip
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]
    ) -> FeaturePipeline:
        return cls(
            users=IdVocabulary(arrays["users"]),
            posts=IdVocabulary(arrays["posts"]),
            categories=IdVocabulary(arrays["categories"]),
            creators=TermVocabulary.from_dict(meta["creators"]),
            moods=TermVocabulary.from_dict(meta["moods"]),
            scaler=LogStandardScaler(arrays["scaler_mean"], arrays["scaler_std"]),
            reference_time=int(meta["reference_time"]),
            signals=SignalWeights(**meta["signals"]),
            history_length=int(meta["history_length"]),
            recency_half_life_days=float(meta["recency_half_life_days"]),
            max_moods=int(meta["max_moods"]),
        )


def _raw_dense(catalog: PostCatalog, reference_time: int) -> FloatArray:
    """Unscaled dense columns: the counters (NaN when absent) and post age in days."""
    m = len(catalog)
    columns = [
        catalog.counters.get(name, np.full(m, np.nan, np.float32)).astype(np.float32)
        for name in COUNTERS
    ]
    created = catalog.created_at.astype(np.float64)
    age = np.where(created < 0, np.nan, np.maximum(reference_time - created, 0) / DAY)
    columns.append(age.astype(np.float32))
    return np.stack(columns, axis=1) if m else np.zeros((0, len(COUNTERS) + 1), np.float32)


def _padded_text(text: npt.NDArray[Any] | None, order: IntArray) -> FloatArray:
    """Text rows in `order` below a zero row, written straight into the one (m + 1, 384) array:
    at 1M posts a column is 1.5 GB, and each intermediate copy would be another."""
    out = np.zeros((order.shape[0] + 1, DIM), np.float32)
    if text is not None and order.shape[0]:
        # mode "clip": `order` is a permutation (always in range), and "raise" buffers `out`
        np.take(np.asarray(text, np.float32), order, axis=0, out=out[1:], mode="clip")
    return out
