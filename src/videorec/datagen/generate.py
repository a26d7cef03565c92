"""`generate(config, out)`: one seeded data set in the replay server's layout, plus its truth.

    out/users.json  out/posts.json                       served (API.md §4, §5 shapes)
    out/view.json  out/like.json  out/inspire.json  out/rating.json   served (API.md §3)
    out/truth/truth.npz  out/truth/meta.json             hidden: never served

Every random draw comes from one `numpy.random.Generator(seed)` in a fixed order, so the same
config writes byte-identical files. `truth/meta.json` is written last: its presence means the
set is complete, and its `config` says what it was generated from (see `is_generated`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from videorec.datagen.activity import allocate, plan_views
from videorec.datagen.catalogue import PostCounts, post_categories, post_chunks
from videorec.datagen.choice import distinct_picks
from videorec.datagen.config import DEMO_CONFIG, GeneratorConfig
from videorec.datagen.people import sample_people, user_chunks
from videorec.datagen.signals import Log, split_logs
from videorec.datagen.targets import ENGAGED_WITHOUT_VIEW_SHARE, KIND_SHARES
from videorec.datagen.truth import META_FILE, TRUTH_DIR, Truth, save_truth
from videorec.datagen.world import sample_truth, sparse_ids
from videorec.datagen.writers import interaction_chunks, write_list

log = structlog.get_logger(__name__)

KINDS = ("view", "like", "inspire", "rating")


@dataclass(frozen=True)
class GeneratedPaths:
    """Where one generated data set lies."""

    users: Path
    posts: Path
    view: Path
    like: Path
    inspire: Path
    rating: Path
    truth: Path
    """The folder of the hidden truth (`load_truth(out)` reads it)."""

    @property
    def served(self) -> dict[str, Path]:
        """The six files a replay server serves, by name."""
        return {name: getattr(self, name) for name in ("users", "posts", *KINDS)}


def kind_counts(interactions: int) -> dict[str, int]:
    """Rows per log for `interactions` rows in all, in the real logs' shares."""
    counts = {kind: round(interactions * KIND_SHARES[kind]) for kind in KINDS[1:]}
    return {"view": interactions - sum(counts.values()), **counts}


def paths_of(out: Path) -> GeneratedPaths:
    """The file layout of a data set in `out` (whether or not it exists yet)."""
    files = {name: out / f"{name}.json" for name in ("users", "posts", *KINDS)}
    return GeneratedPaths(**files, truth=out / TRUTH_DIR)


def is_generated(out: Path, config: GeneratorConfig = DEMO_CONFIG) -> bool:
    """Whether `out` holds a complete data set generated from exactly `config`."""
    meta = Path(out) / TRUTH_DIR / META_FILE
    if not meta.exists():
        return False
    return bool(json.loads(meta.read_text()).get("config") == _config_meta(config))


def generate(config: GeneratorConfig = DEMO_CONFIG, out: Path | str = "var/demo") -> GeneratedPaths:
    """Generate one data set into `out` (created if needed; existing files are replaced)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / TRUTH_DIR / META_FILE).unlink(missing_ok=True)
    rng = np.random.default_rng(config.seed)
    counts = kind_counts(config.interactions)
    views = plan_views(config.users, config.posts, counts["view"], rng)
    truth = sample_truth(config, views, rng)
    extra_total = round(
        counts["view"] * ENGAGED_WITHOUT_VIEW_SHARE / (1 - ENGAGED_WITHOUT_VIEW_SHARE)
    )
    extras = allocate(extra_total, np.where(views >= 3, views, 0).astype(np.float64), config.posts)
    picks = distinct_picks(truth, views + extras, rng)
    logs = split_logs(truth, picks, views, counts, rng)
    log.info("generated_logs", **{kind: len(logs[kind].users) for kind in KINDS})
    paths = paths_of(out)
    _write_served(truth, logs, paths, rng)
    save_truth(truth, out, {"config": _config_meta(config), "rows": _rows(logs)})
    log.info("generated_data_set", out=str(out), seed=config.seed)
    return paths


def _write_served(
    truth: Truth, logs: dict[str, Log], paths: GeneratedPaths, rng: np.random.Generator
) -> None:
    n_users, n_posts = len(truth.user_ids), len(truth.post_ids)
    people = sample_people(truth, rng)
    active = np.bincount(np.concatenate([lg.users for lg in logs.values()]), minlength=n_users) > 0
    post_counts = np.bincount(truth.post_creators, minlength=n_users)
    write_list(paths.users, user_chunks(truth, people, post_counts, active, rng))
    counts = PostCounts(
        views=np.bincount(logs["view"].posts, minlength=n_posts),
        likes=np.bincount(logs["like"].posts, minlength=n_posts),
        ratings=np.bincount(logs["rating"].posts, minlength=n_posts),
        rating_sums=np.bincount(
            logs["rating"].posts, weights=logs["rating"].values, minlength=n_posts
        ).astype(np.int64),
    )
    categories = post_categories(truth, rng)
    write_list(paths.posts, post_chunks(truth, people, categories, counts, rng))
    for kind in KINDS:
        entries = logs[kind]
        ids = sparse_ids(len(entries.users), 1, rng)
        chunks = interaction_chunks(
            kind, ids, truth.post_ids[entries.posts], truth.user_ids[entries.users],
            entries.times, entries.values,
        )  # fmt: skip
        write_list(getattr(paths, kind), chunks)


def _config_meta(config: GeneratorConfig) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in asdict(config).items()}


def _rows(logs: dict[str, Log]) -> dict[str, int]:
    return {kind: len(logs[kind].users) for kind in KINDS}
