"""The feed's long-lived state: catalogue index, log statistics and the active model.

The catalogue index and log statistics come from a snapshot on disk (`serving/snapshot.py`)
when one matches the data and knobs, else they are built and a snapshot is saved; the model
comes from its artifact (post vectors and ANN index built at train time).

Built at start-up in a background thread (`warm_up`, when the registry has its own
sessionmaker), else on the first request (from that request's database session); then kept
on `app.state`. Every `refresh_s` seconds the registry checks whether the log, the catalogue or
the active model changed; if so the state is rebuilt and swapped in atomically. With its own
sessionmaker both the check and the rebuild run in a background thread, which the request that
finds the check due only starts: the check counts the posts (a scan: 105-135 ms at 1M posts on
SQLite on a busy box), which must not land on one request every `refresh_s`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import scipy.sparse as sp
import structlog
from sqlalchemy.orm import Session, sessionmaker

from videorec.kit import heap
from videorec.kit.faiss_threads import default_one_thread, single_threaded_faiss
from videorec.serving.config import FeedConfig
from videorec.serving.extras import load_extras
from videorec.serving.index import CatalogIndex, Encoder, Matrix, build_index
from videorec.serving.onnx_model import OnnxModel, has_onnx
from videorec.serving.popularity import LogStats, build_stats
from videorec.serving.scorer import FeedModel
from videorec.serving.snapshot import load_snapshot, save_snapshot, snapshot_key
from videorec.storage.repositories import feed, logs

log = structlog.get_logger(__name__)
ModelLoader = Callable[[str], FeedModel]
ANN_EF_SEARCH = 512
"""HNSW search breadth the feed uses: recall@500 against exact search on a trained model's own
post vectors, over the index's L2 form (`kit.ann.mips_to_l2`), was 0.43 at the training default
(128), 0.83 at 256 and 0.999 at 512 (100k posts, 100 real users; 0.6 ms a query at 512,
bench/results/2026-11-27-feed-c.md)."""
MOOD_CACHE = 4096
"""Mood vectors kept (least recently used dropped): any string can be a mood, so bound it."""
Watermark = feed.Watermark


@dataclass(frozen=True)
class PipelineState:
    """One consistent snapshot of what the feed reads."""

    index: CatalogIndex
    stats: LogStats
    model: FeedModel | None
    model_version: str | None
    watermark: Watermark
    user_ids: dict[str, int] = field(default_factory=dict)
    """username -> user id, filled by requests (known users only) and dropped with the state."""
    neighbours: Mapping[str, sp.csr_matrix] = field(default_factory=dict)
    """The active artifact's neighbour lists over `index` rows (`serving/extras.py`)."""
    weights: Mapping[str, float] = field(default_factory=dict)
    """The active artifact's learned blend weights (empty: the config's)."""


def load_artifact_model(path: str) -> FeedModel:
    """The default loader: the artifact's ONNX export when it has one (`videorec models
    export`: no torch in the process), else `videorec.training.artifact.load_artifact`.

    Widens an HNSW index's search to `ANN_EF_SEARCH`. FAISS searches on one OpenMP thread
    (`kit.faiss_threads`; the ONNX model sets it again on each request thread). The PyTorch
    fallback also sets torch to one intra-op thread: scoring ~500 candidates is small work, and
    two threads made it ~2x slower.
    """
    single_threaded_faiss()
    folder = Path(path)
    model: FeedModel
    if has_onnx(folder):
        model = OnnxModel(folder)
    else:
        import torch

        from videorec.training.artifact import load_artifact

        torch.set_num_threads(1)
        model = load_artifact(folder)
    hnsw = getattr(getattr(model, "index", None), "hnsw", None)  # an exact index has none
    if hnsw is not None:
        hnsw.efSearch = max(int(hnsw.efSearch), ANN_EF_SEARCH)
    return model


WARM_MOOD = "calm"
"""A mood encoded right after warm-up, which loads the text model (see `_load_text_model`)."""


