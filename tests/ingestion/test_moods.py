"""Mood terms from post_summary, on the emotion shapes of API.md §4.3."""

from __future__ import annotations

import pytest

from tests.ingestion.conftest import SAMPLES, read_sample
from videorec.ingestion.moods import MAX_TERM_LENGTH, MAX_TERMS, mood_terms


class TestMoodTerms:
    @pytest.mark.parametrize(
        ("emotions", "expected"),
        [
            ({"conveyed": ["enthusiasm", "engagement"]}, ["enthusiasm", "engagement"]),
            (["Encouragement", "Urgency", "Warmth"], ["encouragement", "urgency", "warmth"]),
            ({"initial_emotion": "Contemplative", "final_emotion": "Joy and Exuberance"},
             ["contemplative", "joy and exuberance"]),
            ({"conveyed": ["passion"], "overall_mood": "somber"}, ["passion", "somber"]),
            ({"primary": ["joy"], "secondary": ["relief"]}, ["joy", "relief"]),
            ({"mood": "motivational"}, ["motivational"]),
            ({"moods": ["Calm"]}, ["calm"]),
            ({"nested": {"deeper": ["Awe"]}}, ["awe"]),
            ({"joy": True, "anger": False}, ["joy"]),
        ],
    )  # fmt: skip
    def test_reads_every_emotion_shape(self, emotions, expected: list[str]) -> None:
        assert mood_terms({"emotions": emotions}) == expected

    def test_splits_genre_and_reads_keywords_and_psychological_view(self) -> None:
        summary = {
            "genre": "Motivational/Inspirational",
            "keywords": [{"keyword": "Flow State", "weight": 8}, {"weight": 2}, "loose"],
            "psycological_view_of_video": {"tone": "Hopeful"},
        }
        assert mood_terms(summary) == ["motivational", "inspirational", "flow state", "loose",
                                       "hopeful"]  # fmt: skip

    def test_lowercases_and_deduplicates(self) -> None:
        assert mood_terms({"emotions": ["Joy", " joy ", "JOY."], "genre": "Joy"}) == ["joy"]

    def test_bounds_the_number_and_length_of_terms(self) -> None:
        summary = {"emotions": [f"mood{i}" for i in range(100)] + ["x" * (MAX_TERM_LENGTH + 1)]}
        terms = mood_terms(summary)
        assert len(terms) == MAX_TERMS
        assert all(len(term) <= MAX_TERM_LENGTH for term in terms)

    @pytest.mark.parametrize("summary", [None, {}, {"emotions": None, "genre": None}])
    def test_no_analysis_gives_no_terms(self, summary) -> None:
        assert mood_terms(summary) == []

    @pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
    def test_every_analysed_sample_post_gets_terms(self) -> None:
        posts = read_sample("posts-2025-06/posts.json")
        analysed = [post for post in posts if post["post_summary"]["emotions"] is not None]
        assert len(analysed) == 99  # post 3451 is not analysed yet (API.md §4.3)
        assert all(mood_terms(post["post_summary"]) for post in analysed)
        first = mood_terms(posts[0]["post_summary"])
        assert first[:5] == ["contemplation", "vulnerability", "serenity", "longing", "optimism"]
