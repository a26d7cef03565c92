"""`post_summary` analyses (API.md §4.3: 17 keys) written from a post's true topic and mood.

`emotions` takes the four shapes seen in the real data, chosen per post:
`{"conveyed": [...]}`, a list of strings, `{"mood": "<mood>"}` and
`{"primary": [...], "secondary": [...]}`. Every string in it is a word of the post's true mood
(`vocabulary.MOODS`), and the mood's own name is always among them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from videorec.datagen.vocabulary import MOODS, TOPICS, Mood

EMOTION_SHAPES = ("conveyed", "list", "mood", "primary_secondary")


def emotion_words(mood: Mood, rng: np.random.Generator) -> list[str]:
    """The mood's name and two or three more of its words."""
    others = rng.permutation(len(mood.words) - 1)[: int(rng.integers(2, 4))] + 1
    return [mood.name, *(mood.words[i] for i in others.tolist())]


def emotions(mood: Mood, shape: int, rng: np.random.Generator) -> Any:
    """The `emotions` value in one of the `EMOTION_SHAPES` (by index)."""
    words = emotion_words(mood, rng)
    if EMOTION_SHAPES[shape] == "conveyed":
        return {"conveyed": words}
    if EMOTION_SHAPES[shape] == "list":
        return [w.capitalize() for w in words]
    if EMOTION_SHAPES[shape] == "mood":
        return {"mood": mood.name}
    return {"primary": words[:2], "secondary": words[2:]}


def post_summary(topic_index: int, mood_index: int, rng: np.random.Generator) -> dict[str, Any]:
    """A full analysis of a post about `TOPICS[topic_index]` in mood `MOODS[mood_index]`."""
    topic, mood = TOPICS[topic_index], MOODS[mood_index]
    picked = [topic.keywords[i] for i in rng.permutation(len(topic.keywords))[:3].tolist()]
    keywords = [{"keyword": k, "weight": 10 - j} for j, k in enumerate(picked)]
    keywords.append({"keyword": mood.words[1], "weight": 6})
    faces = int(rng.integers(0, 4))
    description = (
        f"A {topic.genre.lower()} video about {picked[0]} and {picked[1]}, "
        f"with a {mood.name} feel: {mood.words[1]} and {mood.words[2]} throughout."
    )
    return {
        "actions": [f"talking about {picked[0]}", "gesturing to camera"],
        "audio_elements": ["voice-over", f"{mood.name} background music"],
        "description": description,
        "emotions": emotions(mood, int(rng.integers(0, len(EMOTION_SHAPES))), rng),
        "entities": [picked[1]],
        "estimated_duration": f"{int(rng.integers(10, 90))} seconds",
        "genre": topic.genre,
        "is_face_exist": faces > 0,
        "keywords": keywords,
        "no_of_person_in_video": faces,
        "other_person_details": [],
        "main_person_details": {"name": "", "gender": ""},
        "targeted_audiance": [f"people into {topic.name}"],
        "topics_of_video": [topic.name, picked[2]],
        "visual_elements_of_video": ["close-ups", "text overlays"],
        "quality_indicators": {"lighting": "good", "audio": "clear"},
        "psycological_view_of_video": [mood.name, *mood.psychology],
    }
