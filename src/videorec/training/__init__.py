"""Training: the feature pipeline, two-tower retrieval and the multi-task ranker, end to end.

`fit` runs the stages of `training.stages` in order: prepare -> retrieval -> ranker -> select ->
assemble.

Pure-Python API (no database), for `videorec train` and for offline evaluation:

    from videorec.training import TrainConfig, fit, load_artifact, load_config, save_artifact

    model = fit(train, catalog, config=None, device="cpu")   # -> LoadedModel
    model.score_all(user_ids, histories)   # (n_users, len(model.post_ids)) float32
    save_artifact(model, Path("var/models"))               # sets model.version
    same = load_artifact(Path("var/models") / model.version)

`fit(train: InteractionLog, catalog: PostCatalog, config: TrainConfig | None = None, *,
device: str = "cpu", validation: InteractionLog | None = None, text_encoder=None,
observer=None, max_steps=None) -> LoadedModel`:
    - `train`: the events to learn from. Without `validation`, the last
      `config.split.validation_fraction` of its time span is held out for early stopping (and
      not trained on). Pass `validation` to control that split yourself.
    - `catalog`: every post that may be recommended; `score_all` ranks exactly these
      (`model.post_ids` is `catalog.post_ids` sorted ascending).
    - `text_encoder`: `list[str] -> (n, 384) float32` (default: the offline MiniLM encoder
      through an in-memory `EmbeddingCache`; set `config.features.use_text = False` to skip).
    - `device`: "cpu" or "cuda" (InvalidInput if CUDA is asked for and missing).
    - Deterministic for a given config seed on CPU; runs on `config.threads` torch threads.

`LoadedModel` (satisfies `videorec.serving.scorer.FeedModel`):
    - `version: str`, `post_ids: (m,) int64` ascending, `post_vectors: (m, d) float32` (unit
      rows under cosine similarity; with `two_tower.members` > 1 the members' side by side).
    - `user_vector(user_id | None, history) -> (d,)`; `user_vectors(user_ids, histories) -> (n, d)`.
    - `retrieve(user_id, history, k) -> (post_ids (k',), similarities (k',))` via FAISS.
    - `score(user_id, history, post_ids (c,)) -> (c,)`: ranker blend + retrieval similarity.
    - `score_all(user_ids, histories) -> (n, m)` over `post_ids`: two-tower inner products for
      all posts, the top `config.ranker.rerank_depth` of each user reordered by the final score
      and lifted above the rest. It does NOT remove seen posts: mask them yourself.
    - `metrics`: validation metrics of the model ("model") and of popularity ("popularity"), and
      `select`'s decision ("selection": the ranker is kept only when it beats retrieval alone;
      otherwise `ranker` is None and scores are the retrieval similarities), and the
      short-history tower's ("selection"."short_history": kept for histories of 1..`max_events`
      events, else `short_tower` is None and every user vector is the two-tower's, or the pair's).
    `user_ids` may hold ids the model never saw (or None): they use the OOV embedding. Each
    history is that user's `InteractionLog`, oldest first (may be empty); only its last
    `config.features.history_length` events are used. `training.split.split_by_user(log)` gives
    `{user_id: InteractionLog}` for a whole log in one pass.
"""

from videorec.training.artifact import load_artifact, save_artifact
from videorec.training.config import TrainConfig, load_config
from videorec.training.fit import fit
from videorec.training.model import LoadedModel
from videorec.training.split import split_by_user, temporal_split

__all__ = [
    "LoadedModel",
    "TrainConfig",
    "fit",
    "load_artifact",
    "load_config",
    "save_artifact",
    "split_by_user",
    "temporal_split",
]
