"""FAISS for a serving process: imported with OpenMP on one thread.

A feed request searches one query at a time. With OpenMP's default (one thread per core) a
10k-post exact search took 15 ms of CPU on a busy 2-core box, threads spinning while they wait
for each other, against 0.12 ms on one. OpenMP reads `OMP_NUM_THREADS` once, when FAISS loads,
as the default of every thread, so whoever imports FAISS first in a server (the model loader,
or the text search when the catalogue state is built first) must set it before; a thread's own
count is set again with `omp_set_num_threads`.
"""

from __future__ import annotations

import os
from typing import Any


def single_threaded_faiss() -> Any:
    """The `faiss` module, with `OMP_NUM_THREADS` defaulting to 1 before its first import and
    this thread's OpenMP count set to 1."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import faiss

    faiss.omp_set_num_threads(1)
    return faiss
