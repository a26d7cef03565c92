"""`training.members`: a pair's members trained side by side in forked processes give the model
the one-after-the-other loop gives, bit for bit, with their progress relayed, and a member that
fails or dies fails the fit with its reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from tests.training.conftest import process_running, tiny_config
from videorec.errors import InvalidInput
from videorec.training import fit, stages
from videorec.training.forked import ChildFailed
from videorec.training.members import processes_for
from videorec.training.model import LoadedModel

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="members fork")


class Recorder:
    """An observer that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.calls.append(("on_stage", (stage, steps_per_epoch, epochs)))

    def on_step(self, stage: str, loss: float) -> None:
        self.calls.append(("on_step", (stage, loss)))

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        self.calls.append(("on_epoch", (stage, epoch, loss, tuple(sorted(metrics.items())))))


def _config(processes: int):
    config = tiny_config(epochs=2, members=2, member_processes=processes)
    config.short_history.enabled = False  # the ranker then starts from the RNG the pair left
    return config


def _fit(tiny_data, processes: int) -> tuple[LoadedModel, Recorder]:
    torch.set_num_threads(1)
    log, catalog = tiny_data
    recorder = Recorder()
    return fit(log, catalog, _config(processes), observer=recorder), recorder


@pytest.fixture(scope="module")
def both(tiny_data) -> dict[int, tuple[LoadedModel, Recorder]]:
    """The same pair trained here one member after the other (1) and in two children (2)."""
    return {processes: _fit(tiny_data, processes) for processes in (1, 2)}


def test_members_trained_in_children_equal_those_trained_here(both) -> None:
    assert processes_for(2, 2, torch.device("cpu")) == 2  # the second fit really forked
    here, children = both[1][0], both[2][0]
    for a, b in zip(here.two_tower.towers, children.two_tower.towers, strict=True):
        for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(x, y), name
    assert children.metrics["two_tower_epochs"] == here.metrics["two_tower_epochs"]
    assert children.metrics["model"] == here.metrics["model"]
    # the ranker is built from the RNG state the last member left: restored in the parent
    assert children.metrics["ranker_epochs"] == here.metrics["ranker_epochs"]


def test_the_childrens_progress_reaches_the_observer(both) -> None:
    here, children = both[1][1].calls, both[2][1].calls
    assert Counter(c for c in children if c[0] == "on_stage") == Counter(
        c for c in here if c[0] == "on_stage"
    )
    members = [c for c in children if c[1][0] in {"two_tower 1/2", "two_tower 2/2"}]
    assert Counter(members) == Counter(c for c in here if c[1][0].startswith("two_tower"))
    assert {c[1][0] for c in members if c[0] == "on_step"} == {"two_tower 1/2", "two_tower 2/2"}


def test_a_member_that_raises_fails_the_fit_with_its_error(tiny_data, monkeypatch) -> None:
    real = stages.train_two_tower

    def second_fails(*args, seed: int, **kwargs):
        if seed == _config(2).seed + 1:
            raise InvalidInput("member two cannot train")
        return real(*args, seed=seed, **kwargs)

    monkeypatch.setattr(stages, "train_two_tower", second_fails)
    with pytest.raises(InvalidInput, match="member two cannot train"):
        _fit(tiny_data, 2)


def test_a_member_whose_process_dies_fails_the_fit_with_its_exit_code(
    tiny_data, monkeypatch
) -> None:
    real = stages.train_two_tower

    def second_dies(*args, seed: int, **kwargs):
        if seed == _config(2).seed + 1:
            os._exit(3)  # as the OOM killer would end it: no word to the parent
        return real(*args, seed=seed, **kwargs)

    monkeypatch.setattr(stages, "train_two_tower", second_dies)
    with pytest.raises(ChildFailed, match=r"member 1 died \(exit code 3\)"):
        _fit(tiny_data, 2)


def test_an_exception_that_cannot_be_sent_arrives_as_its_traceback(tiny_data, monkeypatch) -> None:
    class Unpicklable(Exception):  # a local class: pickle cannot find it by name
        pass

    real = stages.train_two_tower

    def second_fails(*args, seed: int, **kwargs):
        if seed == _config(2).seed + 1:
            raise Unpicklable("a lambda in its arguments")
        return real(*args, seed=seed, **kwargs)

    monkeypatch.setattr(stages, "train_two_tower", second_fails)
    with pytest.raises(ChildFailed, match="(?s)member 1 failed.*a lambda in its arguments"):
        _fit(tiny_data, 2)


def test_how_many_train_at_once(monkeypatch) -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3})
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert processes_for(1, 0, cpu) == 1  # one member: nothing to share
    assert processes_for(2, 0, cuda) == 1  # CUDA does not survive a fork
    assert processes_for(3, 0, cpu) == 3  # one per member, cores allowing
    assert processes_for(8, 0, cpu) == 4
    assert processes_for(3, 2, cpu) == 2  # as set
    assert processes_for(2, 5, cpu) == 2
    assert processes_for(2, 1, cpu) == 1
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert processes_for(3, 0, cpu) == 2  # cores over torch's threads
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0})
    assert processes_for(3, 0, cpu) == 1


KILLED_PARENT = """
import sys, torch
from tests.training.conftest import process_running, tiny_config
from videorec.training import fit
from videorec.training.synthetic import synthetic_data

torch.set_num_threads(1)
log, catalog = synthetic_data(users=60, posts=80, interactions=1_500, seed=11)
config = tiny_config(epochs=10_000, patience=10_000, members=2, member_processes=2)
config.ranker.enabled = False
fit(log, catalog, config)
"""


def _children(pid: int) -> set[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return set()
    return {int(c) for c in found}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_children_stop_when_the_training_process_is_killed() -> None:
    path = os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], cwd=ROOT, env=env)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(children := _children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(children) == 2, "the members never started"
        time.sleep(1)  # both train now
        parent.kill()  # SIGKILL: no `finally` of the parent's runs
        parent.wait()
        deadline = time.monotonic() + 30
        while any(map(process_running, children)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(process_running, children))
    finally:
        parent.kill()
        for child in filter(process_running, children):
            os.kill(child, signal.SIGKILL)
