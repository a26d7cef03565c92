"""What to generate: sizes, seed and the knobs of the hidden behaviour model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from videorec.errors import InvalidInput


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes, seed and behaviour of one generated data set.

    `interactions` counts rows over all four logs together; they split into views, likes,
    inspires and ratings by the real logs' shares (`targets.KIND_SHARES`).
    """

    users: int = 2_000
    posts: int = 5_000
    interactions: int = 200_000
    seed: int = 42
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    """First moment of the logs."""
    end: datetime = datetime(2024, 12, 7, tzinfo=UTC)
    """Last moment of the logs (the real capture's date)."""
    popularity_zipf: float = 1.15
    """Post popularity is rank^-zipf over a random ranking (a power law)."""
    popularity_weight: float = 0.7
    """a in P(user picks post) ∝ popularity^a · exp(b · affinity)."""
    taste_strength: float = 8.0
    """b in P(user picks post) ∝ popularity^a · exp(b · affinity); affinity lies in [0, 1]."""
    like_strength: float = 4.0
    """Likes go to viewed pairs with weight exp(like_strength · affinity)."""
    inspire_strength: float = 6.0
    """Inspires go to viewed pairs with weight exp(inspire_strength · affinity)."""
    rating_noise: float = 0.1
    """Std of the noise added to affinity before it is mapped onto the real rating histogram."""
    topic_concentration: float = 0.1
    """Dirichlet concentration of each user's taste over topics (small = few favourite topics)."""
    mood_concentration: float = 0.3
    """Dirichlet concentration of each user's taste over moods."""
    topic_weight: float = 0.7
    """Affinity = w · topic taste + (1 - w) · mood taste, each scaled to [0, 1]."""
    back_catalogue_share: float = 0.3
    """Share of posts that exist before `start`; the rest arrive uniformly over the log period."""
    creator_share: float = 0.02
    """Share of users who create posts (at least 3 creators)."""

    def __post_init__(self) -> None:
        if self.users < 10 or self.posts < 30 or self.interactions < 20:
            raise InvalidInput("generate needs at least 10 users, 30 posts and 20 interactions")
        if self.interactions > self.users * self.posts // 2:
            raise InvalidInput(
                f"{self.interactions} interactions do not fit {self.users} users x {self.posts} "
                "posts; each (user, post) pair appears at most once per log"
            )
        if self.end <= self.start:
            raise InvalidInput("the log period must end after it starts")


DEMO_CONFIG = GeneratorConfig()
"""The demo set `videorec up` generates: 2,000 users, 5,000 posts, 200,000 interactions, seed 42."""
