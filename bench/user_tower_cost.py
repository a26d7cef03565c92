"""What one user vector costs a model artifact, in PyTorch and through its ONNX user tower: for a
pair of two-towers (`two_tower.members = 2`) also the first member alone, so the pair's extra
cost per new session is measured in one run.

    python bench/user_tower_cost.py VAR/models/VERSION [--calls 2000]

One thread each, a random history of `history_length` events (the longest the tower reads), a
new user (row 0); `--calls` timed calls after a tenth as many untimed. The ONNX line needs the
artifact exported (`videorec models export VERSION`; `bench/feed.py --model` exports).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from videorec.models.ensemble import TwoTowerEnsemble
from videorec.training import load_artifact


def per_call_ms(call: Callable[[], object], calls: int) -> float:
    """Mean milliseconds of `call` over `calls` calls, after `calls // 10` warm-up calls."""
    for _ in range(calls // 10):
        call()
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_artifact(args.artifact)
    length, n_posts = model.pipeline.history_length, int(model.post_ids.shape[0])
    history = torch.from_numpy(np.random.default_rng(0).integers(1, n_posts + 1, (1, length)))
    weights, users = torch.ones(1, length), torch.zeros(1, dtype=torch.long)
    towers = {"the model": model.two_tower}
    if isinstance(model.two_tower, TwoTowerEnsemble):
        towers["its first member alone"] = model.two_tower.lead
    print(f"{args.artifact.name}: {n_posts:,} posts, a history of {length} events, 1 thread")
    with torch.no_grad():
        for name, tower in towers.items():
            ms = per_call_ms(lambda t=tower: t.user_vectors(users, history, weights), args.calls)
            print(f"PyTorch user tower, {name}: {ms:.3f} ms")
    graph = args.artifact / "onnx" / "user_tower.onnx"
    if not graph.exists():
        print("no ONNX export in the artifact: run `videorec models export VERSION`")
        return
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(graph), options)
    names = [i.name for i in session.get_inputs()]
    feed = dict(zip(names, [users.numpy(), history.numpy(), weights.numpy()], strict=True))
    ms = per_call_ms(lambda: session.run(None, feed), args.calls)
    print(f"ONNX Runtime user tower, the model: {ms:.3f} ms")


if __name__ == "__main__":
    main()