class PipelineRegistry:
    """Holds and refreshes the `PipelineState`.

    Args:
        config: feed configuration.
        encoder: text -> unit vectors (e.g. `EmbeddingCache.encode`).
        model_loader: artifact path -> model; failures mean "no model".
        sessionmaker: when given, refreshes run in a background thread with their own session.
        mood_encoder: text -> unit vectors for free-text moods (default `encoder`); give one
            that keeps nothing, since the registry's LRU of `mood_cache` entries is their cache.
        snapshot_dir: where feed-state snapshots are read and written (None: always build).
        freeze_heap: after the warm-up's state, the text model and each background refresh,
            freeze the process's objects (`kit.heap.freeze_heap`), so a full garbage
            collection walks only what requests made since; for a serving process, not tests.
    """

    def __init__(
        self,
        config: FeedConfig,
        encoder: Encoder,
        *,
        model_loader: ModelLoader = load_artifact_model,
        sessionmaker: sessionmaker[Session] | None = None,
        mood_encoder: Encoder | None = None,
        mood_cache: int = MOOD_CACHE,
        snapshot_dir: Path | None = None,
        freeze_heap: bool = False,
    ) -> None:
        default_one_thread()  # before the state's build or the model's loader imports FAISS
        self.snapshot_dir = snapshot_dir
        self.freeze_heap = freeze_heap
        self.config = config
        self.encoder = encoder
        self.mood_encoder = mood_encoder or encoder
        self.model_loader = model_loader
        self.sessionmaker = sessionmaker
        self._state: PipelineState | None = None
        self._lock = threading.Lock()
        self._checked = 0.0
        self._refreshing = False
        self._refresh_guard = threading.Lock()
        self._warming = False
        self.listeners: list[Callable[[PipelineState], None]] = []
        """Called with each state built in the background (warm-up, refresh), once it serves:
        quick, or starting a thread of their own (`serving/pool_warmer.py`)."""
        self.text_model_status = "not loaded"
        """ "not loaded", "loading" (after the warm-up built the state), "ready" or "failed"."""
        self.mood_vector = lru_cache(maxsize=mood_cache)(self._mood_vector)

    @property
    def status(self) -> str:
        """ "ready", "building" (warm-up running) or "on first request" (not built yet)."""
        if self._warming:
            return "building"
        return "ready" if self._state is not None else "on first request"

    @property
    def current(self) -> PipelineState | None:
        """The state as it is (None before the first build), without checking for changes."""
        return self._state

    def warm_up(self) -> None:
        """Start building the state in a background thread; no-op without a sessionmaker.

        A request that arrives meanwhile waits for it (`state` takes the same lock); a failed
        warm-up is logged and the first request builds the state instead.
        """
        if self.sessionmaker is None or self._state is not None or self._warming:
            return
        self._warming = True
        threading.Thread(target=self._warm, name="feed-warm-up", daemon=True).start()

    def _warm(self) -> None:
        assert self.sessionmaker is not None
        try:
            with self._lock:
                if self._state is None:
                    with self.sessionmaker() as db:
                        self._state = self.build(db)
                    self._checked = time.monotonic()
        except Exception as exc:  # e.g. the database is down or not migrated yet
            log.warning("feed_state_warm_up_failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._warming = False
        self._freeze()
        self._announce()
        self._load_text_model()

    def _announce(self) -> None:
        """Tell the listeners about the current state (a failing one is logged, not raised)."""
        state = self._state
        if state is None:
            return
        for listener in self.listeners:
            try:
                listener(state)
            except Exception:
                log.exception("feed_state_listener_failed")

    def _freeze(self) -> None:
        """Freeze the long-lived objects made so far (`freeze_heap`), when asked to."""
        if self.freeze_heap:
            log.info("heap_frozen", objects=heap.freeze_heap())

    def _load_text_model(self) -> None:
        """Encode `WARM_MOOD`, which loads the text model (torch and a transformer, ~10 s on a
        busy box), after the feed says ready: only requests with a `mood` need it, and until it
        is loaded they wait for it (`text_model_status` says "loading")."""
        self.text_model_status = "loading"
        try:
            self.mood_vector(WARM_MOOD)
            status = "ready"
        except Exception as exc:  # a broken text model: mood requests will say so themselves
            log.warning("text_model_load_failed", error=f"{type(exc).__name__}: {exc}")
            status = "failed"
        self._freeze()  # the text model's objects too, before anyone reads the status
        self.text_model_status = status

    def state(self, db: Session) -> PipelineState:
        """The current state, built now if there is none, refreshed if the data changed."""
        if self._state is None:
            with self._lock:
                if self._state is None:
                    self._state = self.build(db)
                    self._checked = time.monotonic()
            return self._state
        if time.monotonic() - self._checked >= self.config.refresh_s:
            self._maybe_refresh(db)
        return self._state

    def build(self, db: Session) -> PipelineState:
        """The catalogue and log statistics (from a snapshot when one matches), and the model."""
        started = time.perf_counter()
        watermark = feed.watermark(db)
        index, stats, source = self._catalogue_and_stats(db, watermark)
        version, model = self._load_model(db)
        neighbours, weights = self._load_extras(db, index) if model is not None else ({}, {})
        log.info("feed_state_built", posts=len(index), model_version=version, source=source,
                 seconds=round(time.perf_counter() - started, 2))  # fmt: skip
        return PipelineState(index, stats, model, version, watermark,
                             neighbours=neighbours, weights=weights)  # fmt: skip

    def _catalogue_and_stats(
        self, db: Session, watermark: Watermark
    ) -> tuple[CatalogIndex, LogStats, str]:
        """(index, stats, "snapshot" or "built"): a matching snapshot, else built and saved."""
        c = self.config
        knobs: dict[str, object] = {"half_life_s": c.trend_half_life_s,
                                    "history": c.covisit_history,
                                    "neighbours": c.covisit_neighbors}  # fmt: skip
        key = snapshot_key(watermark.data, knobs)  # the model version does not shape them
        if self.snapshot_dir is not None:
            loaded = load_snapshot(self.snapshot_dir, key)
            if loaded is not None:
                return loaded[0], loaded[1], "snapshot"
        before = self._state.index if self._state is not None else None  # its quantizer and
        index = build_index(logs.load_catalog(db), self.encoder, feed.category_names(db),
                            previous=before)  # codes are kept  # fmt: skip
        stats = build_stats(
            index, logs.load_interactions(db), half_life_s=c.trend_half_life_s,
            history=c.covisit_history, neighbours=c.covisit_neighbors,
        )  # fmt: skip
        if self.snapshot_dir is not None:
            try:
                save_snapshot(self.snapshot_dir, key, index, stats)
            except OSError as exc:  # a read-only or full disk: serve anyway, build next time
                log.warning("feed_snapshot_not_saved", error=f"{type(exc).__name__}: {exc}")
        return index, stats, "built"

    def poke(self) -> None:
        """Start a background refresh when one is due, as `state` would, without a database
        session (for a path that reads none); no-op without a sessionmaker or a state."""
        if self.sessionmaker is None or self._state is None:
            return
        if time.monotonic() - self._checked >= self.config.refresh_s:
            self._checked = time.monotonic()
            self._start_refresh()

    def _maybe_refresh(self, db: Session) -> None:
        self._checked = time.monotonic()
        assert self._state is not None
        if self.sessionmaker is None:  # inline, on the request's session
            if feed.watermark(db) != self._state.watermark:
                self._state = self.build(db)
            return
        self._start_refresh()

    def _start_refresh(self) -> None:
        with self._refresh_guard:  # two worker threads may both find the check due
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh_in_background, daemon=True).start()

    def _refresh_in_background(self) -> None:
        """Check the watermark and, when the data changed, rebuild: with a session of its own."""
        assert self.sessionmaker is not None
        assert self._state is not None
        try:
            with self.sessionmaker() as db:
                if feed.watermark(db) == self._state.watermark:
                    return
                self._state = self.build(db)
            self._freeze()
            self._announce()
        except Exception:  # a failed refresh keeps serving the previous state
            log.exception("feed_state_refresh_failed")
        finally:
            self._refreshing = False

    def _load_model(self, db: Session) -> tuple[str | None, FeedModel | None]:
        version, path = feed.active_model(db)
        if version is None or path is None:
            return None, None
        try:
            return version, self.model_loader(path)
        except Exception as exc:  # missing module, missing file, bad artifact: serve without
            log.warning("model_load_failed", version=version, error=f"{type(exc).__name__}: {exc}")
            return None, None

    def _load_extras(
        self, db: Session, index: CatalogIndex
    ) -> tuple[dict[str, sp.csr_matrix], dict[str, float]]:
        """The active artifact's neighbour lists (on `index`) and weights; none if it has none."""
        _, path = feed.active_model(db)
        try:
            extras = load_extras(Path(path)) if path is not None else None
        except Exception as exc:  # a damaged side file: serve with the config's weights
            log.warning("serving_extras_load_failed", error=f"{type(exc).__name__}: {exc}")
            extras = None
        return (extras.on(index), dict(extras.weights)) if extras is not None else ({}, {})

    def _mood_vector(self, mood: str) -> Matrix:
        vector: Matrix = self.mood_encoder([mood])[0]
        return vector
