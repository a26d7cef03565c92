"""Time and peak memory of `videorec generate` at scale (default: 10 million interactions).

    python bench/generate.py [--users 200000] [--posts 100000] [--interactions 10000000]

Prints wall and CPU time (CPU time is what a busy shared box cannot inflate), peak resident
memory (getrusage maxrss) and the bytes written.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from videorec.datagen import GeneratorConfig, generate
from videorec.logging import configure_logging


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    args = parser.parse_args()
    configure_logging("WARNING")
    config = GeneratorConfig(
        users=args.users, posts=args.posts, interactions=args.interactions, seed=args.seed
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="videorec-generate-"))
    started = time.perf_counter()
    paths = generate(config, out)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mib = usage.ru_maxrss / 1024
    written = sum(p.stat().st_size for p in paths.served.values())
    print(f"config: {config.users:,} users, {config.posts:,} posts, "
          f"{config.interactions:,} interactions, seed {config.seed}")  # fmt: skip
    for name, path in paths.served.items():
        print(f"  {name:8s} {path.stat().st_size / 2**20:10.1f} MiB")
    print(f"time: {elapsed:.1f} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU (user+sys)")
    print(f"peak memory (maxrss): {peak_mib:,.0f} MiB")
    print(f"written: {written / 2**20:,.0f} MiB")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
