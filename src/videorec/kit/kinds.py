"""The four interaction kinds, shared by every floor: the feature pipeline reads them, the
storage tables persist them (`features` must not need `storage`, so they live here)."""

from __future__ import annotations

import enum


class InteractionKind(enum.StrEnum):
    VIEW = "view"
    LIKE = "like"
    INSPIRE = "inspire"
    RATING = "rating"
