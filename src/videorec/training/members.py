"""Train a retrieval ensemble's members side by side, each in a forked process of its own.

The members do not depend on one another (member k starts from seed `seed + k` and early-stops
on its own validation), so on a box with a core per member they train at the same time, each in
a child of `training.forked` (one torch thread each), and the model is the one the
one-after-the-other loop gives, bit for bit:

- a child inherits the prepared data and the global RNG state by the fork, so member 0 starts
  from `fit`'s seeding as it would here, and member k reseeds with `seed + k` as it would here;
- it sends back its trained weights, its epochs and its RNG state; this process loads the
  weights into a member built here, then restores the last member's RNG state, as if the
  members had trained here one after the other, so the stages that follow (the ranker's
  initialisation) draw the same numbers either way.

`member_processes` says how many at once (`processes_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from videorec.kit import cpu
from videorec.models.two_tower import TwoTower
from videorec.training import forked
from videorec.training.observer import Observer

Epochs = list[dict[str, float]]
TrainOne = Callable[[int, Observer], tuple[TwoTower, Epochs]]
"""Member k trained (built, seeded and trained as the sequential loop does) -> (model, epochs)."""
Build = Callable[[], TwoTower]
"""An untrained member of the same shape, to load a child's weights into."""


def processes_for(members: int, setting: int, device: torch.device) -> int:
    """How many members train at once: `setting` when given (1: one after the other, here);
    with 0, one per member up to this process's cores divided by torch's threads. Always 1 on
    a GPU (CUDA does not survive a fork) and where processes cannot be forked."""
    if members <= 1 or device.type != "cpu" or not forked.can_fork():
        return 1
    if setting:
        return min(setting, members)
    return max(1, min(members, cpu.cores() // max(1, torch.get_num_threads())))


def train_members(
    count: int, train_one: TrainOne, build: Build, observer: Observer, processes: int
) -> list[tuple[TwoTower, Epochs]]:
    """Members 0..count-1 trained by `train_one`, `processes` at a time in forked children
    (1: one after the other in this process), in member order."""
    if processes <= 1:
        return [train_one(k, observer) for k in range(count)]
    out: list[tuple[TwoTower, Epochs]] = []
    rng_state = torch.get_rng_state()
    for first in range(0, count, processes):
        torch.set_rng_state(rng_state)  # each child starts where the loop would have
        batch = range(first, min(count, first + processes))
        jobs = forked.start_all([(_packed(train_one, k), f"retrieval member {k}") for k in batch])
        for done in forked.gather(jobs, observer):
            member = build()
            member.load_state_dict(done["state"])
            out.append((member, done["epochs"]))
            rng_state = done["rng_state"]
    torch.set_rng_state(rng_state)  # as the last member's training left it, as in the loop
    return out


def _packed(train_one: TrainOne, k: int) -> forked.Job[dict[str, Any]]:
    """Member k's job in a child: what the parent needs to rebuild it."""

    def job(observer: Observer) -> dict[str, Any]:
        model, epochs = train_one(k, observer)
        return {"state": model.state_dict(), "epochs": epochs, "rng_state": torch.get_rng_state()}

    return job
