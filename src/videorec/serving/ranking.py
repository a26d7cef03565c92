"""Merge the sources' candidates and rank them: a weighted blend of sources and the model.

Every source's list is turned into a column in [0, 1]: the item-to-item sources' own scores over
their best one (`SCORED`; a train-time neighbour list scores every post of the pool, its sum
x_u · B over the history, in [-1, 1]), the others' rank scores (1 for its best, ~0 for its
last); the active model's score of every candidate becomes a rank score too (column `model`),
and so does the time-decayed popularity of every candidate over the catalogue's largest (column
`popularity`). A post's score is the weighted sum of its columns. The weights are the ones
learned on validation at train time (stored in the artifact, `FeedContext.weights`) unless the
config says otherwise (`FeedConfig.weights_for`); the cold path uses `cold_weights` and no
ranker. The reason of a post is that of the source that contributed most to its score.

`gather` (the costly part: sources' lists and the model's scores) and `order` (cheap) are split
so that train-time weight learning and the evaluation rank exactly as `/feed` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.serving.candidates.base import Candidate, CandidateList, FeedContext, rank_scores
from videorec.serving.candidates.neighbours import history_scores
from videorec.serving.config import FeedConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
MODEL = "model"
POPULARITY = "popularity"
"""The column of every candidate's time-decayed popularity (over the catalogue's largest)."""
SCORED = frozenset({"ease", "rp3beta", "item_knn", "covisit"})
"""Sources whose own scores (scaled to their best) are the column, rather than rank scores."""
PRIOR = 0.05
"""The popularity column's weight when neither training nor the config gives one."""


@dataclass(frozen=True)
class Ranked:
    """Ranked posts, best first: rows, post ids, scores (all shape (k,)) and reasons."""

    rows: IntArray
    post_ids: IntArray
    scores: FloatArray
    reasons: Sequence[str]

    def head(self, n: int) -> Ranked:
        """The first `n` posts, as copies: a held pool (`ranked_pools.py`) keeps none of the
        full arrays alive, and its reasons are a tuple of strings, which the garbage collector
        stops tracking (a list of 300 would be walked by every full collection)."""
        return Ranked(self.rows[:n].copy(), self.post_ids[:n].copy(), self.scores[:n].copy(),
                      tuple(self.reasons[:n]))  # fmt: skip


@dataclass(frozen=True)
class Pool:
    """The distinct candidates of one request and what each source (and the model) said.

    Attributes:
        rows: shape (r,), sorted catalogue rows.
        columns: the source names (then `model` when the model scored, then `popularity`),
            shape (s,).
        signals: shape (r, s), rank score of each row in each column (0 = not proposed).
        reasons: shape (r, s) object array, each source's reason ("" where it did not propose).
        proposed: shape (r, s), where each source proposed the row (`gather` fills it: comparing
            `reasons` with "" runs one Python comparison per cell, ~5 % of a new session);
            None: read from `reasons`.
    """

    rows: IntArray
    columns: tuple[str, ...]
    signals: FloatArray
    reasons: npt.NDArray[np.object_]
    proposed: npt.NDArray[np.bool_] | None = None

    def proposed_mask(self) -> npt.NDArray[np.bool_]:
        """shape (r, s): where each source proposed the row."""
        if self.proposed is not None:
            return self.proposed
        found: npt.NDArray[np.bool_] = self.reasons != ""
        return found


def rank(ctx: FeedContext, lists: Sequence[Sequence[Candidate]], config: FeedConfig) -> Ranked:
    """Merge, de-duplicate and score the candidates of every source."""
    pool = gather(ctx, lists)
    return order(ctx, pool, column_weights(config.weights_for(ctx.weights, cold=ctx.cold), pool))


def column_weights(weights: Mapping[str, float], pool: Pool) -> FloatArray:
    """shape (s,): the weight of each of the pool's columns."""
    return np.asarray([weight_of(weights, c) for c in pool.columns], np.float32)


def weight_of(weights: Mapping[str, float], column: str) -> float:
    """A column's weight: `weights`' own, else `PRIOR` for popularity and 0.5 for the others."""
    return weights.get(column, PRIOR if column == POPULARITY else 0.5)


