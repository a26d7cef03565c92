"""What every candidate source shares: the request context, the candidate, the protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.features.log import InteractionLog
from videorec.serving.index import CatalogIndex, Matrix
from videorec.serving.popularity import LogStats
from videorec.serving.scorer import FeedModel

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A post a source proposes, with the source's own score (higher is better) and reason."""

    row: int
    post_id: int
    source: str
    score: float
    reason: str


class CandidateList(Sequence[Candidate]):
    """One source's candidates as parallel arrays, best first: what `FeedContext.candidates`
    returns. Ranking reads the arrays (`ranking.gather`); indexing and iterating give
    `Candidate`s, so it reads like the `list[Candidate]` a source may also return.

    Attributes:
        source: the source's name.
        rows, post_ids: shape (n,), catalogue rows and their post ids.
        scores: shape (n,), the source's own scores.
        reasons: one reason for all, or one per candidate.
    """

    __slots__ = ("post_ids", "reasons", "rows", "scores", "source")

    def __init__(
        self,
        source: str,
        rows: IntArray,
        post_ids: IntArray,
        scores: npt.NDArray[np.floating],
        reasons: str | list[str],
    ) -> None:
        self.source, self.rows, self.post_ids, self.scores = source, rows, post_ids, scores
        self.reasons = reasons

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @overload
    def __getitem__(self, i: int) -> Candidate: ...

    @overload
    def __getitem__(self, i: slice) -> list[Candidate]: ...

    def __getitem__(self, i: int | slice) -> Candidate | list[Candidate]:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        reason = self.reasons if isinstance(self.reasons, str) else self.reasons[i]
        return Candidate(int(self.rows[i]), int(self.post_ids[i]), self.source,
                         float(self.scores[i]), reason)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def reason_list(self) -> list[str]:
        """One reason per candidate."""
        return [self.reasons] * len(self) if isinstance(self.reasons, str) else list(self.reasons)

    @classmethod
    def concat(cls, source: str, parts: Sequence[CandidateList], limit: int) -> CandidateList:
        """The first `limit` candidates of `parts`, one after the other."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(source, empty, empty, np.zeros(0, dtype=np.float32), [])
        reasons = [r for part in parts for r in part.reason_list()][:limit]
        return cls(source, np.concatenate([p.rows for p in parts])[:limit],
                   np.concatenate([p.post_ids for p in parts])[:limit],
                   np.concatenate([p.scores for p in parts])[:limit], reasons)  # fmt: skip


@dataclass(frozen=True)
class FeedContext:
    """Everything a source may read about one request. Built once per request.

    Attributes:
        index, stats: the catalogue and the log statistics of this request.
        user_id: upstream id, None for an unknown user.
        history: the user's recent events, oldest first.
        history_rows: shape (h,), catalogue rows of `history` (known posts only), oldest first.
        excluded_rows: shape (x,), sorted rows never to propose (engaged with).
        category_id: the category filter, if any.
        allowed_rows: shape (a,), sorted rows a project filter allows; None = no such filter.
        mood: the free-text mood, and its unit vector shape (384,).
        model: the active model, if any.
        cold: the request takes the cold path (unknown user or under `cold_start_min_events`):
            mood, then the few events' neighbours and content, then popularity; no ranker
            (the two-tower source only where the short-history tower serves the history).
        neighbours: source name -> item-to-item lists over catalogue rows, shape (m, m) CSR
            (row i: the posts most related to i, and their weights), fitted at train time.
        weights: source name -> blend weight learned at train time (empty: the config's).
        memo: what sources and the ranking of this request share (e.g. x_u · B per list).
    """

    index: CatalogIndex
    stats: LogStats
    user_id: int | None
    history: InteractionLog
    history_rows: IntArray
    excluded_rows: IntArray
    category_id: int | None = None
    allowed_rows: IntArray | None = None
    mood: str | None = None
    mood_vector: Matrix | None = None
    model: FeedModel | None = None
    cold: bool = False
    neighbours: Mapping[str, sp.csr_matrix] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def admissible(self, rows: IntArray) -> npt.NDArray[np.bool_]:
        """Mask of rows that are public, pass the filters and are not excluded."""
        ok = self.index.public[rows] & ~in_sorted(rows, self.excluded_rows)
        if self.category_id is not None:
            ok &= self.index.category_ids[rows] == self.category_id
        if self.allowed_rows is not None:
            ok &= in_sorted(rows, self.allowed_rows)
        return ok

    def candidates(
        self,
        rows: IntArray,
        scores: npt.NDArray[np.floating],
        source: str,
        reason: str | list[str],
    ) -> CandidateList:
        """Candidates from parallel rows and scores, with one reason or one per row."""
        if not isinstance(reason, str) and len(reason) != rows.shape[0]:
            raise ValueError("one reason per row, or one for all")
        return CandidateList(source, rows, self.index.post_ids[rows], scores, reason)


class CandidateSource(Protocol):
    """One way of finding posts for a user. `name` appears in logs and reason codes."""

    name: str

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        """At most `limit` admissible candidates, best first; deterministic for a given context."""
        ...


def in_sorted(values: IntArray, sorted_set: IntArray) -> npt.NDArray[np.bool_]:
    """`np.isin(values, sorted_set)` for a sorted `sorted_set`, by binary search: `isin` sorts
    both sides on every call, which cost ~30 us per call at a feed request's sizes."""
    if sorted_set.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    at = np.searchsorted(sorted_set, values)
    found: npt.NDArray[np.bool_] = sorted_set[np.minimum(at, sorted_set.shape[0] - 1)] == values
    return found


def walk(order: IntArray, ctx: FeedContext, limit: int) -> IntArray:
    """The first `limit` admissible rows of a fixed order, scanning it in growing chunks."""
    found: list[IntArray] = []
    total, start, chunk = 0, 0, max(64, 2 * limit)
    while start < order.shape[0] and total < limit:
        rows = order[start : start + chunk]
        rows = rows[ctx.admissible(rows)]
        found.append(rows)
        total += rows.shape[0]
        start += chunk
        chunk *= 2
    return np.concatenate(found)[:limit] if found else np.zeros(0, dtype=np.int64)


def rank_scores(n: int) -> npt.NDArray[np.float32]:
    """Scores 1, ..., ~0 for a list of n rows already in best-first order."""
    return (1.0 - np.arange(n, dtype=np.float32) / max(n, 1)).astype(np.float32)
