"""Mood terms of a post, derived from its LLM `post_summary` (API.md §4.3, §9).

Sources: every string inside `emotions` whatever its shape (dict of lists or strings, list of
strings, nested), `genre` split on "/", `keywords[].keyword` and `psycological_view_of_video`
(sic). Terms are lower-cased, stripped, deduplicated in first-seen order and bounded in number
and length, so a chatty analysis cannot bloat the row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MAX_TERMS = 32
MAX_TERM_LENGTH = 64
_MAX_DEPTH = 4
_SPACES = re.compile(r"\s+")


def mood_terms(summary: dict[str, Any] | None) -> list[str]:
    """The normalised mood words of one post summary; [] for a missing or empty summary."""
    if not summary:
        return []
    terms: dict[str, None] = {}
    for raw in _candidates(summary):
        term = _normalise(raw)
        if term and term not in terms:
            terms[term] = None
            if len(terms) == MAX_TERMS:
                break
    return list(terms)


def _candidates(summary: dict[str, Any]) -> Iterator[str]:
    yield from _strings(summary.get("emotions"))
    genre = summary.get("genre")
    if isinstance(genre, str):
        yield from genre.split("/")
    keywords = summary.get("keywords")
    if isinstance(keywords, list):
        for keyword in keywords:
            if isinstance(keyword, dict) and isinstance(keyword.get("keyword"), str):
                yield keyword["keyword"]
            elif isinstance(keyword, str):
                yield keyword
    yield from _strings(summary.get("psycological_view_of_video"))


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string value inside `value` (dict values, list items), not the dict keys."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if item is True:  # {"joy": true}: the key is the mood
                yield str(key)
            else:
                yield from _strings(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, depth + 1)


def _normalise(raw: str) -> str:
    term = _SPACES.sub(" ", raw).strip(" \t\n.,;:!?\"'").lower()
    if len(term) > MAX_TERM_LENGTH:
        return ""
    return term
