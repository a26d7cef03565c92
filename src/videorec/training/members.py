"""Train a retrieval ensemble's members side by side, each in a forked process of its own.

Training steps run on one torch thread (`threads = 1`: its small batches gain little from
more), so while a pair of two-towers trains one after the other, a 2-core box leaves a core
idle. The members do not depend on one another (member k starts from seed `seed + k` and
early-stops on its own validation), so each can train at the same time in a process of its
own:

- **fork**, not spawn: the child inherits the prepared features, examples and validation set
  as they are (nothing pickled, nothing copied until written), the torch thread setting and
  the global RNG state, so a member trains exactly as it would have here, bit for bit.
- The child reports progress through a queue; this process relays it to the observer, so
  the progress bars of every member move together.
- The child saves its trained weights, its epochs and its RNG state when done to a file; this
  process loads the weights into a member built here. The RNG state of the last member is
  restored afterwards, as if the members had trained here one after the other, so the stages
  that follow (the ranker's initialisation) draw the same numbers either way.
- A child that fails sends its exception; one that dies (killed, out of memory) is named with
  its exit code. Either way the others are stopped and `train_members` raises.

Only on CPU (CUDA does not survive a fork) and where `fork` exists; `member_processes` says
how many at once (`processes_for`).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from videorec.errors import VideorecError
from videorec.models.two_tower import TwoTower
from videorec.training.observer import Observer

Epochs = list[dict[str, float]]
TrainOne = Callable[[int, Observer], tuple[TwoTower, Epochs]]
"""Member k trained (built, seeded and trained as the sequential loop does) -> (model, epochs)."""
Build = Callable[[], TwoTower]
"""An untrained member of the same shape, to load a child's weights into."""
POLL_S = 0.5
"""How often the relay checks that the children still run while no message comes."""


class MemberFailed(VideorecError):
    """A member's training process failed or died."""

    code = "training_failed"


def processes_for(members: int, setting: int, device: torch.device) -> int:
    """How many members train at once: `setting` when given (1: one after the other, here);
    with 0, one per member up to this process's cores divided by torch's threads. Always 1 on
    a GPU (CUDA does not survive a fork) and where processes cannot be forked."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    if members <= 1 or device.type != "cpu" or not forks:
        return 1
    if setting:
        return min(setting, members)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(members, (cores or 1) // max(1, torch.get_num_threads())))


def train_members(
    count: int, train_one: TrainOne, build: Build, observer: Observer, processes: int
) -> list[tuple[TwoTower, Epochs]]:
    """Members 0..count-1 trained by `train_one`, `processes` at a time in forked children
    (1: one after the other in this process), in member order."""
    if processes <= 1:
        return [train_one(k, observer) for k in range(count)]
    out: list[tuple[TwoTower, Epochs]] = []
    rng_state = torch.get_rng_state()
    with tempfile.TemporaryDirectory(prefix="videorec-members-") as folder:
        for start in range(0, count, processes):
            torch.set_rng_state(rng_state)  # each child starts where the loop would have
            batch = range(start, min(count, start + processes))
            done = _run_children(batch, train_one, observer, Path(folder))
            for k in batch:
                member = build()
                member.load_state_dict(done[k].state)
                out.append((member, done[k].epochs))
            rng_state = done[batch[-1]].rng_state
    torch.set_rng_state(rng_state)  # as the last member's training left it, as in the loop
    return out


@dataclass
class _Finished:
    state: dict[str, torch.Tensor]
    epochs: Epochs
    rng_state: torch.Tensor


def _run_children(
    members: range, train_one: TrainOne, observer: Observer, folder: Path
) -> dict[int, _Finished]:
    """Fork one child per member, relay their progress until each has finished, load their
    results; on any failure stop the others and raise."""
    context = multiprocessing.get_context("fork")
    messages: Any = context.Queue()
    children = {
        k: context.Process(target=_child, args=(k, train_one, messages, folder / f"{k}.pt"),
                           name=f"videorec-member-{k}", daemon=True)
        for k in members
    }  # fmt: skip
    try:
        for child in children.values():
            child.start()
        _relay(messages, children, observer)
        for child in children.values():
            child.join()
        return {k: _Finished(**torch.load(folder / f"{k}.pt", weights_only=True)) for k in members}
    finally:
        for child in children.values():
            if child.is_alive():
                child.terminate()
                child.join()
        messages.close()


def _relay(messages: Any, children: dict[int, Any], observer: Observer) -> None:
    """Pass the children's progress to `observer` until every child has said it is done."""
    pending = set(children)
    while pending:
        try:
            message = messages.get(timeout=POLL_S)
        except queue.Empty:
            for k in sorted(pending):
                code = children[k].exitcode
                if code is not None:  # gone without a word: killed, or out of memory
                    raise MemberFailed(
                        f"the process training retrieval member {k} died (exit code {code}); "
                        "if it ran out of memory, set two_tower.member_processes = 1"
                    ) from None
            continue
        kind, k, payload = message
        if kind == "done":
            pending.discard(k)
        elif kind == "failed":
            raise _failure(k, payload)
        else:
            getattr(observer, kind)(*payload)


def _failure(k: int, payload: tuple[bytes | None, str]) -> Exception:
    """The child's exception when it could be sent, else one naming its traceback."""
    pickled, text = payload
    if pickled is not None:
        try:
            exc = pickle.loads(pickled)
            if isinstance(exc, Exception):
                return exc
        except Exception:  # noqa: S110 - an exception that does not unpickle: use its text
            pass
    return MemberFailed(f"training retrieval member {k} failed:\n{text}")


class _QueueObserver:
    """The child's observer: every call goes to the parent as (method, member, arguments).
    A child whose parent has gone (killed: no `finally` of its ran) ends at its next step
    instead of training on for nobody."""

    def __init__(self, messages: Any, k: int) -> None:
        self.messages, self.k, self.parent = messages, k, os.getppid()

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.messages.put(("on_stage", self.k, (stage, steps_per_epoch, epochs)))

    def on_step(self, stage: str, loss: float) -> None:
        if os.getppid() != self.parent:
            os._exit(1)
        self.messages.put(("on_step", self.k, (stage, loss)))

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        self.messages.put(("on_epoch", self.k, (stage, epoch, loss, metrics)))


def _child(k: int, train_one: TrainOne, messages: Any, path: Path) -> None:
    """In the forked child: train member k, save what the parent needs, say done or failed."""
    try:
        model, epochs = train_one(k, _QueueObserver(messages, k))
        result = {"state": model.state_dict(), "epochs": epochs, "rng_state": torch.get_rng_state()}
        torch.save(result, path)
        messages.put(("done", k, None))
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
        messages.put(("failed", k, (_pickled(exc), traceback.format_exc())))
    finally:
        messages.close()
        messages.join_thread()  # every message is in the pipe before the process ends


def _pickled(exc: BaseException) -> bytes | None:
    try:
        return pickle.dumps(exc)
    except Exception:
        return None
