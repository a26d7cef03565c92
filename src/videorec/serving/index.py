"""The catalogue as the feed reads it: column arrays, text and mood embeddings, fixed orders.

Built once from a `PostCatalog` (at start-up, and again when the catalogue changes), never per
request. Texts are embedded per distinct text (posts sharing a text share a vector) through an
encoder such as `EmbeddingCache.encode`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.features.log import PostCatalog
from videorec.serving.groups import Groups
from videorec.serving.text_search import EXACT_UP_TO, CompressedTexts, compress_texts

IntArray = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
Encoder = Callable[[list[str]], Matrix]


@dataclass(frozen=True)
class CatalogIndex:
    """Catalogue columns in ascending post id order (row r describes `post_ids[r]`).

    Attributes:
        post_ids: shape (m,), sorted.
        public: shape (m,), may appear in the public feed.
        category_ids: shape (m,), -1 when none.
        creators: shape (m,), creator code (index into the distinct owner usernames).
        views: shape (m,), upstream view counts.
        created_at: shape (m,), epoch seconds (-1 unknown).
        text_vecs: shape (u, 384), unit vectors of the distinct post texts.
        text_of_row: shape (m,), row -> text vector.
        text_groups: distinct text -> rows.
        mood_labels: the distinct mood strings ("calm peaceful").
        mood_vecs: shape (v, 384), unit vectors of `mood_labels`.
        mood_groups: mood string -> rows (posts without moods are in none).
        fresh_order: shape (m,), rows newest first.
        category_names: category id -> name.
        text_compressed: past `text_search.EXACT_UP_TO` distinct texts, `text_vecs`
            compressed for the content source's search; None: searched exactly.
    """

    post_ids: IntArray
    public: npt.NDArray[np.bool_]
    category_ids: IntArray
    creators: IntArray
    views: npt.NDArray[np.float32]
    created_at: IntArray
    text_vecs: Matrix
    text_of_row: IntArray
    text_groups: Groups
    mood_labels: list[str]
    mood_vecs: Matrix
    mood_groups: Groups
    fresh_order: IntArray
    category_names: dict[int, str]
    text_compressed: CompressedTexts | None = None

    def __len__(self) -> int:
        return int(self.post_ids.shape[0])

    def rows_of(self, post_ids: IntArray) -> IntArray:
        """Rows of `post_ids` (shape (k,)); -1 for ids not in the catalogue."""
        if not len(self):
            return np.full(post_ids.shape[0], -1, dtype=np.int64)
        pos = np.searchsorted(self.post_ids, post_ids).clip(0, len(self) - 1)
        return np.where(self.post_ids[pos] == post_ids, pos, -1).astype(np.int64)

    def row_vectors(self, rows: IntArray) -> Matrix:
        """Text embeddings of rows, shape (k, 384)."""
        return self.text_vecs[self.text_of_row[rows]]


def build_index(
    catalog: PostCatalog,
    encode: Encoder,
    category_names: dict[int, str] | None = None,
    previous: CatalogIndex | None = None,
) -> CatalogIndex:
    """Sort the catalogue by id, embed its distinct texts and mood strings, fix the orders;
    past `EXACT_UP_TO` distinct texts, compress the text vectors for their search (with
    `previous`'s trained quantizer, and its codes where its texts come first: `compress_texts`)."""
    order = np.argsort(catalog.post_ids, kind="stable")
    texts = np.asarray(catalog.texts, dtype=object)[order] if len(catalog) else np.zeros(0, object)
    text_labels, text_of_row = _distinct([str(t) for t in texts])
    text_vecs = encode(text_labels)
    compressed = None
    if len(text_labels) > EXACT_UP_TO:
        before = previous.text_compressed if previous is not None else None
        reuse = (previous.text_vecs, before) if previous is not None and before else None
        compressed = compress_texts(text_vecs, previous=reuse)
    moods = [" ".join(catalog.mood_terms[i]).strip() for i in order.tolist()]
    mood_labels, mood_of_row = _distinct(moods, blank_is_none=True)
    _, creators = _distinct([catalog.creators[i] for i in order.tolist()])
    created = catalog.created_at[order]
    public = catalog.public[order] if catalog.public is not None else np.ones(len(order), bool)
    views = catalog.counters.get("view_count", np.zeros(len(catalog), np.float32))[order]
    return CatalogIndex(
        post_ids=catalog.post_ids[order].astype(np.int64),
        public=public.astype(bool),
        category_ids=catalog.category_ids[order].astype(np.int64),
        creators=creators,
        views=views.astype(np.float32),
        created_at=created.astype(np.int64),
        text_vecs=text_vecs,
        text_of_row=text_of_row,
        text_groups=Groups.from_labels(text_of_row, len(text_labels)),
        mood_labels=mood_labels,
        mood_vecs=encode(mood_labels),
        mood_groups=Groups.from_labels(mood_of_row, len(mood_labels)),
        fresh_order=np.argsort(-created, kind="stable").astype(np.int64),
        category_names=dict(category_names or {}),
        text_compressed=compressed,
    )


def _distinct(values: list[str], *, blank_is_none: bool = False) -> tuple[list[str], IntArray]:
    """Distinct values (first-seen order) and each value's index; blanks -> -1 if asked."""
    codes: dict[str, int] = {}
    labels = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        if blank_is_none and not value:
            labels[i] = -1
            continue
        labels[i] = codes.setdefault(value, len(codes))
    return list(codes), labels
