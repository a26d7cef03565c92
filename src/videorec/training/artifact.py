"""Model artifacts on disk: `var/models/<version>/` with everything serving needs.

Layout:
    config.json        the `TrainConfig` it was trained with, plus the module sizes
    metrics.json       validation metrics of the model and of the popularity baseline
    features.json      fitted pipeline settings (vocabularies of terms, signal weights, ...)
    features.npz       fitted pipeline arrays (id vocabularies, scalers); older artifacts also
                       hold the post table here
    table/             (newer artifacts) the post table, one `table_<column>.npy` per column
    two_tower.pt       two-tower weights (state dict; for a pair, `two_tower.members` > 1, the
                       members' under `members.<k>.`)
    ranker.pt          ranker weights (absent when the ranker is disabled, or when it did not
                       beat retrieval alone on validation: metrics.json's "selection" says which)
    short_tower.pt     the short-history user tower's weights and the history length up to which
                       it serves (absent when disabled or dropped by validation: metrics.json's
                       "selection" "short_history" says which)
    post_vectors.npy   the post tower's vectors (a pair's side by side), rows in `post_ids` order
    index.faiss        the ANN index over `post_vectors` (exact or HNSW)
    encodings/         (newer artifacts) `two_tower.npy` (`two_tower.<k>.npy` for a pair's
                       member k > 0) / `ranker.npy`: each post encoder's
                       precomputed output for every table row, so loading skips that pass

Loading memory-maps the `.npy` files (post vectors, encodings): a server starts without
reading them whole, and pages in only the rows requests touch.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import torch

from videorec.errors import NotFound
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.models import builders
from videorec.models.ensemble import lead_tower
from videorec.models.short_history import ShortHistoryTower
from videorec.training.config import TrainConfig
from videorec.training.model import LoadedModel
from videorec.training.stages import ranker_args, tower_args


def new_version() -> str:
    """A sortable, unique version name: UTC time plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def save_artifact(model: LoadedModel, root: Path, version: str | None = None) -> Path:
    """Write `model` under `root/<version>/` and set `model.version`; returns the folder."""
    version = version or new_version()
    folder = root / version
    folder.mkdir(parents=True, exist_ok=False)
    meta, arrays = model.pipeline.state()
    (folder / "features.json").write_text(json.dumps(meta))
    np.savez(folder / "features.npz", allow_pickle=False, **arrays)
    (folder / "table").mkdir()
    for name, column in model.table.arrays().items():
        np.save(folder / "table" / f"{name}.npy", column, allow_pickle=False)
    config = {"train": model.config.model_dump(), "sizes": _sizes(model)}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    (folder / "metrics.json").write_text(json.dumps(model.metrics, indent=2))
    torch.save(model.two_tower.state_dict(), folder / "two_tower.pt")
    if model.ranker is not None:
        torch.save(model.ranker.state_dict(), folder / "ranker.pt")
    if model.short_tower is not None:
        torch.save(model.short_tower.state_dict(), folder / "short_tower.pt")
    np.save(folder / "post_vectors.npy", model.post_vectors)
    faiss.write_index(model.index, str(folder / "index.faiss"))
    encodings = model.frozen_encodings()
    if encodings:
        (folder / "encodings").mkdir()
        for name, array in encodings.items():
            np.save(folder / "encodings" / f"{name}.npy", array, allow_pickle=False)
    model.version = version
    return folder


def load_artifact(path: Path, *, device: str = "cpu") -> LoadedModel:
    """Rebuild the `LoadedModel` saved in `path` (a `var/models/<version>/` folder).

    Raises:
        NotFound: the folder is not a complete artifact.
    """
    try:
        config_doc = json.loads((path / "config.json").read_text())
        meta = json.loads((path / "features.json").read_text())
        with np.load(path / "features.npz") as data:
            arrays = {key: data[key] for key in data.files}
        arrays.update(_columns(path / "table"))
    except (OSError, ValueError) as exc:
        raise NotFound(f"no model artifact at {path}: {exc}") from exc
    config = TrainConfig.model_validate(_before_options(config_doc["train"]))
    pipeline = FeaturePipeline.from_state(meta, arrays)
    table = PostTable.from_arrays(arrays)
    tensors = {k.removeprefix("table_"): torch.from_numpy(v).to(device)  # no copy of the table
               for k, v in arrays.items()
               if k.startswith("table_") and k != "table_post_ids"}  # fmt: skip
    sizes: dict[str, Any] = config_doc["sizes"]
    two_tower = builders.retrieval(
        tensors, members=config.two_tower.members, **sizes, **tower_args(config)
    ).to(device)
    two_tower.load_state_dict(_weights(path / "two_tower.pt", device))
    short_tower = None
    if (path / "short_tower.pt").exists():
        short_tower = ShortHistoryTower(lead_tower(two_tower), 0).to(device)
        short_tower.load_state_dict(_weights(path / "short_tower.pt", device))
    ranker = None
    if (path / "ranker.pt").exists():
        ranker = builders.ranker(tensors, **sizes, **ranker_args(config))
        ranker.to(device).load_state_dict(_weights(path / "ranker.pt", device))
    return LoadedModel(
        version=path.name, config=config, pipeline=pipeline, table=table,
        two_tower=two_tower, ranker=ranker, index=faiss.read_index(str(path / "index.faiss")),
        post_vectors=np.load(path / "post_vectors.npy", mmap_mode="c"),
        metrics=json.loads((path / "metrics.json").read_text()),
        encodings=_encodings(path / "encodings"), short_tower=short_tower,
    )  # fmt: skip


def _before_options(train: dict[str, Any]) -> dict[str, Any]:
    """An artifact's training config, with the options that change the weights' shapes set as
    they were before the option existed where its config.json does not name them (their code
    defaults may have changed since)."""
    tower = {"history_ids": False, "post_bias": False, "members": 1, **train.get("two_tower", {})}
    return {**train, "two_tower": tower}


def _columns(folder: Path) -> dict[str, Any]:
    """The post table's columns, memory-mapped copy-on-write; {} for an older artifact."""
    if not folder.is_dir():
        return {}
    return {f.stem: np.load(f, mmap_mode="c") for f in sorted(folder.glob("*.npy"))}


def _encodings(folder: Path) -> dict[str, Any]:
    """Stored post-encoder outputs by model name (memory-mapped copy-on-write); {} if none."""
    if not folder.is_dir():  # an artifact from before they were stored: computed at load
        return {}
    return {f.stem: np.load(f, mmap_mode="c") for f in sorted(folder.glob("*.npy"))}


def _weights(path: Path, device: str) -> dict[str, Any]:
    state: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
    return state


def _sizes(model: LoadedModel) -> dict[str, int]:
    p = model.pipeline
    return {"n_users": len(p.users), "n_ids": len(p.posts), "n_creators": len(p.creators),
            "n_categories": len(p.categories), "n_moods": len(p.moods)}  # fmt: skip
