"""The contract between a trained model artifact (`training/`) and the feed (`serving/`).

Training writes an artifact; `training.artifact.load_artifact(path)` returns an object that
satisfies `FeedModel`; the feed's registry loads the active one. The feed never imports torch
modules directly, and training never imports the feed.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog


class FeedModel(Protocol):
    """What the feed needs from a trained model."""

    version: str
    """The registered model version (`model_versions.version`)."""

    post_ids: npt.NDArray[np.int64]
    """shape (n,): the upstream post ids the model knows, in the order of `post_vectors`."""

    post_vectors: npt.NDArray[np.float32]
    """shape (n, d): the post tower's output, the vectors the ANN index holds."""

    def serves_short_history(self, history: InteractionLog) -> bool:
        """Whether this history gets its vector from the short-history user tower: 1..n events
        on posts the model knows, within its history window, where the tower was trained and
        kept on validation for n (False when none was kept). The feed's cold path retrieves
        with the model for exactly these users."""
        ...

    def user_vector(self, user_id: int | None, history: InteractionLog) -> npt.NDArray[np.float32]:
        """The user tower's output for a user and their recent history.

        Args:
            user_id: upstream user id, or None for a user the model never saw.
            history: that user's events, oldest first (may be empty).

        Returns:
            shape (d,): comparable with `post_vectors` by inner product.
        """
        ...

    def retrieve(
        self, user_id: int | None, history: InteractionLog, k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The k nearest posts to the user's vector (ANN, or exact for small catalogues).

        Returns:
            post ids shape (k',) and their similarity, best first (k' <= k).
        """
        ...

    def score(
        self, user_id: int | None, history: InteractionLog, post_ids: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """The ranker's blended score of each candidate post for this user (higher is better).

        Args:
            post_ids: shape (c,), candidates; ids unknown to the model are allowed.

        Returns:
            shape (c,).
        """
        ...
