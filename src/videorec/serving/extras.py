"""What training leaves for the feed beside the model: neighbour lists and learned weights.

Side files of a model artifact (`var/models/<version>/`), written by
`training/serving_extras.py` and read when the feed loads the active model:

    neighbours.npz   post_ids (n,) and, per list, the CSR arrays of an (n, n) matrix whose row i
                     holds the posts most related to post i with their weights
    weights.json     {"weights": {source or "model": weight}, "validation": {...}}

An artifact without them (older versions) serves with the config's weights and without
neighbour sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.serving.index import CatalogIndex

IntArray = npt.NDArray[np.int64]
NEIGHBOURS_FILE = "neighbours.npz"
WEIGHTS_FILE = "weights.json"


@dataclass(frozen=True)
class ServingExtras:
    """Neighbour lists over `post_ids` and the learned blend weights.

    Attributes:
        post_ids: shape (n,), sorted upstream ids indexing the matrices' rows and columns.
        neighbours: list name -> shape (n, n) CSR float32.
        weights: source name (or "model") -> weight.
        info: how they were fitted (sizes, validation objective), for humans.
    """

    post_ids: IntArray
    neighbours: dict[str, sp.csr_matrix] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def on(self, index: CatalogIndex) -> dict[str, sp.csr_matrix]:
        """The lists re-indexed to `index`'s rows (posts the catalogue lacks are dropped)."""
        rows = index.rows_of(self.post_ids)
        m = len(index)
        out: dict[str, sp.csr_matrix] = {}
        for name, matrix in self.neighbours.items():
            coo = matrix.tocoo()
            src, dst = rows[coo.row], rows[coo.col]
            keep = (src >= 0) & (dst >= 0)
            out[name] = sp.csr_matrix(
                (coo.data[keep], (src[keep], dst[keep])), shape=(m, m), dtype=np.float32
            )
        return out


def save_extras(folder: Path, extras: ServingExtras) -> None:
    """Write the side files into an artifact folder."""
    arrays: dict[str, npt.NDArray[Any]] = {"post_ids": extras.post_ids}
    for name, matrix in extras.neighbours.items():
        csr = sp.csr_matrix(matrix, dtype=np.float32)
        arrays |= {f"{name}.data": csr.data, f"{name}.indices": csr.indices,
                   f"{name}.indptr": csr.indptr}  # fmt: skip
    np.savez(folder / NEIGHBOURS_FILE, allow_pickle=False, **arrays)
    doc = {"weights": extras.weights, "info": extras.info}
    (folder / WEIGHTS_FILE).write_text(json.dumps(doc, indent=2))


def load_extras(folder: Path) -> ServingExtras | None:
    """The side files of an artifact folder; None when it has none (an older artifact)."""
    if not (folder / NEIGHBOURS_FILE).exists():
        return None
    with np.load(folder / NEIGHBOURS_FILE, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    post_ids = arrays.pop("post_ids").astype(np.int64)
    n = post_ids.shape[0]
    names = sorted({key.rsplit(".", 1)[0] for key in arrays})
    neighbours = {
        name: sp.csr_matrix(
            (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"]),
            shape=(n, n),
        )
        for name in names
    }
    doc: dict[str, Any] = {}
    if (folder / WEIGHTS_FILE).exists():
        doc = json.loads((folder / WEIGHTS_FILE).read_text())
    weights = {str(k): float(v) for k, v in doc.get("weights", {}).items()}
    return ServingExtras(post_ids, neighbours, weights, doc.get("info", {}))
