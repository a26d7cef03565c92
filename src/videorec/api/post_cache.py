"""Presented posts kept in memory between requests, dropped whenever the feed state is rebuilt.

Rendering a post from its ORM row costs ~0.1 ms (JSON columns, relationships); a feed page
shows 20. Counters in the cache are as fresh as the feed state (rebuilt when the log grows or
a post is stored again). Each post is kept with its JSON as well (`encoded`), so a page held in
memory is rendered by joining bytes instead of serialising 20 posts again.

A post no longer available in the public feed (withdrawn upstream after a session computed its
pages) is left out like a post gone from the database: its id is remembered for the
generation, so a held page that shows it is still rendered without I/O.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session

from videorec.api.presenters import present_post
from videorec.storage.repositories import posts


class PresentedPosts:
    """An LRU of `present_post` output by post id, for one generation of the feed state."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._encoded: dict[int, bytes] = {}  # the JSON of each post in `_items`
        self._withdrawn: set[int] = set()  # not in the public feed (left out) in this generation
        self._generation: object = None
        self._lock = threading.Lock()

    def encoded(self, ids: Sequence[int], generation: object) -> dict[int, bytes] | None:
        """The JSON objects of the posts by id when every one is cached for `generation` (no
        I/O), else None."""
        with self._lock:
            if generation is not self._generation:
                return None
            encoded, withdrawn = self._encoded, self._withdrawn
            if not all(i in encoded or i in withdrawn for i in ids):
                return None
            return {i: encoded[i] for i in ids if i in encoded}

    def get_many(self, db: Session, ids: Sequence[int], generation: object) -> dict[int, Any]:
        """Presented posts by id (missing ids are absent); loads only the uncached ones."""
        return self._fetch(db, ids, generation)[0]

    def get_many_encoded(
        self, db: Session, ids: Sequence[int], generation: object
    ) -> dict[int, bytes]:
        """Their JSON objects by id (missing ids are absent), each serialised once, when cached."""
        return self._fetch(db, ids, generation)[1]

    def _fetch(
        self, db: Session, ids: Sequence[int], generation: object
    ) -> tuple[dict[int, Any], dict[int, bytes]]:
        with self._lock:
            if generation is not self._generation:
                self._items.clear()
                self._encoded.clear()
                self._withdrawn.clear()
                self._generation = generation
            found = {i: self._items[i] for i in ids if i in self._items}
            found_json = {i: self._encoded[i] for i in found}  # kept in step with `_items`
            missing = [i for i in ids if i not in found and i not in self._withdrawn]
        if missing:
            rows = posts.get_many(db, missing)
            withdrawn = {i for i, p in rows.items() if not p.is_available_in_public_feed}
            loaded = {i: present_post(p) for i, p in rows.items() if i not in withdrawn}
            encoded = {i: orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS)
                       for i, row in loaded.items()}  # fmt: skip
            found.update(loaded)
            found_json.update(encoded)
            with self._lock:
                if generation is self._generation:  # not cleared meanwhile by a newer state
                    self._items.update(loaded)
                    self._encoded.update(encoded)
                    self._withdrawn.update(withdrawn)
                while len(self._items) > self.maxsize:
                    self._encoded.pop(self._items.popitem(last=False)[0], None)
        return found, found_json
