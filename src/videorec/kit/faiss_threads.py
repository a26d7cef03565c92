"""FAISS searches one query at a time on one OpenMP thread.

A feed request searches one query at a time. With OpenMP's default (one thread per core) a
10k-post exact search took 15 ms of CPU on a busy 2-core box, threads spinning while they wait
for each other, against 0.12 ms on one. OpenMP reads `OMP_NUM_THREADS` once, when FAISS loads,
as the default of every thread, so a server sets it before anything imports FAISS
(`default_one_thread`, from the feed registry); a thread's own count is set with
`omp_set_num_threads` (`single_threaded_faiss`, or `one_thread` where the thread goes on to
other work, as a training or evaluation process's does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def default_one_thread() -> None:
    """Make one OpenMP thread the default of every thread (unless `OMP_NUM_THREADS` is set):
    for a serving process, before FAISS is first imported."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def single_threaded_faiss() -> Any:
    """The `faiss` module, with one OpenMP thread as the process default (before its first
    import) and as this thread's count."""
    default_one_thread()
    import faiss

    faiss.omp_set_num_threads(1)
    return faiss


@contextmanager
def one_thread() -> Iterator[Any]:
    """The `faiss` module, with this thread's OpenMP count at 1 until the block ends, then as it
    was (the process default is left alone)."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield faiss
    finally:
        faiss.omp_set_num_threads(before)
