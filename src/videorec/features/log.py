"""Column arrays of the interaction log and the post catalogue: what training, evaluation and
serving read instead of ORM rows.

`InteractionLog` is one row per event (user, post, kind, rating, time) in NumPy columns;
`PostCatalog` is one row per post with the fields models need. Both are built from the database
by `storage.repositories.logs`, or directly by importers (MovieLens) and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from videorec.kit.kinds import InteractionKind

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

KIND_CODES: dict[str, int] = {
    InteractionKind.VIEW: 0,
    InteractionKind.LIKE: 1,
    InteractionKind.INSPIRE: 2,
    InteractionKind.RATING: 3,
}
"""Integer code of each interaction kind in `InteractionLog.kinds`."""


@dataclass(frozen=True)
class InteractionLog:
    """Interaction events as parallel columns, all of length n.

    Attributes:
        user_ids: shape (n,), upstream user ids.
        post_ids: shape (n,), upstream post ids.
        kinds: shape (n,), codes from `KIND_CODES`.
        ratings: shape (n,), float32 0-100 for ratings, NaN otherwise.
        timestamps: shape (n,), epoch seconds (UTC).
    """

    user_ids: IntArray
    post_ids: IntArray
    kinds: npt.NDArray[np.int8]
    ratings: FloatArray
    timestamps: IntArray

    def __len__(self) -> int:
        return int(self.user_ids.shape[0])

    def select(self, mask: npt.NDArray[np.bool_] | IntArray) -> InteractionLog:
        """The events where `mask` is true (or at the given positions)."""
        return InteractionLog(
            self.user_ids[mask],
            self.post_ids[mask],
            self.kinds[mask],
            self.ratings[mask],
            self.timestamps[mask],
        )

    def sorted_by_time(self) -> InteractionLog:
        """The same events in stable chronological order."""
        return self.select(np.argsort(self.timestamps, kind="stable"))

    @classmethod
    def empty(cls) -> InteractionLog:
        return cls(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int8),
            np.zeros(0, np.float32),
            np.zeros(0, np.int64),
        )


@dataclass(frozen=True)
class PostCatalog:
    """Posts as parallel columns, all of length m.

    Attributes:
        post_ids: shape (m,), upstream post ids.
        category_ids: shape (m,), category id or -1 when the post has none.
        creators: owner usernames.
        created_at: shape (m,), epoch seconds, -1 when unknown.
        texts: title plus the text parts of the analysis (description, genre, keywords, moods).
        mood_terms: the derived mood words of each post.
        counters: name -> shape (m,) float32 upstream counters (view_count, upvote_count, ...).
        public: shape (m,), whether the post may appear in the public feed.
    """

    post_ids: IntArray
    category_ids: IntArray
    creators: list[str]
    created_at: IntArray
    texts: list[str]
    mood_terms: list[list[str]]
    counters: dict[str, FloatArray] = field(default_factory=dict)
    public: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return int(self.post_ids.shape[0])
