"""The serving extras' neighbour lists, fitted in a forked child while the model trains.

The lists (EASE, RP3beta, item-kNN, tuned on validation) do not depend on the model, and the
model's stages after retrieval (short histories, the ranker) run on one core: a child at low
priority fits the lists on the other (22 s of one core on the demo). It starts when the first
training stage after the text encoding starts, not before: the first-time encoding sizes its
threads by the cores idle at that moment (`features.text.idle_cores`), and the child would take
one. Where the box has one core or cannot fork, or the child fails (out of memory, say), the
lists are fitted after the model as before (`fit_serving_extras`).
"""

from __future__ import annotations

import structlog
from threadpoolctl import threadpool_limits

from videorec.features.log import InteractionLog, PostCatalog
from videorec.kit import cpu
from videorec.training import forked
from videorec.training.config import TrainConfig
from videorec.training.observer import Observer, SilentObserver
from videorec.training.serving_extras import NeighbourLists, neighbour_lists
from videorec.training.stages import TEXT_STAGE

log = structlog.get_logger(__name__)
NICE = 10
"""Priority of the child: below training's, so the lists take idle cores only."""


class ListsBeside:
    """Start with `watching(observer)` as `fit`'s observer; take the lists with `result()`;
    `stop()` in a `finally`, so a failed fit leaves no child behind."""

    def __init__(
        self, train: InteractionLog, validation: InteractionLog, catalog: PostCatalog,
        config: TrainConfig,
    ) -> None:  # fmt: skip
        self.train, self.validation, self.catalog = train, validation, catalog
        self.seed = config.seed
        self.wanted = config.serving_extras.enabled and forked.can_fork() and cpu.cores() > 1
        self.job: forked.Forked[NeighbourLists] | None = None

    def watching(self, observer: Observer) -> Observer:
        """`observer`, starting the child when the first stage after the text encoding does."""
        return _StartOn(self, observer)

    def start(self) -> None:
        """Fork the child (once; nothing where it is not wanted)."""
        if self.wanted and self.job is None:
            self.job = forked.start(self._fit, "the neighbour lists", nice=NICE)

    def result(self) -> NeighbourLists | None:
        """The child's lists; None when it never started or failed (then they are fitted
        after the model, in this process)."""
        if self.job is None:
            return None
        try:
            return forked.gather([self.job], SilentObserver())[0]
        except forked.ChildFailed as exc:
            log.warning("neighbour_lists_child_failed", error=str(exc), fallback="in process")
            return None

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()

    def _fit(self, _: Observer) -> NeighbourLists:
        with threadpool_limits(1, user_api="blas"):  # the idle core, not both
            return neighbour_lists(self.train, self.validation, self.catalog, seed=self.seed)


class _StartOn:
    """An observer that starts the lists' child when a stage other than the text encoding
    starts, and passes every call on."""

    def __init__(self, lists: ListsBeside, inner: Observer) -> None:
        self.lists, self.inner = lists, inner

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        if stage != TEXT_STAGE:
            self.lists.start()
        self.inner.on_stage(stage, steps_per_epoch, epochs)

    def on_step(self, stage: str, loss: float) -> None:
        self.inner.on_step(stage, loss)

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        self.inner.on_epoch(stage, epoch, loss, metrics)
