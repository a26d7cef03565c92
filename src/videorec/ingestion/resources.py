"""The six upstream resources: path, list key, which secret they need, and sync order."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Auth(enum.Enum):
    """How an endpoint is authorised (API.md §2)."""

    TOKEN = "token"
    """`Flic-Token` header (FLIC_TOKEN)."""
    RESONANCE = "resonance"
    """`resonance_algorithm` query key (VIDEOREC_RESONANCE_KEY): the global interaction log."""


@dataclass(frozen=True)
class Resource:
    """One upstream endpoint as the sync sees it.

    Attributes:
        name: the name used by `videorec sync --only`, in sync_state and in quarantine.
        path: the upstream path.
        list_key: the envelope key holding the items.
        auth: which secret the endpoint needs.
        message: the envelope `message` the real API sends (the replay server echoes it).
    """

    name: str
    path: str
    list_key: str
    auth: Auth
    message: str

    @property
    def is_log(self) -> bool:
        """True for the four interaction logs."""
        return self.auth is Auth.RESONANCE


USERS = Resource("users", "/users/get_all", "users", Auth.TOKEN, "Users fetched successfully")
POSTS = Resource("posts", "/posts/summary/get", "posts", Auth.TOKEN, "Posts fetched successfully")
VIEW = Resource("view", "/posts/view", "posts", Auth.RESONANCE, "Viewed posts fetched successfully")
LIKE = Resource("like", "/posts/like", "posts", Auth.RESONANCE, "Liked posts fetched successfully")
INSPIRE = Resource(
    "inspire", "/posts/inspire", "posts", Auth.RESONANCE, "Inspired posts fetched successfully"
)
RATING = Resource(
    "rating", "/posts/rating", "posts", Auth.RESONANCE, "Rated posts fetched successfully"
)

RESOURCES: tuple[Resource, ...] = (USERS, POSTS, VIEW, LIKE, INSPIRE, RATING)
"""Every resource, in sync order: users, posts, then the four logs."""

BY_NAME: dict[str, Resource] = {resource.name: resource for resource in RESOURCES}
