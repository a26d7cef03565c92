"""A model artifact served by ONNX Runtime: the `FeedModel` without torch.

Reads the files `videorec models export` (`training/onnx_export.py`) adds to an artifact
(`onnx/`), plus the artifact's fitted features, post table, post vectors and ANN index. The
scores are those of `training.model.LoadedModel` (checked equal within 1e-4 at export), but a
serving process never imports torch (~10 s of start-up on a busy 2-core box) and a batch-1 call
costs microseconds of runtime overhead instead of torch's per-operator dispatch.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from videorec.errors import NotFound
from videorec.features.log import InteractionLog
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.kit.ann import PostSearch
from videorec.kit.mapped import load_mapped

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
FOLDER = "onnx"


def has_onnx(path: Path) -> bool:
    """Whether the artifact at `path` carries an ONNX export (`videorec models export`)."""
    return (path / FOLDER / "meta.json").is_file() and (path / FOLDER / "user_tower.onnx").is_file()


class OnnxModel:
    """`FeedModel` over an artifact's ONNX export.

    Attributes:
        version: the artifact folder's name (the registered version).
        post_ids: shape (m,), catalogue post ids, ascending; the rows of `post_vectors`.
        post_vectors: shape (m, d), memory-mapped.
        index: the FAISS index over `post_vectors`.
    """

    def __init__(self, path: Path) -> None:
        import faiss  # here, not at import: only a process that serves a model pays for them
        import onnxruntime

        try:
            meta = json.loads((path / FOLDER / "meta.json").read_text())
            features = json.loads((path / "features.json").read_text())
            with np.load(path / "features.npz") as data:
                arrays: dict[str, Any] = {key: data[key] for key in data.files}
            table = path / "table"
            if table.is_dir():
                arrays.update({f.stem: load_mapped(f) for f in table.glob("*.npy")})
        except (OSError, ValueError) as exc:
            raise NotFound(f"no ONNX model artifact at {path}: {exc}") from exc
        self.version = path.name
        self.pipeline = FeaturePipeline.from_state(features, arrays)
        self.table = PostTable.from_arrays(arrays)
        self.post_ids: IntArray = self.table.post_ids
        self.post_vectors: FloatArray = load_mapped(path / "post_vectors.npy")
        self.index = faiss.read_index(str(path / "index.faiss"))
        self._search = PostSearch(self.index, self.post_ids)
        self._faiss = faiss
        self.retrieval = float(meta["retrieval"])
        self.short_history_events = int(meta.get("short_history_events", 0))  # older exports: 0
        self._oov_vector: FloatArray = np.load(path / FOLDER / "oov_vector.npy")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # batch-1 work: a second thread only waits for a core
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL

        def session(name: str) -> Any:
            return onnxruntime.InferenceSession(
                str(path / FOLDER / name), options, providers=["CPUExecutionProvider"]
            )

        self._user_tower = session("user_tower.onnx")
        ranker = path / FOLDER / "ranker.onnx"
        self._ranker = session("ranker.onnx") if ranker.is_file() else None
        self._last_user: tuple[tuple[Any, ...], FloatArray] | None = None
        self._lock = threading.Lock()

    def serves_short_history(self, history: InteractionLog) -> bool:
        """`FeedModel.serves_short_history` (the export's `short_history_events`)."""
        known = self.pipeline.known_events(self.table, history)
        return 0 < known <= self.short_history_events

    def _inputs(self, user_id: int | None, history: InteractionLog) -> dict[str, Any]:
        users = self.pipeline.users.lookup(np.asarray([-1 if user_id is None else user_id]))
        windows = self.pipeline.histories(self.table, [history])
        return {"users": users, "history": windows.rows, "weights": windows.weights}

    def user_vector(self, user_id: int | None, history: InteractionLog) -> FloatArray:
        """`FeedModel.user_vector`: shape (d,); the last user's is remembered, so `retrieve`
        then `score` of one request run the tower once."""
        key = (user_id, *(a.tobytes() for a in (history.post_ids, history.kinds,
                                                 history.ratings, history.timestamps)))  # fmt: skip
        with self._lock:
            last = self._last_user
        if last is not None and last[0] == key:
            return last[1]
        vector: FloatArray = self._user_tower.run(None, self._inputs(user_id, history))[0][0]
        with self._lock:
            self._last_user = (key, vector)
        return vector

    def retrieve(
        self, user_id: int | None, history: InteractionLog, k: int
    ) -> tuple[IntArray, FloatArray]:
        """`FeedModel.retrieve`: the k nearest posts by the index, best first."""
        self._faiss.omp_set_num_threads(1)  # per thread: see `registry.load_artifact_model`
        return self._search.nearest(self.user_vector(user_id, history), k)

    def score(self, user_id: int | None, history: InteractionLog, post_ids: IntArray) -> FloatArray:
        """`FeedModel.score`: the ranker's blended score plus `retrieval` x the two-tower
        similarity (the similarity alone without a ranker), shape (c,)."""
        post_ids = np.asarray(post_ids, dtype=np.int64)
        if post_ids.shape[0] == 0:
            return np.zeros(0, np.float32)
        rows = self.table.rows_of(post_ids)
        vectors = np.asarray(self.post_vectors[np.maximum(rows - 1, 0)], dtype=np.float32)
        vectors[rows == 0] = self._oov_vector
        similarity = vectors @ self.user_vector(user_id, history)
        if self._ranker is None:
            return similarity.astype(np.float32)
        feed = {**self._inputs(user_id, history), "posts": rows[None, :]}
        blended = self._ranker.run(None, feed)[0][0]
        return np.asarray(blended + self.retrieval * similarity, dtype=np.float32)
