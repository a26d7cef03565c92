"""The demo generator's oracle as a `Recommender`: it ranks by the hidden true preference.

The truth API lives in `videorec.datagen.truth` (the generator's package); it is imported when
present, so evaluation works without it and reports no oracle then.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.errors import VideorecError

UNKNOWN = -1e9
"""Score of a post the truth does not know (never the case for generated data)."""


class Oracle:
    """Scores = `oracle_relevance(truth, user, post)`; fitting learns nothing.

    Args:
        truth_api: the `videorec.datagen.truth` module.
        truth: its loaded `Truth`.
        user_ids: shape (n_users,), upstream ids of the matrix rows.
        item_ids: shape (n_items,), upstream ids of the matrix columns.
    """

    name = "oracle"

    def __init__(
        self,
        truth_api: Any,
        truth: Any,
        user_ids: npt.NDArray[np.int64],
        item_ids: npt.NDArray[np.int64],
    ) -> None:
        self.api, self.truth = truth_api, truth
        self.user_ids = user_ids
        self.known = np.isin(item_ids, truth.post_ids)
        self.item_ids = item_ids

    def fit(self, train: sp.csr_matrix) -> None:
        """Nothing to learn."""

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        out = np.full((len(users), len(self.item_ids)), UNKNOWN, np.float32)
        relevance = self.api.oracle_relevance(
            self.truth, self.user_ids[users], self.item_ids[self.known]
        )
        out[:, self.known] = relevance
        return out


def load_truth(data_dir: Path | None) -> tuple[Any, Any] | None:
    """(truth module, truth) for a generated data directory, or None when unavailable."""
    if data_dir is None:
        return None
    try:
        api = importlib.import_module("videorec.datagen.truth")
        return api, api.load_truth(data_dir)
    except (ImportError, VideorecError, OSError, KeyError):
        return None
