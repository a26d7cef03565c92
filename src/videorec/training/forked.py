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

import ctypes
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a child gets when its parent ends."""
DRAIN = 256
"""The most messages `gather` passes on from one child before looking at the next."""


class ChildFailed(VideorecError):
    """A forked training job failed or its process died."""

    code = "training_failed"


def can_fork() -> bool:
    """Whether training may fork here: Linux only (macOS forks, but not safely once its
    Accelerate or Objective-C runtime has started; Windows does not fork)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


@dataclass
class Forked(Generic[T]):
    """A job running in a forked child; `gather` collects its result."""

    name: str
    process: Any
    messages: Any
    path: Path
    folder: tempfile.TemporaryDirectory[str]

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
    process = context.Process(target=_child, args=(job, messages, path, nice, os.getpid()),
                              name=f"videorec-{name}", daemon=True)  # fmt: skip
    try:
        process.start()
    except BaseException:  # e.g. fork refused for memory: nothing of this job stays behind
        messages.close()
        folder.cleanup()
        raise
    return Forked(name, process, messages, path, folder)


def start_all(jobs: Sequence[tuple[Job[T], str]], *, nice: int = 0) -> list[Forked[T]]:
    """`start` for each (job, name); if one cannot start, those started are stopped."""
    started: list[Forked[T]] = []
    try:
        for job, name in jobs:
            started.append(start(job, name, nice=nice))
    except BaseException:
        for forked in started:
            forked.stop()
        raise
    return started


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
        if code is None:
            return False
        try:  # it may have said "done" and ended between the wait and the look
            message = job.messages.get(timeout=POLL_S)
        except queue.Empty:  # gone without a word: killed, or out of memory
            raise ChildFailed(f"the process running {job.name} died (exit code {code})") from None
    for _ in range(DRAIN):  # a bounded turn: the other children's messages wait no longer
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
    return False


def _failure(name: str, payload: tuple[bytes | None, str]) -> Exception:
    """The child's exception when it could be sent, else one carrying its traceback."""
    pickled, text = payload
    if pickled is not None:
        try:
            exc = pickle.loads(pickled)
            if isinstance(exc, Exception):
                exc.add_note(f"raised in the process running {name}:\n{text}")
                return exc
        except Exception:  # noqa: S110 - an exception that does not unpickle: use its text
            pass
    return ChildFailed(f"{name} failed:\n{text}")


class _QueueObserver:
    """The child's observer: every call goes to the parent as (method, arguments). A child
    whose parent has gone (killed: no `finally` of its ran) ends at its next step."""

    def __init__(self, messages: Any, parent: int) -> None:
        self.messages, self.parent = messages, parent

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.messages.put(("on_stage", (stage, steps_per_epoch, epochs)))

    def on_step(self, stage: str, loss: float) -> None:
        if os.getppid() != self.parent:
            os._exit(1)
        self.messages.put(("on_step", (stage, loss)))

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        self.messages.put(("on_epoch", (stage, epoch, loss, metrics)))


def _child(job: Job[Any], messages: Any, path: Path, nice: int, parent: int) -> None:
    """In the forked child: run the job, save its result, say done or failed."""
    # The parent's `sys.stdout` may be rich's proxy of a live progress display, whose lock
    # the fork may have copied held: a child writes (if ever) to the real streams.
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    _end_with(parent)
    try:
        if nice:
            os.nice(nice)
        torch.save(job(_QueueObserver(messages, parent)), path)
        messages.put(("done", None))
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
        messages.put(("failed", (_pickled(exc), traceback.format_exc())))
    finally:
        messages.close()
        messages.join_thread()  # every message is in the pipe before the process ends


def _end_with(parent: int) -> None:
    """Have the kernel end this child when `parent` ends (Linux `PR_SET_PDEATHSIG`; jobs that
    report no progress check nothing themselves), and end now if it has ended already."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux's libc: `on_step` still checks
        pass
    if os.getppid() != parent:
        os._exit(1)


def _pickled(exc: BaseException) -> bytes | None:
    try:
        return pickle.dumps(exc)
    except Exception:
        return None
