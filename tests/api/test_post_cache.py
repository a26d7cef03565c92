"""The presented-post cache leaves out a post withdrawn from the public feed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import create_category, create_post
from videorec.api.post_cache import PresentedPosts
from videorec.storage.tables import Post


class TestPresentedPostsWithdrawn:
    def test_a_withdrawn_post_is_left_out_once_the_generation_changes(
        self, session: Session
    ) -> None:
        category = create_category(session)
        kept, withdrawn = (create_post(session, category=category).id for _ in range(2))
        presented, before, after = PresentedPosts(), object(), object()
        assert set(presented.get_many_encoded(session, [kept, withdrawn], before)) == {
            kept, withdrawn,
        }  # fmt: skip
        post = session.get(Post, withdrawn)
        assert post is not None
        post.is_available_in_public_feed = False  # as a sync stores it when upstream withdraws it
        session.flush()
        assert set(presented.get_many_encoded(session, [kept, withdrawn], before)) == {
            kept, withdrawn,
        }  # fmt: skip  # same generation: as fresh as the feed state
        assert set(presented.get_many_encoded(session, [kept, withdrawn], after)) == {kept}
        held = presented.encoded([kept, withdrawn], after)  # a held page: answered without I/O
        assert held is not None
        assert set(held) == {kept}
