"""First-time text encoding: catalogue order vs longest first in tokens, and torch threads.

    nice -n 5 python bench/text_encoding.py --db demo.db --texts 512 --threads 1     # order
    nice -n 5 python bench/text_encoding.py --db demo.db --texts 256 --threads 1,2 --orders new

Reads the first `--texts` post texts of an ingested database and encodes them as `videorec
train` did before (`old`: chunks of 256 in catalogue order, sentence-transformers sorting each
call by characters) and as it does now (`new`: `features.text.by_length` across the chunks,
`features.text.encode`), alternating `--repeat` times, each on every `--threads` count. Prints
wall and process-CPU seconds, the load average, and the least cosine to the first vectors;
then the padded tokens of the whole catalogue under both orders (batches of 64).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from videorec.features import text
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.storage.repositories import logs

CHUNK, BATCH = 256, 64


def old(texts: list[str]) -> np.ndarray:
    model, parts = text.load_encoder(), []
    for start in range(0, len(texts), CHUNK):
        with torch.inference_mode():
            vectors = model.encode(texts[start : start + CHUNK], batch_size=BATCH,
                                   show_progress_bar=False, convert_to_tensor=True)  # fmt: skip
        parts.append(vectors.float().numpy())
    matrix = np.concatenate(parts)
    return np.asarray(matrix / np.linalg.norm(matrix, axis=1, keepdims=True), np.float32)


def new(texts: list[str]) -> np.ndarray:
    order, out = text.by_length(texts), np.empty((len(texts), text.DIM), np.float32)
    for start in range(0, len(texts), CHUNK):
        rows = order[start : start + CHUNK]
        out[rows] = text.encode([texts[i] for i in rows], batch_size=BATCH)
    return out


def padded_tokens(texts: list[str], order: np.ndarray, by_chars_in_chunk: bool) -> int:
    """Tokens after padding each batch to its longest text, chunks of `CHUNK` in `order`."""
    counts = np.array([len(e.ids) for e in text.load_tokenizer().encode_batch(texts)])
    total = 0
    for start in range(0, len(texts), CHUNK):
        chunk = list(order[start : start + CHUNK])
        if by_chars_in_chunk:
            chunk.sort(key=lambda i: -len(texts[i]))
        for b in range(0, len(chunk), BATCH):
            lengths = counts[chunk[b : b + BATCH]]
            total += int(lengths.max()) * len(lengths)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--threads", default="1")
    parser.add_argument("--orders", default="old,new")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with make_sessionmaker(make_engine(f"sqlite:///{args.db}"))() as session:
        catalogue = list(logs.load_catalog(session).texts)
    texts = catalogue[: args.texts]
    text.load_encoder()
    modes = {"old": old, "new": new}
    first = None
    for _ in range(args.repeat):
        for name in args.orders.split(","):
            for threads in [int(t) for t in args.threads.split(",")]:
                torch.set_num_threads(threads)
                wall, cpu = time.perf_counter(), time.process_time()
                vectors = modes[name](texts)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                first = vectors if first is None else first
                cosine = float(np.min(np.sum(vectors * first, axis=1)))
                load = os.getloadavg()[0]
                print(f"{name} threads {threads}: {wall:6.1f} s wall {cpu:6.1f} s cpu, "
                      f"min cosine {cosine:.7f}, load {load:.1f}", flush=True)  # fmt: skip
    everything = np.arange(len(catalogue))
    print(f"catalogue: {len(catalogue)} texts, padded tokens: catalogue order "
          f"{padded_tokens(catalogue, everything, True):,}, longest first in tokens "
          f"{padded_tokens(catalogue, text.by_length(catalogue), True):,}")  # fmt: skip


if __name__ == "__main__":
    main()
