"""`training.forked`: jobs in forked children, their failures, and no child outliving its
parent or a failed start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.training.conftest import process_running
from videorec.training import forked
from videorec.training.observer import SilentObserver

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="forks (Linux)")


def test_a_jobs_result_comes_back() -> None:
    (job,) = [forked.start(lambda _: {"pid": os.getpid(), "values": [1.5, 2]}, "a job")]
    (result,) = forked.gather([job], SilentObserver())
    assert result["values"] == [1.5, 2]
    assert result["pid"] != os.getpid()


def test_a_sent_exception_carries_the_childs_traceback() -> None:
    def fails(_: object) -> None:
        raise ValueError("bad input in the child")

    with pytest.raises(ValueError, match="bad input in the child") as caught:
        forked.gather([forked.start(fails, "a failing job")], SilentObserver())
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "raised in the process running a failing job" in notes
    assert "in fails" in notes  # the child's own frame


def test_a_failed_start_stops_the_jobs_started_before_it(monkeypatch) -> None:
    real = forked.start
    started: list[forked.Forked[None]] = []

    def second_fails(job, name, **kwargs):
        if started:
            raise OSError("fork refused: out of memory")
        started.append(real(job, name, **kwargs))
        return started[-1]

    monkeypatch.setattr(forked, "start", second_fails)
    with pytest.raises(OSError, match="fork refused"):
        forked.start_all([(lambda _: time.sleep(60), "one"), (lambda _: None, "two")])
    assert len(started) == 1
    assert not started[0].process.is_alive()


SILENT_PARENT = """
import time
from tests.training.conftest import process_running
from videorec.training import forked
job = forked.start(lambda _: time.sleep(120), "a silent job")  # reports no progress
print(job.process.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_silent_child_ends_with_its_killed_parent() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    parent = subprocess.Popen([sys.executable, "-c", SILENT_PARENT], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert process_running(child)
        parent.kill()  # SIGKILL: none of the parent's code runs
        parent.wait()
        deadline = time.monotonic() + 20
        while process_running(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not process_running(child)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
        if child and process_running(child):
            os.kill(child, 9)
