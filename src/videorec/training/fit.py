"""`fit`: from an interaction log and a catalogue to a `LoadedModel`, with no database.

It runs the stages of `training.stages` in order: prepare features -> retrieval -> short
histories -> ranker -> select -> assemble. Validation metrics of the model and of the popularity
baseline, and what the short-history stage and `select` decided, go into `model.metrics`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
import torch

from videorec.errors import InvalidInput
from videorec.features.log import InteractionLog, PostCatalog
from videorec.training import stages
from videorec.training.config import TrainConfig
from videorec.training.model import LoadedModel
from videorec.training.observer import Observer, SilentObserver
from videorec.training.split import temporal_split

log = structlog.get_logger(__name__)
TextEncoder = stages.TextEncoder


def fit(
    train: InteractionLog,
    catalog: PostCatalog,
    config: TrainConfig | None = None,
    *,
    device: str = "cpu",
    validation: InteractionLog | None = None,
    text_encoder: TextEncoder | None = None,
    observer: Observer | None = None,
    max_steps: int | None = None,
) -> LoadedModel:
    """Train both models; see the `videorec.training` docstring for the contract."""
    config = config or TrainConfig()
    observer = observer or SilentObserver()
    if len(train) == 0 or len(catalog) == 0:
        raise InvalidInput("cannot train on an empty interaction log or catalogue")
    if validation is None:
        train, validation = temporal_split(train, config.split.validation_fraction)
    with seeded(config.seed, config.threads):
        prepared = stages.prepare(train, validation, catalog, config, device=device_for(device),
                                  text_encoder=text_encoder, observer=observer)  # fmt: skip
        trained = stages.retrieval(prepared, observer, max_steps)
        trained = stages.short_history(prepared, trained, observer, max_steps)
        trained = stages.ranker(prepared, trained, observer, max_steps)
        trained = stages.select(trained, config.ranker.min_gain)
        model = stages.assemble(prepared, trained)
    log.info("fit_finished", **model.metrics["model"], **model.metrics["selection"])
    return model


@contextmanager
def seeded(seed: int, threads: int) -> Iterator[None]:
    """Seed torch and use `threads` CPU threads (0: leave torch's setting), restored after."""
    previous = torch.get_num_threads()
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def device_for(name: str) -> torch.device:
    """The torch device `--device NAME` asks for.

    Raises:
        InvalidInput: an unknown name, or `cuda` where no CUDA device is available.
    """
    if name == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("--device cuda was asked for but no CUDA device is available")
    if name not in {"cpu", "cuda"}:
        raise InvalidInput(f"unknown device {name!r} (cpu or cuda)")
    return torch.device(name)
