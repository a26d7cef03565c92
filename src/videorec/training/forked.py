"""Run training work in forked child processes: the cores training leaves idle, put to use.

Training steps run on one torch thread (`threads = 1`: small batches gain little from more),
and the neighbour lists' tuning runs on one core too, so one after the other they leave the
second core of a 2-core box idle. `start` forks a child that runs one job; `gather` waits for
jobs, relaying their progress to the observer, and returns their results in order.

- **fork**, not spawn: the child inherits what the job reads as it is (prepared features,
  examples, matrices: nothing pickled, nothing copied until written), the torch thread
  setting and the RNG state, so a job computes exactly what it would have computed here.
- The child reports progress through a queue and writes its result to a file (`torch.save`:
  tensors and plain Python objects); the parent reads both in `gather`.
- A job that raises sends its exception (or, when that cannot be pickled, its traceback); a
  child that dies without a word (killed, out of memory) is named with its exit code. Either way
  `gather` stops the other children and raises.
- A child whose parent has gone stops at its next progress report instead of working on for
  nobody.
- `nice` lowers a child's priority, so a job that can wait (the neighbour lists) takes the cores
  only when training leaves them idle.

Only where `fork` exists and on CPU work (CUDA does not survive a fork): `can_fork`.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import torch

from videorec.errors import VideorecError
from videorec.training.observer import Observer

T = TypeVar("T")
Job = Callable[[Observer], T]
"""The work of one child: given an observer that reports to the parent, a result."""
POLL_S = 0.5
"""How often `gather` checks that the children still run while no message comes."""


class ChildFailed(VideorecError):
    """A forked training job failed or its process died."""

    code = "training_failed"


def can_fork() -> bool:
    """Whether this platform forks processes."""
    return "fork" in multiprocessing.get_all_start_methods()


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class Forked(Generic[T]):
    """A job running in a forked child; `gather` collects its result."""

    name: str
    process: Any
    messages: Any
    path: Path
    folder: tempfile.TemporaryDirectory[str]
    done: bool = field(default=False)

    def stop(self) -> None:
        """End the child if it still runs and free its queue and folder."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self.messages.close()
        self.folder.cleanup()


def start(job: Job[T], name: str, *, nice: int = 0) -> Forked[T]:
    """Fork a child that runs `job` (at `nice` priority, 0: this process's)."""
    context = multiprocessing.get_context("fork")
    folder = tempfile.TemporaryDirectory(prefix="videorec-forked-")
    path = Path(folder.name) / "result.pt"
    messages: Any = context.Queue()
    process = context.Process(target=_child, args=(job, messages, path, nice),
                              name=f"videorec-{name}", daemon=True)  # fmt: skip
    process.start()
    return Forked(name, process, messages, path, folder)


def gather(jobs: Sequence[Forked[T]], observer: Observer) -> list[T]:
    """The jobs' results in order, their progress relayed to `observer` meanwhile; on a
    failure every job is stopped and the failure raised."""
    try:
        pending = list(jobs)
        while pending:
            pending = [job for job in pending if not _relay(job, observer)]
        results = []
        for job in jobs:
            job.process.join()
            results.append(torch.load(job.path, weights_only=False))  # our own child's file
        return results
    finally:
        for job in jobs:
            job.stop()


def _relay(job: Forked[Any], observer: Observer) -> bool:
    """Pass on what `job` said since the last look (waiting up to `POLL_S` for a first
    message); whether it has finished."""
    try:
        message = job.messages.get(timeout=POLL_S)
    except queue.Empty:
        code = job.process.exitcode
        if code is not None:  # gone without a word: killed, or out of memory
            raise ChildFailed(f"the process running {job.name} died (exit code {code})") from None
        return False
    while True:
        kind, payload = message
        if kind == "done":
            return True
        if kind == "failed":
            raise _failure(job.name, payload)
        if kind in {"on_stage", "on_step", "on_epoch"}:
            getattr(observer, kind)(*payload)
        try:
            message = job.messages.get_nowait()
        except queue.Empty:
            return False


def _failure(name: str, payload: tuple[bytes | None, str]) -> Exception:
    """The child's exception when it could be sent, else one carrying its traceback."""
    pickled, text = payload
    if pickled is not None:
        try:
            exc = pickle.loads(pickled)
            if isinstance(exc, Exception):
                return exc
        except Exception:  # noqa: S110 - an exception that does not unpickle: use its text
            pass
    return ChildFailed(f"{name} failed:\n{text}")


class _QueueObserver:
    """The child's observer: every call goes to the parent as (method, arguments). A child
    whose parent has gone (killed: no `finally` of its ran) ends at its next step."""

    def __init__(self, messages: Any) -> None:
        self.messages, self.parent = messages, os.getppid()

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.messages.put(("on_stage", (stage, steps_per_epoch, epochs)))

    def on_step(self, stage: str, loss: float) -> None:
        if os.getppid() != self.parent:
            os._exit(1)
        self.messages.put(("on_step", (stage, loss)))

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        self.messages.put(("on_epoch", (stage, epoch, loss, metrics)))


def _child(job: Job[Any], messages: Any, path: Path, nice: int) -> None:
    """In the forked child: run the job, save its result, say done or failed."""
    try:
        if nice:
            os.nice(nice)
        torch.save(job(_QueueObserver(messages)), path)
        messages.put(("done", None))
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
        messages.put(("failed", (_pickled(exc), traceback.format_exc())))
    finally:
        messages.close()
        messages.join_thread()  # every message is in the pipe before the process ends


def _pickled(exc: BaseException) -> bytes | None:
    try:
        return pickle.dumps(exc)
    except Exception:
        return None