def gather(ctx: FeedContext, lists: Sequence[Sequence[Candidate]]) -> Pool:
    """The pool of a request: every source's rank scores, the model's, and popularity."""
    found = [_as_arrays(cands) for cands in lists if cands]
    columns = tuple(cands.source for cands in found)
    all_rows = np.concatenate([c.rows for c in found]) if found else np.zeros(0, np.int64)
    rows, inverse = np.unique(all_rows, return_inverse=True)
    use_model = ctx.model is not None and not ctx.cold and rows.size > 0
    width = len(columns) + int(use_model) + 1
    signals = np.zeros((rows.size, width), np.float32)
    reasons = np.full((rows.size, width), "", dtype=object)
    proposed = np.zeros((rows.size, width), dtype=bool)
    column = np.repeat(np.arange(len(found)), [len(cands) for cands in found])
    parts = np.concatenate([_signal(cands) for cands in found]) if found else column
    np.add.at(signals, (inverse, column), parts)
    start = 0
    for j, cands in enumerate(found):  # the first of a row's candidates in a list gives its reason
        mine = inverse[start : start + len(cands)]
        start += len(cands)
        if isinstance(cands.reasons, str):
            reasons[mine, j] = cands.reasons
            proposed[mine, j] = cands.reasons != ""
        else:
            reasons[mine[::-1], j] = cands.reasons[::-1]
            proposed[mine, j] = reasons[mine, j] != ""  # this list's cells only
    for i, name in enumerate(columns):  # a neighbour list scores every pool row, as x_u · B does
        full = history_scores(ctx, name) if name in ctx.neighbours else None
        if full is not None:
            signals[:, i] = _scaled(full[rows])
    if use_model:
        signals[:, -2] = _model_rank(ctx, rows)
        columns = (*columns, MODEL)
    signals[:, -1] = ctx.stats.trend[rows] / max(ctx.stats.trend_top, 1e-6)
    return Pool(rows, (*columns, POPULARITY), signals, reasons, proposed)


def _as_arrays(cands: Sequence[Candidate]) -> CandidateList:
    """A source's candidates as arrays (a plain list of `Candidate`s is converted)."""
    if isinstance(cands, CandidateList):
        return cands
    n = len(cands)
    sources = {c.source for c in cands}
    if len(sources) != 1:
        raise ValueError(f"one source per candidate list, got {sorted(sources)}")
    return CandidateList(
        cands[0].source,
        np.fromiter((c.row for c in cands), np.int64, count=n),
        np.fromiter((c.post_id for c in cands), np.int64, count=n),
        np.fromiter((c.score for c in cands), np.float64, count=n),
        [c.reason for c in cands],
    )


def order(ctx: FeedContext, pool: Pool, weights: FloatArray) -> Ranked:
    """The pool ranked by Σ_column weight x signal (ties: lower row first).

    Args:
        weights: shape (s,), one per `pool.columns`.
    """
    if pool.rows.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Ranked(empty, empty, np.zeros(0, dtype=np.float32), [])
    scores = pool_scores(pool, weights)
    best = ranked_order(pool.rows, scores)
    sources = [i for i, c in enumerate(pool.columns) if c not in (MODEL, POPULARITY)]
    proposed = pool.proposed_mask()[:, sources]  # a list may score rows it did not propose
    contribution = np.where(proposed, pool.signals[:, sources] * weights[sources], -np.inf)
    top = np.asarray(sources)[np.argmax(contribution, axis=1)]
    return Ranked(
        rows=pool.rows[best],
        post_ids=ctx.index.post_ids[pool.rows[best]],
        scores=scores[best],
        reasons=pool.reasons[best, top[best]].tolist(),  # str cells: no per-cell str()
    )


def pool_scores(pool: Pool, weights: FloatArray) -> FloatArray:
    """shape (r,): the blended score of every pool row."""
    return (pool.signals @ weights).astype(np.float32)


def ranked_order(rows: IntArray, scores: FloatArray) -> IntArray:
    """Positions of the rows best first (ties: lower row first)."""
    return np.lexsort((rows, -scores)).astype(np.int64)


def _signal(cands: CandidateList) -> FloatArray:
    """A list's column: its scores over its best score for the item-to-item sources (whose
    summed weights say how strongly the history points at a post), else rank scores."""
    if cands.source in SCORED:
        scores = np.asarray(cands.scores, dtype=np.float32)
        top = float(scores.max(initial=0.0))
        if top > 0:
            scaled: FloatArray = np.clip(scores / top, 0.0, 1.0).astype(np.float32)
            return scaled
    return rank_scores(len(cands))


def _scaled(scores: FloatArray) -> FloatArray:
    """Scores over their largest, in [-1, 1] (EASE's negative weights push posts down)."""
    top = float(scores.max(initial=0.0))
    return np.clip(scores / top, -1.0, 1.0).astype(np.float32) if top > 0 else scores * 0


def _model_rank(ctx: FeedContext, rows: IntArray) -> FloatArray:
    """The model's score of each row as a rank score in [0, 1] (robust to the model's scale)."""
    assert ctx.model is not None
    raw = np.asarray(
        ctx.model.score(ctx.user_id, ctx.history, ctx.index.post_ids[rows]), dtype=np.float32
    )
    ranks = np.empty(rows.size, dtype=np.float32)
    ranks[np.argsort(-raw, kind="stable")] = rank_scores(rows.size)
    return ranks
