"""How recipes report progress without knowing about terminals: an observer protocol."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Receives progress from the recipes (the CLI draws it with rich; tests ignore it)."""

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        """A stage ("two_tower", "ranker") starts."""

    def on_step(self, stage: str, loss: float) -> None:
        """One optimiser step finished."""

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        """An epoch finished, with its mean loss and validation metrics."""


class SilentObserver:
    """An observer that ignores everything."""

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        return None

    def on_step(self, stage: str, loss: float) -> None:
        return None

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        return None
