"""Presented posts kept in memory between requests, dropped whenever the feed state is rebuilt.

Rendering a post from its ORM row costs ~0.1 ms (JSON columns, relationships); a feed page
shows 20. Counters in the cache are as fresh as the feed state (rebuilt when the log grows or
a post is stored again). Each post is kept as its JSON (`encoded`), so a page held in memory is
rendered by joining bytes instead of serialising 20 posts again.

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
    """A first-in-first-out cache of `present_post` output by post id, for one generation of
    the feed state, kept as each post's JSON only: bytes are no work for the garbage
    collector, where the presented dicts (~10 containers a post, 50,000 posts) were walked by
    every full collection."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._encoded: OrderedDict[int, bytes] = OrderedDict()
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
                self._withdrawn.clear()
                self._generation = generation
            found = {i: self._encoded[i] for i in ids if i in self._encoded}
            missing = [i for i in ids if i not in found and i not in self._withdrawn]
        if missing:
            rows = posts.get_many(db, missing)
            withdrawn = {i for i, p in rows.items() if not p.is_available_in_public_feed}
            encoded = {i: orjson.dumps(present_post(p), option=orjson.OPT_NON_STR_KEYS)
                       for i, p in rows.items() if i not in withdrawn}  # fmt: skip
            found.update(encoded)
            with self._lock:
                if generation is self._generation:  # not cleared meanwhile by a newer state
                    self._encoded.update(encoded)
                    self._withdrawn.update(withdrawn)
                while len(self._encoded) > self.maxsize:
                    self._encoded.popitem(last=False)
        return found
