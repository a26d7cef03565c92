"""The replay server's data: the six resources read from a folder of JSON files.

Layout: `users.json, posts.json, view.json, like.json, inspire.json, rating.json` directly in the
folder and/or one level down in subfolders (a subfolder named `truth`, the demo generator's hidden
ground truth, is ignored). A file holds a plain list of items or a full envelope.

A `view/like/inspire/rating.json` whose items are post objects (captured without the resonance
key, API.md §2) is not a log: its posts join the catalogue. Items are deduplicated by `id` (the
first file wins, `posts.json` before post objects of log files) and served in ascending id order,
as upstream does. Each item is kept serialised, so a million rows stay small in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from videorec.errors import ConfigurationError
from videorec.ingestion.resources import RESOURCES

IGNORED_FOLDERS = frozenset({"truth"})
LOG_NAMES = ("view", "like", "inspire", "rating")


@dataclass
class ReplayData:
    """Serialised items per resource name, in serving order."""

    items: dict[str, list[bytes]] = field(default_factory=dict)

    def count(self, resource: str) -> int:
        """How many items `resource` serves."""
        return len(self.items.get(resource, []))

    @classmethod
    def from_lists(cls, lists: dict[str, list[Any]]) -> ReplayData:
        """Data from in-memory lists (tests, benchmarks), served in the given order."""
        return cls({name: [orjson.dumps(item) for item in items] for name, items in lists.items()})


def load_folder(folder: Path) -> ReplayData:
    """Read every recognised file under `folder` (see the module docstring).

    Raises:
        ConfigurationError: the folder does not exist or holds none of the six files.
    """
    if not folder.is_dir():
        raise ConfigurationError(f"replay data folder {folder} does not exist")
    files = _data_files(folder)
    if not files:
        names = "users/posts/view/like/inspire/rating.json"
        raise ConfigurationError(f"{folder} holds none of {names}")
    found: dict[str, list[_Keyed]] = {resource.name: [] for resource in RESOURCES}
    post_objects: list[_Keyed] = []
    for name, path in files:
        items = _read_items(path)
        target = post_objects if name in LOG_NAMES and _are_post_objects(items) else found[name]
        target.extend(_keyed(items))
        del items  # serialised: let a million dicts go before the next file
    found["posts"].extend(post_objects)
    return ReplayData({name: _ordered(keyed) for name, keyed in found.items()})


def _data_files(folder: Path) -> list[tuple[str, Path]]:
    names = [resource.name for resource in RESOURCES]
    folders = [folder] + sorted(
        sub for sub in folder.iterdir() if sub.is_dir() and sub.name not in IGNORED_FOLDERS
    )
    return [(name, sub / f"{name}.json") for sub in folders for name in names
            if (sub / f"{name}.json").is_file()]  # fmt: skip


def _read_items(path: Path) -> list[Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid JSON: {exc}") from exc
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("posts", "users", "data"):
            if isinstance(data.get(key), list):
                return list(data[key])
    raise ConfigurationError(f"{path} is neither a list of items nor an API envelope")


def _are_post_objects(items: list[Any]) -> bool:
    first = next((item for item in items if isinstance(item, dict)), None)
    return (
        first is not None and "post_id" not in first and ("slug" in first or "video_link" in first)
    )


_Keyed = tuple[int | None, bytes]
"""An item's id (None when it has no usable one) and its serialised form."""


def _keyed(items: list[Any]) -> list[_Keyed]:
    keyed: list[_Keyed] = []
    for item in items:
        key = item.get("id") if isinstance(item, dict) else None
        usable = isinstance(key, int) and not isinstance(key, bool)
        keyed.append((key if usable else None, orjson.dumps(item)))
    return keyed


def _ordered(keyed: list[_Keyed]) -> list[bytes]:
    """Unique by id (the first wins), ascending id; items without an id last, as they came."""
    by_id: dict[int, bytes] = {}
    loose: list[bytes] = []
    for key, item in keyed:
        if key is None:
            loose.append(item)
        else:
            by_id.setdefault(key, item)
    return [by_id[key] for key in sorted(by_id)] + loose
