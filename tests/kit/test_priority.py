"""`lower_priority`: a process lowers its own CPU priority (in a child, never the test runner)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from videorec.kit.priority import lower_priority

CHILD = "from videorec.kit.priority import lower_priority as f; import os; print(os.nice(0), f({}))"


def _child(by: int) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(by)], capture_output=True,
                         text=True, check=True, env=os.environ).stdout.split()  # fmt: skip
    return int(out[0]), int(out[1])


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no os.nice on this platform")
class TestLowerPriority:
    def test_adds_to_the_niceness(self) -> None:
        before, after = _child(5)
        assert after == min(before + 5, 19)

    def test_zero_leaves_it(self) -> None:
        before, after = _child(0)
        assert after == before

    def test_zero_in_process_changes_nothing(self) -> None:
        assert lower_priority(0) == os.nice(0)
