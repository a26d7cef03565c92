"""Presented posts kept in memory between requests, dropped whenever the feed state is rebuilt.

Rendering a post from its ORM row costs ~0.1 ms (JSON columns, relationships); a feed page
shows 20. Counters in the cache are as fresh as the feed state (rebuilt when the log grows).
Each post is kept with its JSON as well (`encoded`), so a page held in memory is rendered by
joining bytes instead of serialising 20 posts again.
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
    """An LRU of `present_post` output by post id, for one generation of the feed state, kept
    as each post's JSON only: bytes are no work for the garbage collector, where the presented
    dicts (~10 containers a post, 50,000 posts) were walked by every full collection."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._encoded: OrderedDict[int, bytes] = OrderedDict()
        self._generation: object = None
        self._lock = threading.Lock()

    def encoded(self, ids: Sequence[int], generation: object) -> dict[int, bytes] | None:
        """The JSON objects of the posts by id when every one is cached for `generation` (no
        I/O), else None."""
        with self._lock:
            if generation is not self._generation:
                return None
            encoded = self._encoded
            if not all(i in encoded for i in ids):
                return None
            return {i: encoded[i] for i in ids}

    def get_many(self, db: Session, ids: Sequence[int], generation: object) -> dict[int, Any]:
        """Presented posts by id (missing ids are absent); loads only the uncached ones."""
        return {
            i: orjson.loads(raw) for i, raw in self.get_many_encoded(db, ids, generation).items()
        }

    def get_many_encoded(
        self, db: Session, ids: Sequence[int], generation: object
    ) -> dict[int, bytes]:
        """Their JSON objects by id (missing ids are absent), each serialised once, when cached."""
        with self._lock:
            if generation is not self._generation:
                self._encoded.clear()
                self._generation = generation
            found = {i: self._encoded[i] for i in ids if i in self._encoded}
        missing = [i for i in ids if i not in found]
        if missing:
            encoded = {i: orjson.dumps(present_post(p), option=orjson.OPT_NON_STR_KEYS)
                       for i, p in posts.get_many(db, missing).items()}  # fmt: skip
            found.update(encoded)
            with self._lock:
                if generation is self._generation:  # not cleared meanwhile by a newer state
                    self._encoded.update(encoded)
                while len(self._encoded) > self.maxsize:
                    self._encoded.popitem(last=False)
        return found
