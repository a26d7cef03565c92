"""ORM tables, one per module. Importing this package registers them all on `Base.metadata`."""

from videorec.storage.tables.api_key import ApiKey
from videorec.storage.tables.category import Category
from videorec.storage.tables.feed_session import FeedSession
from videorec.storage.tables.interaction import EventSource, Interaction, InteractionKind
from videorec.storage.tables.model_version import ModelVersion
from videorec.storage.tables.post import Post
from videorec.storage.tables.quarantine import QuarantinedItem
from videorec.storage.tables.sync_state import SyncState
from videorec.storage.tables.topic import Topic
from videorec.storage.tables.user import User

__all__ = [
    "ApiKey",
    "Category",
    "EventSource",
    "FeedSession",
    "Interaction",
    "InteractionKind",
    "ModelVersion",
    "Post",
    "QuarantinedItem",
    "SyncState",
    "Topic",
    "User",
]
