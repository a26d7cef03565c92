"""Candidate sources, one per module, all behind `base.CandidateSource`."""

from videorec.serving.candidates.base import Candidate, CandidateSource, FeedContext
from videorec.serving.candidates.category import CategorySource
from videorec.serving.candidates.content import ContentSource
from videorec.serving.candidates.covisit import CovisitSource
from videorec.serving.candidates.fresh import FreshSource
from videorec.serving.candidates.mood import MoodSource
from videorec.serving.candidates.neighbours import NEIGHBOUR_SOURCES, NeighbourSource
from videorec.serving.candidates.trending import TrendingSource
from videorec.serving.candidates.two_tower import TwoTowerSource


def default_sources() -> list[CandidateSource]:
    """Every source, in the order their candidates are merged."""
    return [
        TwoTowerSource(),
        MoodSource(),
        *(NeighbourSource(name) for name in NEIGHBOUR_SOURCES),
        CovisitSource(),
        ContentSource(),
        CategorySource(),
        TrendingSource(),
        FreshSource(),
    ]


__all__ = [
    "Candidate",
    "CandidateSource",
    "CategorySource",
    "ContentSource",
    "CovisitSource",
    "FeedContext",
    "FreshSource",
    "MoodSource",
    "NeighbourSource",
    "TrendingSource",
    "TwoTowerSource",
    "default_sources",
]
